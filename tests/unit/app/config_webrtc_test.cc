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
