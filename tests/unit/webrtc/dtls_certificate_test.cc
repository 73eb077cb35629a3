#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <tessera/webrtc/dtls_certificate.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tessera::webrtc {
namespace {

// A browser's fingerprint as Chrome writes it in its offer.
constexpr char kChromeFingerprint[] =
    "sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3B:D6:AB:4D:D9:AF:B9:"
    "3A:DA:D8:B7:77";

std::shared_ptr<const DtlsCertificate> NewCertificate() {
  StatusOr<std::shared_ptr<const DtlsCertificate>> cert = DtlsCertificate::Generate();
  EXPECT_TRUE(cert.ok()) << cert.status().ToString();
  return cert.ok() ? *cert : nullptr;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

std::string CertificatePem(const DtlsCertificate& cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_X509(bio, cert.x509()), 1);
  std::string pem = BioText(bio);
  BIO_free(bio);
  return pem;
}

std::string KeyPem(const DtlsCertificate& cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(
      PEM_write_bio_PrivateKey(bio, cert.private_key(), nullptr, nullptr, 0, nullptr, nullptr), 1);
  std::string pem = BioText(bio);
  BIO_free(bio);
  return pem;
}

// Files under a per-test directory, removed afterwards.
class PemFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tessera-dtls-cert-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  std::filesystem::path dir_;
};

TEST(DtlsCertificate, GeneratesASelfSignedP256CertificateValidNow) {
  auto cert = NewCertificate();
  ASSERT_NE(cert, nullptr);
  ASSERT_NE(cert->x509(), nullptr);
  ASSERT_NE(cert->private_key(), nullptr);
  EXPECT_EQ(EVP_PKEY_is_a(cert->private_key(), "EC"), 1);
  EXPECT_EQ(X509_check_private_key(cert->x509(), cert->private_key()), 1);
  // Self-signed: the certificate's own key verifies its signature.
  EXPECT_EQ(X509_verify(cert->x509(), X509_get0_pubkey(cert->x509())), 1);
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(cert->x509())), 0);
  EXPECT_GT(X509_cmp_current_time(X509_get0_notAfter(cert->x509())), 0);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert->x509()), NID_commonName, cn, sizeof(cn));
  EXPECT_STREQ(cn, "tessera");
}

TEST(DtlsCertificate, FingerprintIsSha256InSdpForm) {
  auto cert = NewCertificate();
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(cert->FingerprintAlgorithm(), "sha-256");
  const std::string hex = cert->FingerprintHex();
  ASSERT_EQ(hex.size(), 32u * 3 - 1);
  for (size_t i = 0; i < hex.size(); ++i) {
    if (i % 3 == 2) {
      EXPECT_EQ(hex[i], ':');
    } else {
      EXPECT_TRUE((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'A' && hex[i] <= 'F')) << hex;
    }
  }
  EXPECT_EQ(cert->Fingerprint(), "sha-256 " + hex);
  const std::optional<SdpFingerprint> parsed = ParseFingerprint(cert->Fingerprint());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, cert->sdp_fingerprint());
  EXPECT_TRUE(CertificateMatches(cert->x509(), *parsed));
}

TEST(DtlsCertificate, EachCertificateIsDifferent) {
  auto a = NewCertificate();
  auto b = NewCertificate();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a->Fingerprint(), b->Fingerprint());
  EXPECT_FALSE(CertificateMatches(a->x509(), b->sdp_fingerprint()));
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a->x509()), X509_get0_serialNumber(b->x509())),
            0);
}

TEST(DtlsCertificate, MatchesFingerprintsOfEveryHash) {
  auto cert = NewCertificate();
  ASSERT_NE(cert, nullptr);
  const std::pair<const char*, const EVP_MD*> hashes[] = {{"sha-1", EVP_sha1()},
                                                          {"sha-224", EVP_sha224()},
                                                          {"sha-256", EVP_sha256()},
                                                          {"sha-384", EVP_sha384()},
                                                          {"sha-512", EVP_sha512()}};
  for (const auto& [name, md] : hashes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    ASSERT_EQ(X509_digest(cert->x509(), md, digest, &length), 1);
    SdpFingerprint fingerprint{name, std::vector<uint8_t>(digest, digest + length)};
    EXPECT_TRUE(CertificateMatches(cert->x509(), fingerprint)) << name;
    // Through the SDP text and back.
    const auto parsed = ParseFingerprint(FormatFingerprint(fingerprint));
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_TRUE(CertificateMatches(cert->x509(), *parsed)) << name;
    fingerprint.digest[0] ^= 1;
    EXPECT_FALSE(CertificateMatches(cert->x509(), fingerprint)) << name;
  }
  EXPECT_FALSE(CertificateMatches(nullptr, cert->sdp_fingerprint()));
  EXPECT_FALSE(CertificateMatches(cert->x509(), SdpFingerprint{"md5", std::vector<uint8_t>(16)}));
}

TEST(ParseFingerprint, ReadsABrowsersValue) {
  const auto parsed = ParseFingerprint(kChromeFingerprint);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->algorithm, "sha-256");
  ASSERT_EQ(parsed->digest.size(), 32u);
  EXPECT_EQ(parsed->digest[0], 0x4A);
  EXPECT_EQ(parsed->digest[31], 0x77);
  EXPECT_EQ(FormatFingerprint(*parsed), kChromeFingerprint);
}

TEST(ParseFingerprint, IsLenientAboutCaseAndSpaces) {
  const auto upper =
      ParseFingerprint("SHA-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33");
  const auto lower =
      ParseFingerprint("  sha-1 \t 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33 ");
  ASSERT_TRUE(upper.has_value());
  ASSERT_TRUE(lower.has_value());
  EXPECT_EQ(*upper, *lower);
  EXPECT_EQ(upper->algorithm, "sha-1");
  EXPECT_EQ(FormatFingerprint(*lower),
            "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33");
}

TEST(ParseFingerprint, RejectsMalformedValues) {
  const std::string hex32 =
      "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3B:D6:AB:4D:D9:AF:B9:3A:DA:D8:"
      "B7:77";
  EXPECT_TRUE(ParseFingerprint("sha-256 " + hex32).has_value());
  const std::string bad[] = {
      "",
      "sha-256",
      "sha-256 ",
      hex32,
      "sha-256" + hex32,  // no space
      "md5 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B",
      "sha-384 " + hex32,                  // wrong length for the hash
      "sha-256 " + hex32 + ":",            // trailing colon
      "sha-256 " + hex32 + ":00",          // one byte too many
      "sha-256 " + hex32.substr(3),        // one byte short
      "sha-256 4A::AD" + hex32.substr(5),  // double colon
      "sha-256 4G" + hex32.substr(2),      // not hex
      "sha-256 4A-AD" + hex32.substr(5),   // wrong separator
      "sha-256 " + hex32 + " extra",
      "sha-256 4" + hex32.substr(2),  // single digit
      "sha256 " + hex32,
  };
  for (const std::string& value : bad) {
    EXPECT_FALSE(ParseFingerprint(value).has_value()) << "'" << value << "'";
  }
}

TEST_F(PemFiles, LoadsACertificateAndItsKey) {
  auto cert = NewCertificate();
  ASSERT_NE(cert, nullptr);
  const std::string cert_path = Write("cert.pem", CertificatePem(*cert));
  const std::string key_path = Write("key.pem", KeyPem(*cert));

  auto loaded = DtlsCertificate::LoadPem(cert_path, key_path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->Fingerprint(), cert->Fingerprint());
  EXPECT_EQ(EVP_PKEY_eq((*loaded)->private_key(), cert->private_key()), 1);
}

TEST_F(PemFiles, RefusesAKeyThatIsNotTheCertificates) {
  auto cert = NewCertificate();
  auto other = NewCertificate();
  ASSERT_NE(cert, nullptr);
  ASSERT_NE(other, nullptr);
  const std::string cert_path = Write("cert.pem", CertificatePem(*cert));
  const std::string key_path = Write("other-key.pem", KeyPem(*other));

  auto loaded = DtlsCertificate::LoadPem(cert_path, key_path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(loaded.status().message().find(key_path), std::string::npos);
  EXPECT_NE(loaded.status().message().find("not the key of the certificate"), std::string::npos)
      << loaded.status().message();
}

TEST_F(PemFiles, NamesTheFileThatCannotBeRead) {
  auto cert = NewCertificate();
  ASSERT_NE(cert, nullptr);
  const std::string key_path = Write("key.pem", KeyPem(*cert));
  const std::string missing = (dir_ / "missing.pem").string();
  auto absent = DtlsCertificate::LoadPem(missing, key_path);
  ASSERT_FALSE(absent.ok());
  EXPECT_NE(absent.status().message().find(missing), std::string::npos);

  const std::string garbage = Write("garbage.pem", "not a certificate\n");
  auto unparsable = DtlsCertificate::LoadPem(garbage, key_path);
  ASSERT_FALSE(unparsable.ok());
  EXPECT_NE(unparsable.status().message().find(garbage), std::string::npos);
  EXPECT_NE(unparsable.status().message().find("no PEM certificate"), std::string::npos);

  const std::string cert_path = Write("cert.pem", CertificatePem(*cert));
  auto no_key = DtlsCertificate::LoadPem(cert_path, garbage);
  ASSERT_FALSE(no_key.ok());
  EXPECT_NE(no_key.status().message().find("no unencrypted PEM private key"), std::string::npos);
}

}  // namespace
}  // namespace tessera::webrtc
