#include "app/audit_trail.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <tessera/audit/verify.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tessera::app {
namespace {

namespace fs = std::filesystem;

TEST(AuditTrail, NoBlockNoTrail) {
  auto trail = AuditTrail::Open(AuditConfig{});
  ASSERT_TRUE(trail.ok());
  EXPECT_EQ(*trail, nullptr);
}

TEST(AuditTrail, RecordsRequestsRefusedTokensRoomsAndReloads) {
  std::string tmpl = (fs::temp_directory_path() / "tessera-trail-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const fs::path dir = tmpl;
  AuditConfig config;
  config.enabled = true;
  config.path = (dir / "audit.log").string();
  config.key_file = (dir / "audit.pem").string();
  ASSERT_TRUE(audit::WriteEd25519KeyPair(config.key_file, (dir / "audit.pub.pem").string()).ok());
  auto trail = AuditTrail::Open(config);
  ASSERT_TRUE(trail.ok()) << trail.status().ToString();
  ASSERT_NE(*trail, nullptr);

  auto hook = (*trail)->ApiHook();
  hook({"alice", "admin", "192.0.2.7", "POST", "/v1/rooms", 201, ""});
  hook({"", "", "192.0.2.9", "GET", "/v1/rooms", 401, "bad signature"});
  auto rooms = (*trail)->observer();
  rooms->OnRoomCreated("ward");
  rooms->OnParticipantJoinedFrom("ward", 7, "bob", "sip", "192.0.2.44");
  rooms->OnConsentChangedBy("ward", 7, "bob", session::Consent::kDeclined, "sip-dtmf");
  (*trail)->RecordingHook()({{"type", "recording.stopping"},
                             {"room", "ward"},
                             {"recording",
                              {{"id", "rec-1"},
                               {"state", "stopping"},
                               {"requested_by", "alice"},
                               {"reason", "consent not granted by bob (declined)"}}}});
  rooms->OnParticipantLeft("ward", 7, "bob");
  rooms->OnRoomEnded("ward");
  (*trail)->ConfigReloaded("reloaded 2 key(s)");
  (*trail)->Close();

  std::ifstream in(config.path);
  std::vector<nlohmann::json> events;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] == "event") events.push_back(j);
  }
  std::vector<std::string> names;
  for (const auto& e : events) names.push_back(e["event"]);
  EXPECT_THAT(names, ::testing::ElementsAre("audit.opened", "api.request", "auth.failure",
                                            "api.request", "room.created", "participant.joined",
                                            "consent.changed", "recording.stopping",
                                            "participant.left", "room.ended", "config.reloaded"));
  EXPECT_EQ(events[1]["actor"], "alice");
  EXPECT_EQ(events[1]["status"], 201);
  EXPECT_EQ(events[2]["reason"], "bad signature");
  EXPECT_EQ(events[2]["source"], "192.0.2.9");
  EXPECT_FALSE(events[3].contains("actor"));
  EXPECT_EQ(events[5]["participant"], "bob");
  EXPECT_EQ(events[5]["transport"], "sip");
  EXPECT_EQ(events[5]["address"], "192.0.2.44");
  EXPECT_EQ(events[6]["consent"], "declined");
  EXPECT_EQ(events[6]["source"], "sip-dtmf");
  EXPECT_EQ(events[7]["recording"], "rec-1");
  EXPECT_EQ(events[7]["actor"], "alice");
  EXPECT_EQ(events[7]["reason"], "consent not granted by bob (declined)");
  EXPECT_TRUE(events[8].contains("duration_s"));

  auto key = audit::CheckpointVerifier::LoadPublicKey((dir / "audit.pub.pem").string());
  ASSERT_TRUE(key.ok());
  auto verified = audit::VerifyFile(config.path, key->get());
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok()) << verified->bad->ToString();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tessera::app
