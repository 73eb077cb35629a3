#include "app/config_webrtc.h"

#include <gtest/gtest.h>

#include "app/config.h"

namespace tessera::app {
namespace {

TEST(WebRtcConfig, AbsentBlockLeavesItOffAndTheDefaultConfigTurnsItOn) {
  auto c = ParseConfig("", "w.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->webrtc.enabled);
  auto d = LoadDefaultConfig();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->webrtc.enabled);
  EXPECT_EQ(d->webrtc.bind_address, "127.0.0.1");
  EXPECT_EQ(d->webrtc.udp_port, 8443);
}

TEST(WebRtcConfig, ParsesEveryKey) {
  auto c = ParseConfig(R"(
webrtc:
  bind_address: 10.1.2.3
  udp_port: 0
  announced_address: 203.0.113.7
  certificate_file: /etc/tessera/dtls.pem
  key_file: /etc/tessera/dtls.key
)",
                       "w.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->webrtc.enabled);
  EXPECT_EQ(c->webrtc.bind_address, "10.1.2.3");
  EXPECT_EQ(c->webrtc.udp_port, 0);
  EXPECT_EQ(c->webrtc.announced_address, "203.0.113.7");
  EXPECT_EQ(c->webrtc.certificate_file, "/etc/tessera/dtls.pem");
  EXPECT_EQ(c->webrtc.key_file, "/etc/tessera/dtls.key");
}

TEST(WebRtcConfig, EveryMistakeIsReportedWithItsKey) {
  auto c = ParseConfig(R"(
webrtc:
  bind_address: 0.0.0.0
  udp_port: 70000
  announced_address: not-an-address
  certificate_file: /etc/tessera/dtls.pem
  stun: yes
)",
                       "w.yaml");
  ASSERT_FALSE(c.ok());
  const std::string m = c.status().message();
  EXPECT_NE(m.find("webrtc.udp_port"), std::string::npos) << m;
  EXPECT_NE(m.find("webrtc.announced_address: must be an IPv4 or IPv6 address"), std::string::npos)
      << m;
  EXPECT_NE(m.find("certificate_file and key_file go together"), std::string::npos) << m;
  EXPECT_NE(m.find("webrtc.stun: unknown key"), std::string::npos) << m;
}

TEST(WebRtcConfig, TurnServersTheirSecretFileAndTheCredentialsLifetime) {
  auto c = ParseConfig(R"(
webrtc:
  turn:
    urls: ["turn:127.0.0.1:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"]
    secret_file: /etc/tessera/turn-secret
    ttl_s: 3600
)",
                       "w.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->webrtc.turn.urls,
            (std::vector<std::string>{"turn:127.0.0.1:3478?transport=udp",
                                      "turns:turn.example.org:5349?transport=tcp"}));
  EXPECT_EQ(c->webrtc.turn.secret_file, "/etc/tessera/turn-secret");
  EXPECT_EQ(c->webrtc.turn.ttl_s, 3600);
  // Without a turn block: none, and nobody is handed credentials.
  auto none = ParseConfig("webrtc: {udp_port: 0}", "w.yaml");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->webrtc.turn.urls.empty());

  auto bad = ParseConfig(R"(
webrtc:
  turn:
    urls: ["http://turn.example.org", "turn:a>b"]
    ttl_s: 5
    realm: x
)",
                         "w.yaml");
  ASSERT_FALSE(bad.ok());
  const std::string m = bad.status().message();
  EXPECT_NE(m.find("webrtc.turn.urls[0]: must be a turn:"), std::string::npos) << m;
  EXPECT_NE(m.find("webrtc.turn.urls[1]"), std::string::npos) << m;
  EXPECT_NE(m.find("webrtc.turn.secret_file"), std::string::npos) << m;
  EXPECT_NE(m.find("webrtc.turn.ttl_s"), std::string::npos) << m;
  EXPECT_NE(m.find("webrtc.turn.realm: unknown key"), std::string::npos) << m;
  EXPECT_FALSE(ParseConfig("webrtc: {turn: {urls: [], secret_file: /s}}", "w.yaml").ok());
}

TEST(WebRtcConfig, ThePortMayNotBeOneTheParticipantsPortsComeFrom) {
  auto c = ParseConfig("server: {rtp_ports: 20000-20999}\nwebrtc: {udp_port: 20500}", "w.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("webrtc.udp_port: 20500 is inside server.rtp_ports"),
            std::string::npos)
      << c.status().message();
  EXPECT_TRUE(
      ParseConfig("server: {rtp_ports: 20000-20999}\nwebrtc: {udp_port: 21000}", "w.yaml").ok());
}

TEST(WebRtcConfig, AnUnspecifiedBindAddressNeedsAnAnnouncedOne) {
  auto c = ParseConfig("webrtc: {bind_address: 0.0.0.0}", "w.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("give announced_address"), std::string::npos)
      << c.status().message();
  EXPECT_TRUE(
      ParseConfig("webrtc: {bind_address: 0.0.0.0, announced_address: 198.51.100.4}", "w.yaml")
          .ok());
}

}  // namespace
}  // namespace tessera::app
