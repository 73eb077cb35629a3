// The rooms[].max_participants and audio jitter keys and the participants' audio section.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "app/config.h"

namespace tessera::app {
namespace {

TEST(RoomMaxParticipants, DefaultsTo50AndBoundsTheConfiguredParticipants) {
  auto c = ParseConfig("rooms:\n  - name: r\n    participants: []\n", "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rooms[0].max_participants, 50u);
  c = ParseConfig(
      "rooms:\n  - name: r\n    max_participants: 1\n    participants:\n"
      "      - {name: a, remote_rtp_port: 4000, audio: {codec: PCMU}}\n"
      "      - {name: b, remote_rtp_port: 4002, audio: {codec: PCMU}}\n",
      "t.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(
                "rooms[0].participants: lists 2 participants, more than max_participants (1)"),
            std::string::npos)
      << c.status().message();
  c = ParseConfig("rooms:\n  - name: r\n    max_participants: 0\n    participants: []\n", "t.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("rooms[0].max_participants: must be in 1..1000"),
            std::string::npos);
}

TEST(RoomAudioJitter, DefaultsTo40To120AndTakesUpTo200) {
  auto c = ParseConfig("rooms:\n  - name: r\n    participants: []\n", "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rooms[0].audio_jitter_min_ms, 40u);
  EXPECT_EQ(c->rooms[0].audio_jitter_max_ms, 120u);
  c = ParseConfig(
      "rooms:\n  - {name: r, audio_jitter_min_ms: 60, audio_jitter_max_ms: 200, participants: "
      "[]}\n",
      "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rooms[0].audio_jitter_min_ms, 60u);
  EXPECT_EQ(c->rooms[0].audio_jitter_max_ms, 200u);
  c = ParseConfig(
      "rooms:\n  - {name: r, audio_jitter_min_ms: 150, audio_jitter_max_ms: 250, participants: "
      "[]}\n",
      "t.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("rooms[0].audio_jitter_max_ms: must be in 20..200"),
            std::string::npos)
      << c.status().message();
  c = ParseConfig(
      "rooms:\n  - {name: r, audio_jitter_min_ms: 150, audio_jitter_max_ms: 100, participants: "
      "[]}\n",
      "t.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(
                "rooms[0].audio_jitter_min_ms: must be at most audio_jitter_max_ms (100)"),
            std::string::npos)
      << c.status().message();
}

TEST(RoomParticipantAudio, G722PcmBitsDefaultsTo16AndTakes14ForG722Only) {
  auto c = ParseConfig(
      "rooms:\n  - name: r\n    participants:\n"
      "      - {name: a, remote_rtp_port: 4000, audio: {codec: G722}}\n"
      "      - {name: b, remote_rtp_port: 4002, audio: {codec: G722, g722_pcm_bits: 14}}\n",
      "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rooms[0].participants[0].audio_g722_pcm, codec::G722Pcm::k16Bit);
  EXPECT_EQ(c->rooms[0].participants[1].audio_g722_pcm, codec::G722Pcm::k14Bit);
  c = ParseConfig(
      "rooms:\n  - name: r\n    participants:\n"
      "      - {name: a, remote_rtp_port: 4000, audio: {codec: PCMU, g722_pcm_bits: 14}}\n",
      "t.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(
                "rooms[0].participants[0].audio.g722_pcm_bits: only G722 has a PCM convention"),
            std::string::npos)
      << c.status().message();
  c = ParseConfig(
      "rooms:\n  - name: r\n    participants:\n"
      "      - {name: a, remote_rtp_port: 4000, audio: {codec: G722, g722_pcm_bits: 8}}\n",
      "t.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("rooms[0].participants[0].audio.g722_pcm_bits: must be 16"),
            std::string::npos)
      << c.status().message();
}

// A camera's video.sprop_parameter_sets: `value` as line 9 of a room's config.
StatusOr<Config> WithSprop(const std::string& codec, const std::string& value) {
  return ParseConfig(
      "rooms:\n"
      "  - name: r\n"
      "    video:\n"
      "      profiles: [{name: hd, codec: H264}]\n"
      "    participants:\n"
      "      - name: cam\n"
      "        video:\n"
      "          codec: " +
          codec +
          "\n"
          "          sprop_parameter_sets: \"" +
          value + "\"\n",
      "t.yaml");
}

TEST(RoomParticipantVideo, SpropParameterSetsAreCheckedWhenTheConfigIs) {
  // The SPS and PPS of a 640x360 x264 stream (tests/unit/rtp/h264_test_data.h).
  const std::string sps = "Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=";
  const std::string pps = "aOvjyyLA";
  auto c = WithSprop("H264", sps + "," + pps);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rooms[0].participants[0].video->sprop_parameter_sets, sps + "," + pps);

  c = ParseConfig(
      "rooms:\n  - name: r\n    video: {profiles: [{name: hd, codec: H264}]}\n"
      "    participants: [{name: cam, video: {codec: H264}}]\n",
      "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rooms[0].participants[0].video->sprop_parameter_sets, "");
  c = WithSprop("H264", "");  // given empty: none, as left out
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rooms[0].participants[0].video->sprop_parameter_sets, "");

  c = WithSprop("H264", sps + ",aOvj-yLA");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "t.yaml:9: rooms[0].participants[0].video.sprop_parameter_sets: NAL unit 2 is not "
            "base64");
  c = WithSprop("H264", sps);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "t.yaml:9: rooms[0].participants[0].video.sprop_parameter_sets: has no PPS (NAL unit "
            "type 8)");
  c = WithSprop("H264", sps + ",BgUBgA==," + pps);  // an SEI between them
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "t.yaml:9: rooms[0].participants[0].video.sprop_parameter_sets: NAL unit 2 (type 6) "
            "is not an SPS or a PPS: only SPS and PPS belong here");
  c = WithSprop("VP8", sps + "," + pps);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "t.yaml:9: rooms[0].participants[0].video.sprop_parameter_sets: is for H264 cameras "
            "only");
}

}  // namespace
}  // namespace tessera::app

namespace tessera::app {
namespace {

TEST(RoomParticipantConsent, IsUnknownByDefaultAndOnlyTheThreeNamesAreTaken) {
  auto c = ParseConfig(R"(
rooms:
  - name: r
    participants:
      - {name: a, remote_rtp_port: 40000, audio: {codec: opus}}
      - {name: b, remote_rtp_port: 40002, audio: {codec: opus}, consent: granted}
)",
                       "c.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rooms[0].participants[0].consent, session::Consent::kUnknown);
  EXPECT_EQ(c->rooms[0].participants[1].consent, session::Consent::kGranted);
  auto bad = ParseConfig(R"(
rooms:
  - name: r
    participants:
      - {name: a, remote_rtp_port: 40000, audio: {codec: opus}, consent: yes}
)",
                         "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "rooms[0].participants[0].consent: must be unknown, granted or declined"),
            std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace tessera::app

namespace tessera::app {
namespace {

TEST(RoomRecordingConsentPolicy, IsRequireByDefaultExcludeWhenSaidAndElseRefused) {
  auto c = ParseConfig(R"(
rooms:
  - name: r
    participants: []
  - name: s
    recording: {consent: exclude}
    participants: []
)",
                       "c.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rooms[0].recording.consent, session::ConsentPolicy::kRequire);
  EXPECT_EQ(c->rooms[1].recording.consent, session::ConsentPolicy::kExclude);
  for (const char* bad_block : {"{consent: drop}", "{consent: exclude, when: always}", "exclude"}) {
    auto bad = ParseConfig(std::string(R"(
rooms:
  - name: r
    recording: )") + bad_block +
                               R"(
    participants: []
)",
                           "c.yaml");
    ASSERT_FALSE(bad.ok()) << bad_block;
    EXPECT_NE(bad.status().message().find("rooms[0].recording"), std::string::npos)
        << bad.status().message();
  }
}

TEST(RoomRecordingRetention, IsTheRecordersUnlessSaidAndOnlyIn1To36500Days) {
  auto c = ParseConfig(R"(
rooms:
  - name: r
    participants: []
  - name: s
    recording: {consent: exclude, retention_days: 7}
    participants: []
)",
                       "c.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rooms[0].recording.retention_days, 0u) << "0: the recorder's own";
  EXPECT_EQ(c->rooms[1].recording.retention_days, 7u);
  for (const char* bad : {"0", "36501", "-1", "week", "[7]"}) {
    auto refused = ParseConfig(std::string(R"(
rooms:
  - name: r
    recording: {retention_days: )") +
                                   bad +
                                   R"(}
    participants: []
)",
                               "c.yaml");
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.status().message().find("rooms[0].recording.retention_days"),
              std::string::npos)
        << refused.status().message();
  }
  // A room made through the API: the same check, the key path relative to the body.
  auto api = RoomConfigFromJson({{"name", "a"},
                                 {"participants", nlohmann::json::array()},
                                 {"recording", {{"retention_days", 90}}}},
                                HardwareConfig{});
  ASSERT_TRUE(api.ok()) << api.status().ToString();
  EXPECT_EQ(api->recording.retention_days, 90u);
  auto api_bad = RoomConfigFromJson({{"name", "a"},
                                     {"participants", nlohmann::json::array()},
                                     {"recording", {{"retention_days", 0}}}},
                                    HardwareConfig{});
  ASSERT_FALSE(api_bad.ok());
  EXPECT_NE(api_bad.status().message().find("recording.retention_days: must be in 1..36500"),
            std::string::npos)
      << api_bad.status().message();
}

TEST(RoomRecordingConsentPolicy, ExcludeRefusesTheDemosLiveRecording) {
  auto c = ParseConfig(R"(
rooms:
  - name: r
    recording: {consent: exclude}
    video: {record: r.mp4}
    participants: []
)",
                       "c.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("video.record: cannot be used with recording.consent: "
                                      "exclude"),
            std::string::npos)
      << c.status().message();
}

TEST(RoomParticipantRecorder, IsOnlyForAReceiveOnlyParticipant) {
  auto c = ParseConfig(R"(
rooms:
  - name: r
    participants:
      - {name: rec, remote_rtp_port: 40000, audio: {codec: opus}, receive_only: true,
         recorder: true}
)",
                       "c.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->rooms[0].participants[0].recorder);
  auto bad = ParseConfig(R"(
rooms:
  - name: r
    participants:
      - {name: rec, remote_rtp_port: 40000, audio: {codec: opus}, recorder: true}
)",
                         "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "rooms[0].participants[0].recorder: is only for a receive_only participant"),
            std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace tessera::app
