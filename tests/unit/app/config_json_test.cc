// Rooms and participants the API sends as JSON go through the YAML's own checks.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/config.h"

namespace tessera::app {
namespace {

nlohmann::json VideoRoom() {
  return nlohmann::json::parse(R"({
    "name": "ward-7",
    "sip": {"numbers": ["7007"]},
    "participants": [{"name": "cam", "video": {"codec": "VP8"}},
                     {"name": "nurse", "remote_rtp_port": 7000, "audio": {"codec": "opus"}}],
    "video": {"layout": "speaker", "highlight_speaker": false,
              "profiles": [{"name": "hd", "codec": "H264", "width": 1280, "height": 720}]}})");
}

TEST(RoomConfigFromJson, AcceptsWhatTheYamlAccepts) {
  auto room = RoomConfigFromJson(VideoRoom(), HardwareConfig{});
  ASSERT_TRUE(room.ok()) << room.status().message();
  EXPECT_EQ(room->name, "ward-7");
  ASSERT_EQ(room->participants.size(), 2u);
  EXPECT_EQ(room->participants[0].video->codec, rtp::Codec::kVp8);
  EXPECT_FALSE(room->participants[0].has_audio);
  EXPECT_EQ(room->participants[1].audio_codec, rtp::Codec::kOpus);
  ASSERT_TRUE(room->video.has_value());
  EXPECT_EQ(room->video->layout, "speaker");
  EXPECT_FALSE(room->video->highlight_speaker);  // a JSON boolean
  EXPECT_EQ(room->video->profiles.at(0).width, 1280);
  EXPECT_EQ(room->sip.numbers, std::vector<std::string>{"7007"});
}

TEST(RoomConfigFromJson, ReportsEveryErrorWithItsKeyPath) {
  nlohmann::json body = VideoRoom();
  body["video"]["profiles"][0]["fps"] = 500;
  body["participants"][1]["audio"]["codec"] = "speex";
  body["colour"] = "red";
  auto room = RoomConfigFromJson(body, HardwareConfig{});
  ASSERT_FALSE(room.ok());
  const std::string& m = room.status().message();
  EXPECT_NE(m.find("body: video.profiles[0].fps: must be in"), std::string::npos) << m;
  EXPECT_NE(m.find("body: participants[1].audio.codec: must be opus"), std::string::npos) << m;
  EXPECT_NE(m.find("body: colour: unknown key"), std::string::npos) << m;
  // One error a line, no leading dot on a path.
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 2) << m;
  EXPECT_EQ(m.find(": ."), std::string::npos) << m;
}

TEST(RoomConfigFromJson, RefusesServerPathsAndControlCharacters) {
  nlohmann::json body = VideoRoom();
  body["video"]["record"] = "/home/tessera/.ssh/authorized_keys";
  body["video"]["font"] = "/etc/shadow";
  body["participants"][0]["video"]["sdp_file"] = "/etc/cron.d/x";
  body["participants"][0]["video"]["remote_rtp_port"] = 6000;
  body["name"] = "x\nssh-ed25519 AAAA";
  auto room = RoomConfigFromJson(body, HardwareConfig{});
  ASSERT_FALSE(room.ok());
  const std::string& m = room.status().message();
  for (const char* path : {"video.record", "video.font", "participants[0].video.sdp_file"}) {
    EXPECT_NE(m.find(std::string(path) + ": is a path on the server"), std::string::npos)
        << path << " in " << m;
  }
  EXPECT_NE(m.find("name: must not contain control characters"), std::string::npos) << m;

  auto participant = RoomParticipantFromJson(nlohmann::json::parse(
      R"({"name": "p", "video": {"codec": "H264", "sdp_file": "/tmp/x.sdp",
          "remote_rtp_port": 6000}})"));
  ASSERT_FALSE(participant.ok());
  EXPECT_NE(participant.status().message().find("video.sdp_file: is a path on the server"),
            std::string::npos)
      << participant.status().message();
}

TEST(RoomParticipantFromJson, TakesAndChecksSpropParameterSets) {
  auto participant = RoomParticipantFromJson(nlohmann::json::parse(
      R"({"name": "p", "video": {"codec": "H264",
          "sprop_parameter_sets": "Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=,aOvjyyLA"}})"));
  ASSERT_TRUE(participant.ok()) << participant.status().message();
  EXPECT_EQ(participant->video->sprop_parameter_sets,
            "Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=,aOvjyyLA");
  participant = RoomParticipantFromJson(nlohmann::json::parse(
      R"({"name": "p", "video": {"codec": "H264", "sprop_parameter_sets": "aOvjyyLA"}})"));
  ASSERT_FALSE(participant.ok());
  EXPECT_NE(participant.status().message().find(
                "video.sprop_parameter_sets: has no SPS (NAL unit type 7)"),
            std::string::npos)
      << participant.status().message();
}

TEST(RoomConfigFromJson, NotAnObjectIsAClearError) {
  for (const char* text : {"[1,2]", "\"room\"", "42", "null"}) {
    auto room = RoomConfigFromJson(nlohmann::json::parse(text), HardwareConfig{});
    ASSERT_FALSE(room.ok()) << text;
    EXPECT_EQ(room.status().message(), "body: must be a JSON object") << text;
  }
  nlohmann::json deep = 1;
  for (int i = 0; i < 40; ++i) deep = nlohmann::json::array({deep});
  auto room =
      RoomConfigFromJson(nlohmann::json{{"name", "x"}, {"participants", deep}}, HardwareConfig{});
  ASSERT_FALSE(room.ok());
  EXPECT_NE(room.status().message().find("nested deeper than 32 levels"), std::string::npos)
      << room.status().message();
}

}  // namespace
}  // namespace tessera::app
