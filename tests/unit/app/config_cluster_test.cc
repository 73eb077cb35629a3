#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/config.h"

namespace tessera::app {
namespace {

using ::testing::HasSubstr;

TEST(ConfigCluster, AbsentMeansALoneNode) {
  auto c = ParseConfig("server:\n  log_level: info\n", "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->cluster.enabled);
}

TEST(ConfigCluster, ParsesEveryKeyAndRoomsTakeARegion) {
  auto c = ParseConfig(R"(
control: {enabled: true, listen_address: 127.0.0.2, port: 8443}
cluster:
  redis: "10.0.0.5:6380"
  redis_password_file: /etc/tessera/redis.pass
  key_prefix: "site-a:"
  node_id: mcu-a
  region: ward-east
  api_url: https://mcu-a.example:8443
  lease_ms: 8000
  heartbeat_ms: 2000
  capacity_units: 88
  room_units: 3
rooms:
  - name: icu
    region: ward-east
    participants: []
)",
                       "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto& k = c->cluster;
  EXPECT_TRUE(k.enabled);
  EXPECT_EQ(k.redis_host, "10.0.0.5");
  EXPECT_EQ(k.redis_port, 6380);
  EXPECT_EQ(k.redis_password_file, "/etc/tessera/redis.pass");
  EXPECT_EQ(k.key_prefix, "site-a:");
  EXPECT_EQ(k.node_id, "mcu-a");
  EXPECT_EQ(k.region, "ward-east");
  EXPECT_EQ(k.api_url, "https://mcu-a.example:8443");
  EXPECT_EQ(k.lease_ms, 8000u);
  EXPECT_EQ(k.heartbeat_ms, 2000u);
  EXPECT_EQ(k.capacity_units, 88u);
  EXPECT_EQ(k.room_units, 3u);
  ASSERT_EQ(c->rooms.size(), 1u);
  EXPECT_EQ(c->rooms[0].region, "ward-east");
}

TEST(ConfigCluster, DefaultsComeFromTheControlBlock) {
  auto c = ParseConfig(R"(
control: {enabled: true, listen_address: 127.0.0.3, port: 8080}
cluster: {redis: "127.0.0.1:6379"}
)",
                       "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cluster.api_url, "http://127.0.0.3:8080");
  EXPECT_THAT(c->cluster.node_id, HasSubstr("/127.0.0.3:8080"));
  EXPECT_EQ(c->cluster.region, "default");
  EXPECT_EQ(c->cluster.lease_ms, 5000u);
}

TEST(ConfigCluster, SipCallersAreSentToTheFirstFixedSipAddress) {
  auto c = ParseConfig(R"(
control: {enabled: true, listen_address: 127.0.0.3, port: 8080}
sip:
  listen:
    - {transport: udp, address: 0.0.0.0, port: 5060}
    - {transport: tcp, address: 10.0.0.11, port: 5062}
cluster: {redis: "127.0.0.1:6379"}
)",
                       "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cluster.sip_address, "10.0.0.11:5062;transport=tcp");
}

TEST(ConfigCluster, EveryMistakeIsNamed) {
  auto c = ParseConfig(R"(
cluster:
  redis: "no-port"
  api_url: "mcu-a:8443"
  lease_ms: 2000
  heartbeat_ms: 1500
  sip_address: "nohost"
  colour: blue
)",
                       "t.yaml");
  ASSERT_FALSE(c.ok());
  const std::string m = c.status().message();
  EXPECT_THAT(m, HasSubstr("cluster.redis: must be host:port"));
  EXPECT_THAT(m, HasSubstr("cluster.api_url: must be http://"));
  EXPECT_THAT(m, HasSubstr("cluster.heartbeat_ms: must be at most half of lease_ms"));
  EXPECT_THAT(m, HasSubstr("cluster.colour: unknown key"));
  EXPECT_THAT(m, HasSubstr("cluster.sip_address: must be host:port"));
  EXPECT_THAT(m, HasSubstr("cluster: needs the control block"));
}

TEST(ConfigCluster, AWildcardListenAddressNeedsAnApiUrl) {
  auto c = ParseConfig(R"(
control: {enabled: true, listen_address: 0.0.0.0, port: 8443, allow_plain_http: true}
cluster: {redis: "127.0.0.1:6379"}
)",
                       "t.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("cluster.api_url: is required"));
}

TEST(ConfigCluster, CascadeMediaGoesToTheBindAddressOrItsOwnAddress) {
  auto c = ParseConfig(R"(
server: {bind_address: 10.0.0.2}
control: {enabled: true, listen_address: 10.0.0.2, port: 8443, allow_plain_http: true}
cluster: {redis: "127.0.0.1:6379"}
)",
                       "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cluster.media_address, "10.0.0.2");
  // A wildcard bind address is no address another node can send to.
  auto wild = ParseConfig(R"(
server: {bind_address: 0.0.0.0}
control: {enabled: true, listen_address: 10.0.0.2, port: 8443, allow_plain_http: true}
cluster: {redis: "127.0.0.1:6379"}
)",
                          "t.yaml");
  ASSERT_FALSE(wild.ok());
  EXPECT_THAT(wild.status().message(), HasSubstr("cluster.media_address: is required"));
  auto given = ParseConfig(R"(
server: {bind_address: 0.0.0.0}
control: {enabled: true, listen_address: 10.0.0.2, port: 8443, allow_plain_http: true}
cluster: {redis: "127.0.0.1:6379", media_address: 10.0.0.7}
)",
                           "t.yaml");
  ASSERT_TRUE(given.ok()) << given.status().ToString();
  EXPECT_EQ(given->cluster.media_address, "10.0.0.7");
}

TEST(ConfigCluster, ARoomOfTheFileCannotBeCascaded) {
  auto c = ParseConfig(R"(
rooms:
  - name: allhands
    cascade: {per_node: 10}
    participants: []
)",
                       "t.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              HasSubstr("rooms[0].cascade: only rooms created through the API"));
}

}  // namespace
}  // namespace tessera::app
