// Checks SrtpSession against an independent AES-CM/HMAC-SHA1 SRTP implementation built from
// OpenSSL primitives and the RFC 3711 Appendix B test vectors, so a mistake shared by our wrapper
// and libsrtp's configuration (key/salt order, tag length, SRTCP trailer) cannot go unnoticed.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <tessera/base/byte_io.h>
#include <tessera/srtp/srtp_session.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "unit/srtp/test_packets.h"

namespace tessera::srtp {
namespace {

using Bytes = std::vector<uint8_t>;

// RFC 3711 B.3.
const Bytes kMasterKey = {0xE1, 0xF9, 0x7A, 0x0D, 0x3E, 0x01, 0x8B, 0xE0,
                          0xD6, 0x4F, 0xA3, 0x2C, 0x06, 0xDE, 0x41, 0x39};
const Bytes kMasterSalt = {0x0E, 0xC6, 0x75, 0xAD, 0x49, 0x8A, 0xFE,
                           0xEB, 0xB6, 0x96, 0x0B, 0x3A, 0xAB, 0xE6};
const Bytes kCipherKey = {0xC6, 0x1E, 0x7A, 0x93, 0x74, 0x4F, 0x39, 0xEE,
                          0x10, 0x73, 0x4A, 0xFE, 0x3F, 0xF7, 0xA0, 0x87};
const Bytes kCipherSalt = {0x30, 0xCB, 0xBC, 0x08, 0x86, 0x3D, 0x8C,
                           0x85, 0xD4, 0x9D, 0xB3, 0x4A, 0x9A, 0xE1};
const Bytes kAuthKey = {0xCE, 0xBE, 0x32, 0x1F, 0x6F, 0xF7, 0x71, 0x6B, 0x6F, 0xD4,
                        0xAB, 0x49, 0xAF, 0x25, 0x6A, 0x15, 0x6D, 0x38, 0xBA, 0xA4};

// AES-128 in counter mode from a 16-byte IV: the SRTP keystream generator (RFC 3711 4.1.1).
Bytes AesCtr(const Bytes& key, const Bytes& iv, const Bytes& in) {
  Bytes out(in.size());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nullptr, key.data(), iv.data()), 1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx, out.data(), &n, in.data(), static_cast<int>(in.size())), 1);
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

// RFC 3711 4.3.1 with key_derivation_rate 0: AES-CM keyed with the master key, IV = (master salt
// XOR label << 48) << 16.
Bytes DeriveKey(uint8_t label, size_t length) {
  Bytes iv = kMasterSalt;
  iv[7] ^= label;
  iv.resize(16, 0);
  return AesCtr(kMasterKey, iv, Bytes(length, 0));
}

// IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16).
Bytes PacketIv(const Bytes& salt, uint32_t ssrc, uint64_t index) {
  Bytes iv = salt;
  iv.resize(16, 0);
  for (int i = 0; i < 4; ++i) iv[4 + i] ^= static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  for (int i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<uint8_t>(index >> (40 - 8 * i));
  return iv;
}

Bytes HmacSha1(const Bytes& key, const Bytes& data, size_t tag_length) {
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), digest,
       &digest_length);
  return Bytes(digest, digest + tag_length);
}

// SRTP as RFC 3711 3.1 defines it for a packet with no CSRCs or extension and ROC 0.
Bytes ReferenceSrtp(const Bytes& plain, size_t tag_length) {
  const Bytes session_key = DeriveKey(0x00, 16);
  const Bytes auth_key = DeriveKey(0x01, 20);
  const Bytes session_salt = DeriveKey(0x02, 14);
  const uint32_t ssrc = ReadBe32(&plain[8]);
  const uint16_t seq = ReadBe16(&plain[2]);
  Bytes payload(plain.begin() + 12, plain.end());
  Bytes packet(plain.begin(), plain.begin() + 12);
  const Bytes encrypted = AesCtr(session_key, PacketIv(session_salt, ssrc, seq), payload);
  packet.insert(packet.end(), encrypted.begin(), encrypted.end());
  Bytes authenticated = packet;
  ByteWriter(authenticated).U32(0);  // ROC.
  const Bytes tag = HmacSha1(auth_key, authenticated, tag_length);
  packet.insert(packet.end(), tag.begin(), tag.end());
  return packet;
}

// SRTCP as RFC 3711 3.4 defines it: encrypted after the first 8 bytes, then E=1 | 31-bit index,
// then an 80-bit tag over everything before it.
Bytes ReferenceSrtcp(const Bytes& plain, uint32_t srtcp_index) {
  const Bytes session_key = DeriveKey(0x03, 16);
  const Bytes auth_key = DeriveKey(0x04, 20);
  const Bytes session_salt = DeriveKey(0x05, 14);
  const uint32_t ssrc = ReadBe32(&plain[4]);
  Bytes packet(plain.begin(), plain.begin() + 8);
  const Bytes encrypted = AesCtr(session_key, PacketIv(session_salt, ssrc, srtcp_index),
                                 Bytes(plain.begin() + 8, plain.end()));
  packet.insert(packet.end(), encrypted.begin(), encrypted.end());
  ByteWriter(packet).U32(0x80000000u | srtcp_index);
  const Bytes tag = HmacSha1(auth_key, packet, 10);
  packet.insert(packet.end(), tag.begin(), tag.end());
  return packet;
}

Bytes Key() {
  Bytes key = kMasterKey;
  key.insert(key.end(), kMasterSalt.begin(), kMasterSalt.end());
  return key;
}

std::unique_ptr<SrtpSession> Session(SrtpSuite suite, SrtpSession::Direction direction) {
  StatusOr<std::unique_ptr<SrtpSession>> session = SrtpSession::Create(suite, Key(), direction);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  return session.ok() ? std::move(session).value() : nullptr;
}

TEST(Rfc3711Reference, KeystreamMatchesAppendixB2) {
  const Bytes key = {0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6,
                     0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C};
  const Bytes salt = {0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6,
                      0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD};
  const Bytes keystream = AesCtr(key, PacketIv(salt, 0, 0), Bytes(48, 0));
  const Bytes expected = {0xE0, 0x3E, 0xAD, 0x09, 0x35, 0xC9, 0x5E, 0x80, 0xE1, 0x66, 0xB1, 0x6D,
                          0xD9, 0x2B, 0x4E, 0xB4, 0xD2, 0x35, 0x13, 0x16, 0x2B, 0x02, 0xD0, 0xF7,
                          0x2A, 0x43, 0xA2, 0xFE, 0x4A, 0x5F, 0x97, 0xAB, 0x41, 0xE9, 0x5B, 0x3B,
                          0xB0, 0xA2, 0xE8, 0xDD, 0x47, 0x79, 0x01, 0xE4, 0xFC, 0xA8, 0x94, 0xC0};
  EXPECT_EQ(keystream, expected);
}

TEST(Rfc3711Reference, KeyDerivationMatchesAppendixB3) {
  EXPECT_EQ(DeriveKey(0x00, 16), kCipherKey);
  EXPECT_EQ(DeriveKey(0x02, 14), kCipherSalt);
  EXPECT_EQ(DeriveKey(0x01, 20), kAuthKey);
}

TEST(SrtpSessionRfc3711, ProtectRtpMatchesTheReferenceForBothTagLengths) {
  for (auto [suite, tag_length] : {std::pair{SrtpSuite::kAesCm128HmacSha1_80, size_t{10}},
                                   std::pair{SrtpSuite::kAesCm128HmacSha1_32, size_t{4}}}) {
    auto sender = Session(suite, SrtpSession::Direction::kOutbound);
    const Bytes plain = testing::MakeRtp(0x1234, 0xCAFEBABE, 200);
    Bytes packet = plain;
    ASSERT_EQ(sender->ProtectRtp(packet), SrtpResult::kOk);
    EXPECT_EQ(packet, ReferenceSrtp(plain, tag_length)) << SrtpSuiteName(suite);
  }
}

TEST(SrtpSessionRfc3711, UnprotectRtpAcceptsReferencePackets) {
  auto receiver = Session(SrtpSuite::kAesCm128HmacSha1_80, SrtpSession::Direction::kInbound);
  const Bytes plain = testing::MakeRtp(0x0101, 0x01020304, 333);
  Bytes packet = ReferenceSrtp(plain, 10);
  ASSERT_EQ(receiver->UnprotectRtp(packet), SrtpResult::kOk);
  EXPECT_EQ(packet, plain);
}

TEST(SrtpSessionRfc3711, ProtectRtcpMatchesTheReference) {
  auto sender = Session(SrtpSuite::kAesCm128HmacSha1_32, SrtpSession::Direction::kOutbound);
  const Bytes plain = testing::MakeRtcp(0xCAFEBABE);
  Bytes packet = plain;
  ASSERT_EQ(sender->ProtectRtcp(packet), SrtpResult::kOk);
  // The sender picks the SRTCP index; read it back and rebuild the packet independently.
  ASSERT_EQ(packet.size(), plain.size() + 14);
  const uint32_t e_and_index = ReadBe32(&packet[plain.size()]);
  ASSERT_TRUE(e_and_index & 0x80000000u);
  EXPECT_EQ(packet, ReferenceSrtcp(plain, e_and_index & 0x7FFFFFFFu));
}

TEST(SrtpSessionRfc3711, UnprotectRtcpAcceptsReferencePackets) {
  auto receiver = Session(SrtpSuite::kAesCm128HmacSha1_80, SrtpSession::Direction::kInbound);
  const Bytes plain = testing::MakeRtcp(0x0A0B0C0D);
  Bytes packet = ReferenceSrtcp(plain, 7);
  ASSERT_EQ(receiver->UnprotectRtcp(packet), SrtpResult::kOk);
  EXPECT_EQ(packet, plain);
}

}  // namespace
}  // namespace tessera::srtp
