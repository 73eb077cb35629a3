#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <tessera/recorder/key_ring.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

namespace tessera::recorder {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "key_ring_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static SecretKey NewKey() {
    auto k = SecretKey::Random();
    EXPECT_TRUE(k.ok());
    return k.ok() ? *k : SecretKey();
  }

  std::string dir_;
};

TEST_F(KeyRingTest, SavesAndLoadsAPrivateKeyFile) {
  LocalKeyRing ring;
  ASSERT_TRUE(ring.AddKey("2026-06", NewKey()).ok());
  ASSERT_TRUE(ring.AddKey("2026-12", NewKey()).ok());
  ASSERT_TRUE(ring.SetActive("2026-12").ok());
  const std::string path = dir_ + "/keys.json";
  ASSERT_TRUE(ring.Save(path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto loaded = LocalKeyRing::LoadFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->ActiveKeyId(), "2026-12");
  EXPECT_THAT((*loaded)->KeyIds(), ElementsAre("2026-06", "2026-12"));

  // A key wrapped by the saved ring opens with the loaded one: the key bytes made the trip.
  const SecretKey data = NewKey();
  auto wrapped = ring.Wrap(data, "rec-1");
  ASSERT_TRUE(wrapped.ok());
  auto back = (*loaded)->Unwrap(*wrapped, "rec-1");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(std::equal(back->bytes().begin(), back->bytes().end(), data.bytes().begin()));
}

TEST_F(KeyRingTest, RefusesAGroupReadableKeyFile) {
  LocalKeyRing ring;
  ASSERT_TRUE(ring.AddKey("k1", NewKey()).ok());
  ASSERT_TRUE(ring.SetActive("k1").ok());
  const std::string path = dir_ + "/keys.json";
  ASSERT_TRUE(ring.Save(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto loaded = LocalKeyRing::LoadFile(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(loaded.status().message(), HasSubstr("chmod 600"));
  ASSERT_EQ(::chmod(path.c_str(), 0604), 0);  // world-readable
  EXPECT_FALSE(LocalKeyRing::LoadFile(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_TRUE(LocalKeyRing::LoadFile(path).ok());
}

TEST_F(KeyRingTest, AWrappedKeyOpensOnlyForItsRecording) {
  LocalKeyRing ring;
  ASSERT_TRUE(ring.AddKey("k1", NewKey()).ok());
  ASSERT_TRUE(ring.SetActive("k1").ok());
  auto wrapped = ring.Wrap(NewKey(), "rec-1");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->kek_id, "k1");
  EXPECT_TRUE(ring.Unwrap(*wrapped, "rec-1").ok());
  auto other = ring.Unwrap(*wrapped, "rec-2");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kPermissionDenied);
  wrapped->bytes[20] ^= 1;
  EXPECT_FALSE(ring.Unwrap(*wrapped, "rec-1").ok());
}

TEST_F(KeyRingTest, RotationKeepsOldRecordingsOpen) {
  LocalKeyRing ring;
  ASSERT_TRUE(ring.AddKey("2026-06", NewKey()).ok());
  ASSERT_TRUE(ring.SetActive("2026-06").ok());
  const SecretKey data = NewKey();
  auto old_wrap = ring.Wrap(data, "rec-old");
  ASSERT_TRUE(old_wrap.ok());

  ASSERT_TRUE(ring.AddKey("2026-12", NewKey()).ok());
  ASSERT_TRUE(ring.SetActive("2026-12").ok());
  auto new_wrap = ring.Wrap(data, "rec-new");
  ASSERT_TRUE(new_wrap.ok());
  EXPECT_EQ(new_wrap->kek_id, "2026-12");
  EXPECT_EQ(old_wrap->kek_id, "2026-06");
  EXPECT_TRUE(ring.Unwrap(*old_wrap, "rec-old").ok());
  EXPECT_TRUE(ring.Unwrap(*new_wrap, "rec-new").ok());
}

TEST_F(KeyRingTest, NeverReplacesAKey) {
  LocalKeyRing ring;
  ASSERT_TRUE(ring.AddKey("k1", NewKey()).ok());
  const Status again = ring.AddKey("k1", NewKey());
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(ring.AddKey("../k", NewKey()).ok());
  EXPECT_FALSE(ring.SetActive("k2").ok());
}

TEST_F(KeyRingTest, ParseRefusesBrokenFiles) {
  const std::string key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";  // 32 bytes
  EXPECT_TRUE(LocalKeyRing::Parse(R"({"active":"a","keys":{"a":")" + key + R"("}})").ok());
  EXPECT_FALSE(LocalKeyRing::Parse("").ok());
  EXPECT_FALSE(LocalKeyRing::Parse(R"({"active":"b","keys":{"a":")" + key + R"("}})").ok());
  EXPECT_FALSE(LocalKeyRing::Parse(R"({"active":"a","keys":{"a":"AAEC"}})").ok());  // 3 bytes
  EXPECT_FALSE(LocalKeyRing::Parse(R"({"active":"a","keys":{}})").ok());
  EXPECT_FALSE(LocalKeyRing::Parse(R"({"active":"a","keys":{"a":")" + key + R"("},"x":1})").ok());
  auto bad = LocalKeyRing::Parse(R"({"active":"a","keys":{"a":"not base64!"}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("base64 of 32 bytes"));
}

TEST(SecretKey, RandomKeysDiffer) {
  auto a = SecretKey::Random();
  auto b = SecretKey::Random();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(std::equal(a->bytes().begin(), a->bytes().end(), b->bytes().begin()));
}

}  // namespace
}  // namespace tessera::recorder
