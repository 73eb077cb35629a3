#include "app/config.h"

#include <gtest/gtest.h>

namespace tessera::app {
namespace {

TEST(Config, EmbeddedDefaultIsValid) {
  auto c = LoadDefaultConfig();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->participants.empty());
  ASSERT_EQ(c->rooms.size(), 1u);
  const RoomConfig& room = c->rooms[0];
  ASSERT_TRUE(room.video.has_value());
  EXPECT_EQ(room.video->profiles.front().width, 1280);
  EXPECT_EQ(room.video->record, "tessera-demo.mp4");
  int cameras = 0;
  for (const auto& p : room.participants) cameras += p.video && p.video->send;
  EXPECT_EQ(cameras, 9);
  EXPECT_EQ(room.participants.back().video->sdp_file, "tessera-demo-watch.sdp");
  EXPECT_EQ(c->server.mtu, 1200u);
  // Profiles for SIP phones too (with a sip block): H.264 in packetization-mode 0 and VP8.
  int single_nal = 0;
  int vp8 = 0;
  for (const auto& p : room.video->profiles) {
    single_nal += p.codec == rtp::Codec::kH264 && p.single_nal;
    vp8 += p.codec == rtp::Codec::kVp8;
  }
  EXPECT_GE(single_nal, 1);
  EXPECT_GE(vp8, 1);
  EXPECT_EQ(room.video->record_profile, "hd");
}

TEST(Config, ParsesARoomWithVideo) {
  auto c = ParseConfig(R"(
rooms:
  - name: ward
    video:
      layout: stage
      fit: crop
      border_px: 2
      background: "#102030"
      placeholder_after_ms: 1500
      keyframe_coalesce_ms: 250
      profiles:
        - {name: hd, codec: H264, width: 1280, height: 720, fps: 30, bitrate_kbps: 1500}
        - {name: low, codec: VP8, width: 640, height: 360, fps: 15, bitrate_kbps: 300}
      layouts:
        - name: stage
          regions: [{x: 0, y: 0, width: 1, height: 1, slot: speaker}]
      record: ward.mp4
      record_profile: hd
    participants:
      - name: cam
        video: {codec: VP8, local_port: 31000, remote_rtp_port: 41000, profile: low, role: presenter}
      - name: phone
        local_port: 31002
        remote_rtp_port: 41002
        audio: {codec: PCMU}
      - name: viewer
        video: {send: false, remote_rtp_port: 41004, sdp_file: v.sdp, adapt: false}
)",
                       "v.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const RoomConfig& r = c->rooms[0];
  ASSERT_TRUE(r.video);
  EXPECT_EQ(r.video->layout, "stage");
  EXPECT_EQ(r.video->fit, mixer::FitPolicy::kCrop);
  EXPECT_EQ(r.video->background_rgb, 0x102030u);
  EXPECT_EQ(r.video->profiles[1].codec, rtp::Codec::kVp8);
  EXPECT_EQ(r.video->profiles[1].bitrate_bps, 300'000);
  ASSERT_EQ(r.video->layouts.size(), 1u);
  EXPECT_FALSE(r.participants[0].has_audio);
  EXPECT_EQ(r.participants[0].video->payload_type, 97);
  EXPECT_EQ(r.participants[0].video->role, "presenter");
  EXPECT_TRUE(r.participants[1].has_audio);
  EXPECT_FALSE(r.participants[1].video);
  EXPECT_FALSE(r.participants[2].video->send);
  EXPECT_FALSE(r.participants[2].video->adapt);
}

TEST(Config, RoomConfigsThatWouldFailAtStartFailTheCheck) {
  auto c = ParseConfig(R"(
participants:
  - {name: cam, local_port: 30000, video: {codec: H264}}
rooms:
  - name: r
    video:
      profiles: [{name: hd, codec: H264}]
      record: out.webm
    participants:
      - name: a
        local_port: 30002
        remote_rtp_port: 40000
        remote_address: localhost
        audio: {codec: PCMU}
        video: {codec: H264, local_port: 30002}
      - {name: b, video: {codec: VP8, local_port: 30000}}
  - name: r2
    video:
      profiles: [{name: hd, codec: VP8}]
      record_profile: hd
    participants:
      - {name: c, video: {codec: VP8}}
)",
                       "start.yaml");
  ASSERT_FALSE(c.ok());
  const std::string m = c.status().message();
  EXPECT_NE(m.find("rooms[0].video.record: a H264 recording needs .mp4 or .mkv, got 'out.webm'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("rooms[0].participants[0].remote_address: must be an IPv4 or IPv6 address"),
            std::string::npos);
  EXPECT_NE(m.find("rooms[0].participants[0].video.local_port: port 30002 is used"),
            std::string::npos);
  EXPECT_NE(m.find("rooms[0].participants[1].video.local_port: port 30000 is used"),
            std::string::npos);
  EXPECT_NE(m.find("rooms[1].video.record_profile: is set but video.record (the file) is not"),
            std::string::npos);
}

TEST(Config, RoomVideoErrorsNameTheKey) {
  auto c = ParseConfig(R"(
rooms:
  - name: r
    video:
      layout: nowhere
      fit: stretch
      profiles:
        - {name: hd, codec: H265, width: 1281}
    participants:
      - name: a
        video: {codec: H264, profile: missing}
      - name: b
        video: {send: false}
      - name: c
        local_port: 30000
        video: {codec: VP8}
  - name: r2
    participants:
      - name: d
        video: {codec: H264}
)",
                       "bad.yaml");
  ASSERT_FALSE(c.ok());
  const std::string m = c.status().message();
  EXPECT_NE(m.find("bad.yaml:5: rooms[0].video.layout: unknown layout 'nowhere'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("rooms[0].video.fit: must be crop or letterbox, got 'stretch'"),
            std::string::npos);
  EXPECT_NE(m.find("rooms[0].video.profiles[0].codec: must be H264, VP8 or VP9, got 'H265'"),
            std::string::npos);
  EXPECT_NE(m.find("width and height must be even"), std::string::npos);
  EXPECT_NE(m.find("rooms[0].participants[0].video.profile: no profile 'missing'"),
            std::string::npos);
  EXPECT_NE(m.find("rooms[0].participants[1].video: neither sends"), std::string::npos);
  EXPECT_NE(m.find("rooms[0].participants[2].local_port: is an audio port"), std::string::npos);
  EXPECT_NE(m.find("rooms[1].video: is required when participants have video"), std::string::npos);
}

TEST(Config, Vp9CamerasAndProfilesRecordToWebm) {
  auto c = ParseConfig(R"(
rooms:
  - name: weak
    video:
      profiles:
        - {name: hd, codec: H264, width: 1280, height: 720, fps: 30, bitrate_kbps: 1500}
        - {name: small, codec: vp9, width: 320, height: 180, fps: 15, bitrate_kbps: 150}
      record: weak.webm
      record_profile: small
    participants:
      - name: browser
        video: {codec: VP9, remote_rtp_port: 41000, profile: small}
)",
                       "vp9.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const RoomConfig& r = c->rooms[0];
  EXPECT_EQ(r.video->profiles[1].codec, rtp::Codec::kVp9);
  EXPECT_EQ(r.participants[0].video->codec, rtp::Codec::kVp9);
  EXPECT_EQ(r.participants[0].video->payload_type, 98);
  EXPECT_EQ(CompositePayloadType(*r.participants[0].video, rtp::Codec::kVp9), 98);

  auto mp4 = ParseConfig(R"(
rooms:
  - name: weak
    video:
      profiles: [{name: small, codec: VP9, width: 320, height: 180, fps: 15, bitrate_kbps: 150}]
      record: weak.mp4
)",
                         "vp9.yaml");
  ASSERT_FALSE(mp4.ok());
  EXPECT_NE(mp4.status().message().find("a VP9 recording needs .webm or .mkv, got 'weak.mp4'"),
            std::string::npos)
      << mp4.status().message();
}

TEST(Config, Av1IsForCamerasNotProfiles) {
  auto c = ParseConfig(R"(
rooms:
  - name: r
    video:
      profiles: [{name: hd, codec: VP9, width: 640, height: 360, fps: 30, bitrate_kbps: 500}]
    participants:
      - name: browser
        video: {codec: AV1, remote_rtp_port: 41000}
)",
                       "av1.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rooms[0].participants[0].video->codec, rtp::Codec::kAv1);
  EXPECT_EQ(c->rooms[0].participants[0].video->payload_type, 99);

  auto bad = ParseConfig(R"(
rooms:
  - name: r
    video:
      profiles: [{name: hd, codec: AV1, width: 640, height: 360, fps: 30, bitrate_kbps: 500}]
)",
                         "av1.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "rooms[0].video.profiles[0].codec: must be H264, VP8 or VP9: AV1 is decoded from "
                "cameras, not encoded"),
            std::string::npos)
      << bad.status().message();
}

TEST(Config, EmptyDocumentMeansDefaults) {
  auto c = ParseConfig("", "empty.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server.rtp_port_min, 20000);
  EXPECT_TRUE(c->participants.empty());
}

TEST(Config, ParsesAFullParticipant) {
  auto c = ParseConfig(R"(
server:
  shards: 4
  rtp_ports: 30000-30100
participants:
  - name: room-a
    rtcp_mux: true
    remote_address: 127.0.0.1
    remote_rtcp_port: 7000
    video: {codec: vp8, payload_type: 100}
    srtp: {suite: AEAD_AES_128_GCM, key: "inline:abc"}
    record: a.webm
    nack: false
    keyframe_request: fir
)",
                       "full.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server.shards, 4u);
  EXPECT_EQ(c->server.rtp_port_min, 30000);
  EXPECT_EQ(c->server.rtp_port_max, 30100);
  const auto& p = c->participants[0];
  EXPECT_EQ(p.video->codec, rtp::Codec::kVp8);
  EXPECT_EQ(p.video->payload_type, 100);
  EXPECT_EQ(p.srtp->suite, "AEAD_AES_128_GCM");
  EXPECT_FALSE(p.nack);
  EXPECT_EQ(p.keyframe_request, KeyframeRequestMode::kFir);
  EXPECT_EQ(p.remote_rtcp_port, 7000);
}

TEST(Config, ErrorsNameFileLineKeyAndReason) {
  auto c = ParseConfig(R"(server:
  mtu: 100
participants:
  - name: cam
    video: {codec: H265, payload_type: 96}
)",
                       "bad.yaml");
  ASSERT_FALSE(c.ok());
  const std::string& m = c.status().message();
  EXPECT_NE(m.find("bad.yaml:2: server.mtu: must be in 576..9000, got 100"), std::string::npos)
      << m;
  EXPECT_NE(
      m.find("bad.yaml:5: participants[0].video.codec: must be H264, VP8, VP9 or AV1, got 'H265'"),
      std::string::npos)
      << m;
}

TEST(Config, LogFormatIsTextByDefaultJsonOnRequestAndNothingElse) {
  auto by_default = ParseConfig("server: {log_level: warn}\n", "default.yaml");
  ASSERT_TRUE(by_default.ok()) << by_default.status().ToString();
  EXPECT_EQ(by_default->server.log_format, "text");

  auto json = ParseConfig("server:\n  log_format: json\n", "json.yaml");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(json->server.log_format, "json");

  auto bad = ParseConfig("server:\n  log_format: logfmt\n", "bad.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "bad.yaml:2: server.log_format: must be text or json, got 'logfmt'"),
            std::string::npos)
      << bad.status().message();
}

TEST(Config, RejectsUnknownKeysDuplicatesAndPortClashes) {
  auto c = ParseConfig(R"(
server:
  shard: 2
participants:
  - name: a
    local_port: 5004
    rtcp_mux: false
    video: {codec: H264, payload_type: 96}
  - name: a
    local_port: 5005
    video: {codec: H264, payload_type: 96}
)",
                       "x.yaml");
  ASSERT_FALSE(c.ok());
  const std::string& m = c.status().message();
  EXPECT_NE(m.find("server.shard: unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("duplicate participant name 'a'"), std::string::npos) << m;
  EXPECT_NE(m.find("port 5005 is used by another participant"), std::string::npos) << m;
}

TEST(Config, RejectsMissingVideoAndBadValues) {
  auto c = ParseConfig(R"(
participants:
  - name: a
    nack: maybe
    keyframe_request: always
)",
                       "y.yaml");
  ASSERT_FALSE(c.ok());
  const std::string& m = c.status().message();
  EXPECT_NE(m.find("participants[0].video: is required"), std::string::npos) << m;
  EXPECT_NE(m.find("participants[0].nack: must be true or false"), std::string::npos) << m;
  EXPECT_NE(m.find("keyframe_request: must be pli, fir or none"), std::string::npos) << m;
}

TEST(Config, ReportsYamlSyntaxErrorsWithLine) {
  auto c = ParseConfig("server:\n  mtu: [1200\n", "syntax.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("syntax.yaml:"), std::string::npos);
  EXPECT_NE(c.status().message().find("not valid YAML"), std::string::npos);
}

TEST(Config, MissingFileIsNotFound) {
  auto c = LoadConfigFile("/nonexistent/tessera.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tessera::app

namespace tessera::app {
namespace {

TEST(RecorderConfig, ParsesTheRecorderAndReportsEachMistakeWithItsKey) {
  auto ok = ParseConfig(R"(
control:
  recorder: {url: "https://recorder.example:8444", token_file: /etc/tessera/recorder.token,
             ca_file: /etc/tessera/ca.pem}
)",
                        "r.yaml");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->control.recorder.url, "https://recorder.example:8444");
  EXPECT_EQ(ok->control.recorder.token_file, "/etc/tessera/recorder.token");
  EXPECT_EQ(ok->control.recorder.ca_file, "/etc/tessera/ca.pem");
  auto none = ParseConfig("control: {port: 8080}", "r.yaml");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->control.recorder.url.empty()) << "no recorder unless one is configured";

  auto bad = ParseConfig("control:\n  recorder: {url: \"ftp://x\", token: abc}\n", "r.yaml");
  ASSERT_FALSE(bad.ok());
  const std::string m = bad.status().message();
  EXPECT_NE(m.find("control.recorder.url: must start with http:// or https://"), std::string::npos)
      << m;
  EXPECT_NE(m.find("control.recorder.token_file: is required"), std::string::npos) << m;
  EXPECT_NE(m.find("control.recorder.token: unknown key"), std::string::npos) << m;
}

}  // namespace
}  // namespace tessera::app
