#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/config.h"

namespace tessera::app {
namespace {

using ::testing::HasSubstr;

TEST(ConfigAudit, AbsentMeansNoAuditTrail) {
  auto c = ParseConfig("server:\n  log_level: info\n", "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->audit.enabled);
}

TEST(ConfigAudit, ParsesEveryKey) {
  auto c = ParseConfig(R"(
audit:
  path: /var/lib/tessera/audit.log
  key_file: /etc/tessera/audit.pem
  key_id: node-1-2026
  checkpoint_every: 50
  checkpoint_interval_s: 30
  syslog: "siem.example.net:6514"
  hash_names: true
  name_salt_file: /etc/tessera/name-salt
)",
                       "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const AuditConfig& a = c->audit;
  EXPECT_TRUE(a.enabled);
  EXPECT_EQ(a.path, "/var/lib/tessera/audit.log");
  EXPECT_EQ(a.key_file, "/etc/tessera/audit.pem");
  EXPECT_EQ(a.key_id, "node-1-2026");
  EXPECT_EQ(a.checkpoint_every, 50u);
  EXPECT_EQ(a.checkpoint_interval_s, 30u);
  EXPECT_EQ(a.syslog, "siem.example.net:6514");
  EXPECT_TRUE(a.hash_names);
  EXPECT_EQ(a.name_salt_file, "/etc/tessera/name-salt");
}

TEST(ConfigAudit, DefaultsForWhatIsLeftOut) {
  auto c = ParseConfig("audit:\n  path: a.log\n  key_file: a.pem\n", "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->audit.checkpoint_every, 100u);
  EXPECT_EQ(c->audit.checkpoint_interval_s, 60u);
  EXPECT_TRUE(c->audit.syslog.empty());
  EXPECT_FALSE(c->audit.hash_names);
}

TEST(ConfigAudit, RefusesUnknownKeysMissingFilesAndBadValues) {
  auto c = ParseConfig(R"(
audit:
  path: a.log
  chekpoint_every: 10
)",
                       "t.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("t.yaml:4: audit.chekpoint_every: unknown key"));
  EXPECT_THAT(c.status().message(), HasSubstr("audit.key_file: is required"));

  c = ParseConfig("audit:\n  key_file: k\n", "t.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("audit.path: is required"));

  c = ParseConfig("audit:\n  path: a\n  key_file: k\n  checkpoint_every: 0\n", "t.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("audit.checkpoint_every: must be in 1..100000"));

  c = ParseConfig("audit:\n  path: a\n  key_file: k\n  hash_names: true\n", "t.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("audit.name_salt_file: is required"));

  c = ParseConfig("audit: yes\n", "t.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("audit: must be a map"));
}

TEST(ConfigAudit, SyslogIsHostAndPort) {
  for (const char* good : {"siem:514", "192.0.2.1:1514", "[2001:db8::1]:514", "siem", "[::1]"}) {
    auto c = ParseConfig(
        std::string("audit:\n  path: a\n  key_file: k\n  syslog: \"") + good + "\"\n", "t.yaml");
    EXPECT_TRUE(c.ok()) << good << ": " << c.status().ToString();
  }
  for (const char* bad : {"siem:0", "siem:99999", "2001:db8::1", ":514", "siem:x", "[::1"}) {
    auto c = ParseConfig(
        std::string("audit:\n  path: a\n  key_file: k\n  syslog: \"") + bad + "\"\n", "t.yaml");
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_THAT(c.status().message(), HasSubstr("audit.syslog: must be host:port")) << bad;
  }
}

}  // namespace
}  // namespace tessera::app
