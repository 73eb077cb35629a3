#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <tessera/control/jwt.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "control/base64url.h"
#include "control/jwt_crypto.h"

namespace tessera::control {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

class JwtKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tessera-jwt-keys-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/keys.json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WriteDoc(const Json& doc) { WriteText(doc.dump()); }
  void WriteText(const std::string& text) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << text;
  }
  std::string Read() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  unsigned Mode() const {
    struct stat st {};
    EXPECT_EQ(::stat(path_.c_str(), &st), 0);
    return st.st_mode & 0777;
  }
  // The error LoadJwtKeys gives, or "" when the file loads.
  std::string LoadError() const {
    auto keys = LoadJwtKeys(path_);
    if (keys.ok()) return "";
    EXPECT_EQ(keys.status().code(), StatusCode::kInvalidArgument);
    return keys.status().message();
  }

  static std::string PublicPem(EVP_PKEY* key) {
    auto pem = WritePublicKeyPem(key);
    EXPECT_TRUE(pem.ok());
    return pem.ok() ? *pem : std::string();
  }
  static std::string PrivatePem(EVP_PKEY* key) {
    auto pem = WritePrivateKeyPem(key);
    EXPECT_TRUE(pem.ok());
    return pem.ok() ? *pem : std::string();
  }
  static Json KeysDoc(const std::vector<Json>& entries) {
    Json doc = Json::object();
    doc["keys"] = Json::array();
    for (const Json& e : entries) doc["keys"].push_back(e);
    return doc;
  }
  static Json HsEntry(const std::string& kid, size_t secret_bytes) {
    return {{"kid", kid},
            {"alg", "HS256"},
            {"secret", Base64UrlEncode(std::string(secret_bytes, 'k'))}};
  }

  std::string dir_;
  std::string path_;
};

TEST_F(JwtKeysTest, CreateKeyFileMakesA0600FileThatLoads) {
  ASSERT_TRUE(CreateKeyFile(path_, JwtKey::Alg::kHs256, "first").ok());
  EXPECT_EQ(Mode(), 0600u);
  auto keys = LoadJwtKeys(path_);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].kid, "first");
  EXPECT_EQ((*keys)[0].alg, JwtKey::Alg::kHs256);
  EXPECT_EQ((*keys)[0].secret.size(), kMinHs256SecretBytes);
  EXPECT_TRUE((*keys)[0].CanSign());
}

TEST_F(JwtKeysTest, CreateKeyFileAddsKeysToAnExistingFile) {
  ::umask(022);  // what a shell usually has: the file must still come out 0600
  ASSERT_TRUE(CreateKeyFile(path_, JwtKey::Alg::kHs256, "a").ok());
  ASSERT_TRUE(CreateKeyFile(path_, JwtKey::Alg::kEs256, "b").ok());
  EXPECT_EQ(Mode(), 0600u);
  auto keys = LoadJwtKeys(path_);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid, "a");
  const JwtKey& es = (*keys)[1];
  EXPECT_EQ(es.kid, "b");
  EXPECT_EQ(es.alg, JwtKey::Alg::kEs256);
  EXPECT_TRUE(IsP256(es.public_key.get()));
  ASSERT_NE(es.private_key, nullptr);
  EXPECT_TRUE(es.CanSign());
  const Json doc = Json::parse(Read());
  EXPECT_THAT(doc.at("keys").at(1).at("public_key_pem").get<std::string>(),
              HasSubstr("-----BEGIN PUBLIC KEY-----"));
  EXPECT_THAT(doc.at("keys").at(1).at("private_key_pem").get<std::string>(),
              HasSubstr("-----BEGIN PRIVATE KEY-----"));
  // Nothing left behind by the atomic rewrite.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);

  const Status again = CreateKeyFile(path_, JwtKey::Alg::kHs256, "a");
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(LoadJwtKeys(path_)->size(), 2u);
}

TEST_F(JwtKeysTest, CreateKeyFileRefusesBadKidAndLeavesABrokenFileAlone) {
  EXPECT_EQ(CreateKeyFile(path_, JwtKey::Alg::kHs256, "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateKeyFile(path_, JwtKey::Alg::kHs256, "has space").code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(path_));
  WriteText(std::string("{not json"));
  EXPECT_FALSE(CreateKeyFile(path_, JwtKey::Alg::kHs256, "x").ok());
  EXPECT_EQ(Read(), "{not json");
}

TEST_F(JwtKeysTest, NewKidsDiffer) {
  const std::string a = NewKid();
  EXPECT_EQ(a.size(), 12u);
  EXPECT_NE(a, NewKid());
}

TEST_F(JwtKeysTest, MissingFileIsNotFoundAndNamed) {
  auto keys = LoadJwtKeys(path_);
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(keys.status().message(), HasSubstr(path_));
}

TEST_F(JwtKeysTest, ShortSecretIsNamed) {
  WriteDoc(KeysDoc({HsEntry("ok", 32), HsEntry("short", 16)}));
  const std::string error = LoadError();
  EXPECT_THAT(error, HasSubstr(path_));
  EXPECT_THAT(error, HasSubstr("keys[1]"));
  EXPECT_THAT(error, HasSubstr("\"short\""));
  EXPECT_THAT(error, HasSubstr("16 bytes; HS256 needs at least 32"));
}

TEST_F(JwtKeysTest, SecretMustBeBase64Url) {
  Json entry = HsEntry("k", 32);
  entry["secret"] = "not base64url!";
  WriteDoc(KeysDoc({entry}));
  EXPECT_THAT(LoadError(), HasSubstr("\"secret\" is not base64url"));
}

TEST_F(JwtKeysTest, BadPemIsNamed) {
  const Json bad = {
      {"kid", "es"},
      {"alg", "ES256"},
      {"public_key_pem", "-----BEGIN PUBLIC KEY-----\nbm9wZQ==\n-----END PUBLIC KEY-----\n"}};
  WriteDoc(KeysDoc({HsEntry("hs", 32), bad}));
  const std::string error = LoadError();
  EXPECT_THAT(error, HasSubstr("keys[1] (kid \"es\")"));
  EXPECT_THAT(error, HasSubstr("public_key_pem"));
}

TEST_F(JwtKeysTest, Es256KeyMustBeP256) {
  auto p384 = ShareKey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  ASSERT_NE(p384, nullptr);
  WriteDoc(
      KeysDoc({Json{{"kid", "es"}, {"alg", "ES256"}, {"public_key_pem", PublicPem(p384.get())}}}));
  EXPECT_THAT(LoadError(), HasSubstr("not an EC P-256 key"));
}

TEST_F(JwtKeysTest, PrivateKeyMustMatchPublicKey) {
  auto a = GenerateJwtKey(JwtKey::Alg::kEs256, "a");
  auto b = GenerateJwtKey(JwtKey::Alg::kEs256, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  WriteDoc(KeysDoc({Json{{"kid", "es"},
                         {"alg", "ES256"},
                         {"public_key_pem", PublicPem(a->public_key.get())},
                         {"private_key_pem", PrivatePem(b->private_key.get())}}}));
  EXPECT_THAT(LoadError(), HasSubstr("private_key_pem does not belong to public_key_pem"));
}

TEST_F(JwtKeysTest, PublicOnlyEs256KeyLoadsButCannotSign) {
  auto a = GenerateJwtKey(JwtKey::Alg::kEs256, "a");
  ASSERT_TRUE(a.ok());
  WriteDoc(KeysDoc(
      {Json{{"kid", "es"}, {"alg", "ES256"}, {"public_key_pem", PublicPem(a->public_key.get())}}}));
  auto keys = LoadJwtKeys(path_);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ((*keys)[0].private_key, nullptr);
  EXPECT_FALSE((*keys)[0].CanSign());
}

TEST_F(JwtKeysTest, DuplicateKidIsNamed) {
  WriteDoc(KeysDoc({HsEntry("same", 32), HsEntry("other", 40), HsEntry("same", 48)}));
  const std::string error = LoadError();
  EXPECT_THAT(error, HasSubstr("keys[2]"));
  EXPECT_THAT(error, HasSubstr("duplicate kid \"same\""));
}

TEST_F(JwtKeysTest, RefusesMalformedFiles) {
  WriteText(std::string("{\"keys\": ["));
  EXPECT_THAT(LoadError(), HasSubstr("not valid JSON"));
  WriteDoc(KeysDoc({}));
  EXPECT_THAT(LoadError(), HasSubstr("\"keys\" is empty"));
  Json wrong = Json::object();
  wrong["key"] = Json::array({HsEntry("k", 32)});
  WriteDoc(wrong);
  EXPECT_THAT(LoadError(), HasSubstr("unknown field \"key\""));
  Json rs = HsEntry("k", 32);
  rs["alg"] = "RS256";
  WriteDoc(KeysDoc({rs}));
  EXPECT_THAT(LoadError(), HasSubstr("alg \"RS256\" is not HS256 or ES256"));
  Json typo = HsEntry("k", 32);
  typo["private_key"] = "x";
  WriteDoc(KeysDoc({typo}));
  EXPECT_THAT(LoadError(), HasSubstr("unknown field \"private_key\""));
  Json no_kid = HsEntry("k", 32);
  no_kid.erase("kid");
  WriteDoc(KeysDoc({no_kid}));
  EXPECT_THAT(LoadError(), HasSubstr("keys[0]: \"kid\" missing"));
}

}  // namespace
}  // namespace tessera::control
