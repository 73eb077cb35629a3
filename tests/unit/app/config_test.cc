#include "app/config.h"

#include <gtest/gtest.h>

namespace tessera::app {
namespace {

TEST(Config, EmbeddedDefaultIsValid) {
  auto c = LoadDefaultConfig();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->participants.size(), 1u);
  EXPECT_EQ(c->participants[0].name, "demo-camera");
  EXPECT_EQ(c->participants[0].local_port, 5004);
  EXPECT_EQ(c->participants[0].video->codec, rtp::Codec::kH264);
  EXPECT_EQ(c->server.mtu, 1200u);
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
  EXPECT_NE(m.find("bad.yaml:5: participants[0].video.codec: must be H264 or VP8, got 'H265'"),
            std::string::npos)
      << m;
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
