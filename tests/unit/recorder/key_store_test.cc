#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <tessera/recorder/key_ring.h>
#include <tessera/recorder/key_store.h>

#include <algorithm>
#include <filesystem>
#include <string>

namespace tessera::recorder {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

SecretKey NewKey() {
  auto k = SecretKey::Random();
  EXPECT_TRUE(k.ok());
  return k.ok() ? *k : SecretKey();
}

bool SameKey(const SecretKey& a, const SecretKey& b) {
  return std::equal(a.bytes().begin(), a.bytes().end(), b.bytes().begin());
}

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "key_store_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store_ = std::make_unique<KeyStore>(dir_);
    ASSERT_TRUE(ring_.AddKey("k1", NewKey()).ok());
    ASSERT_TRUE(ring_.SetActive("k1").ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  RecordingEntry Entry(const std::string& id) {
    RecordingEntry e;
    e.id = id;
    e.room = "board";
    e.profile = "720p";
    e.region = "eu";
    e.started_s = 1'800'000'000;
    e.expires_s = 1'800'000'000 + 86400;
    e.participants = {"bob", "alice", "bob"};
    return e;
  }

  std::string dir_;
  std::unique_ptr<KeyStore> store_;
  LocalKeyRing ring_;
};

TEST_F(KeyStoreTest, CreatesLoadsAndUpdatesAnEntry) {
  auto key = store_->Create(Entry("rec-1"), ring_);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(store_->PathFor("rec-1").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto e = store_->Load("rec-1");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->room, "board");
  EXPECT_EQ(e->region, "eu");
  EXPECT_EQ(e->started_s, 1'800'000'000);
  EXPECT_FALSE(e->ended_s);
  EXPECT_THAT(e->participants, ElementsAre("alice", "bob"));
  EXPECT_EQ(e->wrapped_key.kek_id, "k1");

  ASSERT_TRUE(store_->Update("rec-1", {1'800'000'600, {"carol", "alice"}}).ok());
  e = store_->Load("rec-1");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ended_s, 1'800'000'600);
  EXPECT_THAT(e->participants, ElementsAre("alice", "bob", "carol"));

  auto data = store_->DataKey("rec-1", ring_);
  ASSERT_TRUE(data.ok());
  EXPECT_TRUE(SameKey(*data, *key));
}

TEST_F(KeyStoreTest, NeverReusesAnIdOrAcceptsAPathAsOne) {
  ASSERT_TRUE(store_->Create(Entry("rec-1"), ring_).ok());
  auto again = store_->Create(Entry("rec-1"), ring_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(store_->Create(Entry("../escape"), ring_).ok());
  EXPECT_FALSE(store_->Create(Entry(".hidden"), ring_).ok());
  EXPECT_FALSE(store_->Load("a/b").ok());
}

TEST_F(KeyStoreTest, DestroyShredsTheKeyForGood) {
  ASSERT_TRUE(store_->Create(Entry("rec-1"), ring_).ok());
  ASSERT_TRUE(store_->Destroy("rec-1").ok());
  EXPECT_FALSE(std::filesystem::exists(store_->PathFor("rec-1")));
  auto gone = store_->DataKey("rec-1", ring_);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(gone.status().message(), HasSubstr("was destroyed"));
  // An update afterwards does not bring the key back.
  EXPECT_FALSE(store_->Update("rec-1", {1'800'000'600, {}}).ok());
  EXPECT_FALSE(std::filesystem::exists(store_->PathFor("rec-1")));
  EXPECT_EQ(store_->Destroy("rec-1").code(), StatusCode::kNotFound);
}

TEST_F(KeyStoreTest, ListsEntriesAndNamesBrokenOnes) {
  ASSERT_TRUE(store_->Create(Entry("b"), ring_).ok());
  ASSERT_TRUE(store_->Create(Entry("a"), ring_).ok());
  {
    std::FILE* f = std::fopen((dir_ + "/broken.key").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("{", f);
    std::fclose(f);
  }
  const EntryList list = store_->List();
  ASSERT_EQ(list.entries.size(), 2u);
  EXPECT_EQ(list.entries[0].id, "a");
  EXPECT_EQ(list.entries[1].id, "b");
  ASSERT_EQ(list.problems.size(), 1u);
  EXPECT_THAT(list.problems[0], HasSubstr("broken.key"));
}

TEST_F(KeyStoreTest, RewrapMovesEveryEntryOntoTheActiveKek) {
  auto key1 = store_->Create(Entry("rec-1"), ring_);
  auto key2 = store_->Create(Entry("rec-2"), ring_);
  ASSERT_TRUE(key1.ok() && key2.ok());
  ASSERT_TRUE(ring_.AddKey("k2", NewKey()).ok());
  ASSERT_TRUE(ring_.SetActive("k2").ok());
  auto key3 = store_->Create(Entry("rec-3"), ring_);
  ASSERT_TRUE(key3.ok());

  const RewrapResult r = store_->Rewrap(ring_);
  EXPECT_EQ(r.rewrapped, 2u);
  EXPECT_EQ(r.already_active, 1u);
  EXPECT_TRUE(r.problems.empty());
  for (const char* id : {"rec-1", "rec-2", "rec-3"}) {
    auto e = store_->Load(id);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->wrapped_key.kek_id, "k2") << id;
  }
  // The data keys are unchanged: the recordings themselves need no rewriting.
  auto again = store_->DataKey("rec-1", ring_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(SameKey(*again, *key1));
}

TEST(Rfc3339, FormatsAndParses) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1'796'589'901), "2026-12-06T20:45:01Z");
  EXPECT_EQ(ParseRfc3339("2026-12-06T20:45:01Z"), 1'796'589'901);
  EXPECT_EQ(ParseRfc3339("2026-12-06T20:45:01.123Z"), 1'796'589'901);
  EXPECT_EQ(ParseRfc3339("2026-12-06T21:45:01+01:00"), 1'796'589'901);
  EXPECT_FALSE(ParseRfc3339("2026-12-06 20:45:01Z"));
  EXPECT_FALSE(ParseRfc3339("2026-02-31T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-12-06T20:45:01"));
  EXPECT_FALSE(ParseRfc3339("yesterday"));
}

}  // namespace
}  // namespace tessera::recorder
