#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <tessera/base/clock.h>
#include <tessera/recorder/key_ring.h>
#include <tessera/recorder/key_store.h>
#include <tessera/recorder/retention.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace tessera::recorder {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// FakeClock's wall time: 2026-01-01T00:00:00Z plus its monotonic microseconds.
constexpr int64_t kFakeEpoch = 1'767'225'600;
constexpr int64_t kDay = 86400;

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "retention_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directory(dir_ + "/keys");
    std::filesystem::create_directory(dir_ + "/eu");
    std::filesystem::create_directory(dir_ + "/us");
    store_ = std::make_unique<KeyStore>(dir_ + "/keys");
    locations_.Set("eu", dir_ + "/eu");
    locations_.Set("us", dir_ + "/us");
    auto kek = SecretKey::Random();
    ASSERT_TRUE(kek.ok());
    ASSERT_TRUE(ring_.AddKey("k1", *kek).ok());
    ASSERT_TRUE(ring_.SetActive("k1").ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A key store entry and a (stand-in) recording file in its region's directory.
  void AddRecording(const std::string& id, const std::string& region, int64_t expires_s,
                    std::vector<std::string> participants = {}) {
    RecordingEntry e;
    e.id = id;
    e.room = "board";
    e.region = region;
    e.started_s = kFakeEpoch - 10 * kDay;
    e.expires_s = expires_s;
    e.participants = std::move(participants);
    ASSERT_TRUE(store_->Create(e, ring_).ok());
    auto path = locations_.RecordingPath(region, id);
    if (path.ok()) std::ofstream(*path) << "ciphertext";
  }

  bool KeyExists(const std::string& id) { return std::filesystem::exists(store_->PathFor(id)); }
  bool FileExists(const std::string& region, const std::string& id) {
    return std::filesystem::exists(dir_ + "/" + region + "/" + id + ".tsrec");
  }

  Sweeper MakeSweeper() {
    return Sweeper(*store_, locations_, clock_,
                   [this](const nlohmann::json& e) { events_.push_back(e); });
  }

  std::string dir_;
  std::unique_ptr<KeyStore> store_;
  StorageLocations locations_;
  LocalKeyRing ring_;
  FakeClock clock_{0};
  std::vector<nlohmann::json> events_;
};

TEST_F(RetentionTest, SweepDeletesExactlyTheExpiredRecordingsAndTheirKeys) {
  clock_.AdvanceUs(5 * kDay * 1'000'000);
  const int64_t now = kFakeEpoch + 5 * kDay;
  ASSERT_EQ(UnixSeconds(clock_), now);
  AddRecording("old", "eu", now - 1);
  AddRecording("due", "us", now);  // expiring this second counts
  AddRecording("young", "eu", now + 1);

  Sweeper sweeper = MakeSweeper();
  const SweepResult r = sweeper.Sweep();
  EXPECT_THAT(r.deleted, UnorderedElementsAre("old", "due"));
  EXPECT_TRUE(r.problems.empty()) << r.problems.front();
  EXPECT_FALSE(KeyExists("old"));
  EXPECT_FALSE(FileExists("eu", "old"));
  EXPECT_FALSE(KeyExists("due"));
  EXPECT_FALSE(FileExists("us", "due"));
  EXPECT_TRUE(KeyExists("young"));
  EXPECT_TRUE(FileExists("eu", "young"));

  ASSERT_EQ(events_.size(), 2u);
  for (const auto& e : events_) {
    EXPECT_EQ(e["event"], "recording.deleted");
    EXPECT_EQ(e["reason"], "retention");
    EXPECT_EQ(e["result"], "ok");
  }

  // A day later the young one goes too, and nothing is reported twice.
  events_.clear();
  clock_.AdvanceUs(kDay * 1'000'000);
  EXPECT_THAT(sweeper.Sweep().deleted, UnorderedElementsAre("young"));
  EXPECT_EQ(events_.size(), 1u);
}

TEST_F(RetentionTest, ExpiryComesFromTheRoomsRetention) {
  RetentionPolicy policy;
  policy.per_room_s["legal"] = 365 * kDay;
  EXPECT_EQ(policy.ForRoom("board"), 30 * kDay);
  EXPECT_EQ(policy.ExpiresAt("board", 1000), 1000 + 30 * kDay);
  EXPECT_EQ(policy.ExpiresAt("legal", 1000), 1000 + 365 * kDay);
}

TEST_F(RetentionTest, EraseDeletesEveryRecordingAPersonIsIn) {
  const int64_t later = kFakeEpoch + 100 * kDay;
  AddRecording("r1", "eu", later, {"alice", "bob"});
  AddRecording("r2", "us", later, {"bob"});
  AddRecording("r3", "eu", later, {"alice"});
  AddRecording("r4", "eu", later, {"alice-2"});  // exact match only

  Sweeper sweeper = MakeSweeper();
  const auto found = sweeper.FindByIdentity("alice");
  ASSERT_EQ(found.size(), 2u);
  const SweepResult r = sweeper.Erase("alice");
  EXPECT_THAT(r.deleted, UnorderedElementsAre("r1", "r3"));
  EXPECT_FALSE(KeyExists("r1"));
  EXPECT_FALSE(FileExists("eu", "r1"));
  EXPECT_FALSE(KeyExists("r3"));
  EXPECT_TRUE(KeyExists("r2"));
  EXPECT_TRUE(KeyExists("r4"));
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0]["reason"], "erasure");
  EXPECT_EQ(events_[0]["identity"], "alice");
  EXPECT_TRUE(sweeper.FindByIdentity("alice").empty());
}

TEST_F(RetentionTest, ARegionWithoutALocationIsRefusedNeverMovedElsewhere) {
  auto dir = locations_.DirectoryFor("apac");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(dir.status().message(), HasSubstr("\"apac\""));
  EXPECT_FALSE(locations_.RecordingPath("apac", "rec-1").ok());
  EXPECT_FALSE(locations_.RecordingPath("", "rec-1").ok());  // no default either
  auto eu = locations_.RecordingPath("eu", "rec-1");
  ASSERT_TRUE(eu.ok());
  EXPECT_EQ(*eu, dir_ + "/eu/rec-1.tsrec");
}

TEST_F(RetentionTest, AnExpiredRecordingInAnUnknownRegionLosesItsKeyAnyway) {
  AddRecording("lost", "apac", kFakeEpoch - 1);  // no file: the region has no location
  const SweepResult r = MakeSweeper().Sweep();
  EXPECT_THAT(r.deleted, UnorderedElementsAre("lost"));
  EXPECT_FALSE(KeyExists("lost"));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_THAT(r.problems[0], HasSubstr("no storage location for region \"apac\""));
}

TEST_F(RetentionTest, AHalfDoneDeletionIsFinishedButUnknownFilesAreLeftAlone) {
  // A crash after the key was destroyed: the deletion record and the file remain.
  AddRecording("half", "eu", kFakeEpoch + kDay);
  ASSERT_TRUE(store_->Destroy("half").ok());
  std::ofstream(dir_ + "/keys/half.deleted") << "{}";
  // A file this key store never knew (another store's?): unreadable here, but not ours to delete.
  std::ofstream(dir_ + "/eu/stranger.tsrec") << "ciphertext";

  const SweepResult r = MakeSweeper().Sweep();
  EXPECT_THAT(r.deleted, UnorderedElementsAre("half"));
  EXPECT_FALSE(FileExists("eu", "half"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/keys/half.deleted"));
  EXPECT_TRUE(FileExists("eu", "stranger"));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_THAT(r.problems[0], HasSubstr("no deletion record"));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0]["reason"], "orphan");
}

TEST_F(RetentionTest, RecordingsInProgressAreNeitherSweptNorErased) {
  clock_.AdvanceUs(5 * kDay * 1'000'000);
  const int64_t now = kFakeEpoch + 5 * kDay;
  AddRecording("live", "eu", now - 1, {"alice"});
  AddRecording("done", "eu", now - 1, {"alice"});
  Sweeper sweeper = MakeSweeper();
  sweeper.SetInProgress([](const std::string& id) { return id == "live"; });
  SweepResult swept = sweeper.Sweep();
  EXPECT_THAT(swept.deleted, UnorderedElementsAre("done"));
  EXPECT_THAT(swept.in_progress, UnorderedElementsAre("live"));
  EXPECT_TRUE(KeyExists("live"));
  EXPECT_TRUE(FileExists("eu", "live"));
  SweepResult erased = sweeper.Erase("alice");
  EXPECT_TRUE(erased.deleted.empty());
  EXPECT_THAT(erased.in_progress, UnorderedElementsAre("live"));
  EXPECT_TRUE(KeyExists("live"));
  sweeper.SetInProgress(nullptr);  // it ended
  EXPECT_THAT(sweeper.Erase("alice").deleted, UnorderedElementsAre("live"));
  EXPECT_FALSE(KeyExists("live"));
}

}  // namespace
}  // namespace tessera::recorder
