#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <tessera/srtp/sdes.h>
#include <tessera/srtp/srtp_session.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "unit/srtp/test_packets.h"

namespace tessera::srtp {
namespace {

using Direction = SrtpSession::Direction;
using testing::MakeRtcp;
using testing::MakeRtp;
using testing::TestKey;

std::unique_ptr<SrtpSession> MakeSession(SrtpSuite suite, Direction direction,
                                         const std::vector<uint8_t>& key) {
  StatusOr<std::unique_ptr<SrtpSession>> session = SrtpSession::Create(suite, key, direction);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  return session.ok() ? std::move(session).value() : nullptr;
}

class SrtpSessionSuiteTest : public ::testing::TestWithParam<SrtpSuite> {
 protected:
  SrtpSuite suite() const { return GetParam(); }
  std::unique_ptr<SrtpSession> sender_ =
      MakeSession(GetParam(), Direction::kOutbound, TestKey(GetParam()));
  std::unique_ptr<SrtpSession> receiver_ =
      MakeSession(GetParam(), Direction::kInbound, TestKey(GetParam()));
};

INSTANTIATE_TEST_SUITE_P(AllSuites, SrtpSessionSuiteTest,
                         ::testing::Values(SrtpSuite::kAesCm128HmacSha1_80,
                                           SrtpSuite::kAesCm128HmacSha1_32,
                                           SrtpSuite::kAeadAes128Gcm),
                         [](const auto& info) { return std::string(SrtpSuiteName(info.param)); });

TEST_P(SrtpSessionSuiteTest, RtpRoundTrips) {
  const std::vector<uint8_t> plain = MakeRtp(1000);
  std::vector<uint8_t> packet = plain;
  ASSERT_EQ(sender_->ProtectRtp(packet), SrtpResult::kOk);
  ASSERT_EQ(packet.size(), plain.size() + SrtpTagLength(suite()));
  // The header stays in the clear; the payload does not.
  EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + 12, packet.begin()));
  EXPECT_FALSE(std::equal(plain.begin() + 12, plain.end(), packet.begin() + 12));

  ASSERT_EQ(receiver_->UnprotectRtp(packet), SrtpResult::kOk);
  EXPECT_EQ(packet, plain);
}

TEST_P(SrtpSessionSuiteTest, RtcpRoundTrips) {
  const std::vector<uint8_t> plain = MakeRtcp();
  std::vector<uint8_t> packet = plain;
  ASSERT_EQ(sender_->ProtectRtcp(packet), SrtpResult::kOk);
  ASSERT_EQ(packet.size(), plain.size() + SrtcpTrailerLength(suite()));
  EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + 8, packet.begin()));
  EXPECT_FALSE(std::equal(plain.begin() + 8, plain.end(), packet.begin() + 8));

  ASSERT_EQ(receiver_->UnprotectRtcp(packet), SrtpResult::kOk);
  EXPECT_EQ(packet, plain);
}

TEST_P(SrtpSessionSuiteTest, RtpWithCsrcsAndHeaderExtensionRoundTrips) {
  const std::vector<uint8_t> plain = MakeRtp(7, 0xABCDEF01, 300, /*csrcs=*/3,
                                             /*extension_words=*/2);
  std::vector<uint8_t> packet = plain;
  ASSERT_EQ(sender_->ProtectRtp(packet), SrtpResult::kOk);
  ASSERT_EQ(receiver_->UnprotectRtp(packet), SrtpResult::kOk);
  EXPECT_EQ(packet, plain);
}

TEST_P(SrtpSessionSuiteTest, EmptyPayloadRoundTrips) {
  const std::vector<uint8_t> plain = MakeRtp(9, 0x1, 0);
  std::vector<uint8_t> packet = plain;
  ASSERT_EQ(sender_->ProtectRtp(packet), SrtpResult::kOk);
  ASSERT_EQ(receiver_->UnprotectRtp(packet), SrtpResult::kOk);
  EXPECT_EQ(packet, plain);
}

TEST_P(SrtpSessionSuiteTest, FlippedPayloadBitFailsAuthentication) {
  std::vector<uint8_t> packet = MakeRtp(1);
  ASSERT_EQ(sender_->ProtectRtp(packet), SrtpResult::kOk);
  std::vector<uint8_t> tampered = packet;
  tampered[40] ^= 0x01;
  EXPECT_EQ(receiver_->UnprotectRtp(tampered), SrtpResult::kAuthFailed);
  // The failure did not advance the replay window: the genuine packet still decrypts.
  EXPECT_EQ(receiver_->UnprotectRtp(packet), SrtpResult::kOk);
}

TEST_P(SrtpSessionSuiteTest, FlippedRtcpBitFailsAuthentication) {
  std::vector<uint8_t> packet = MakeRtcp();
  ASSERT_EQ(sender_->ProtectRtcp(packet), SrtpResult::kOk);
  packet[20] ^= 0x80;
  EXPECT_EQ(receiver_->UnprotectRtcp(packet), SrtpResult::kAuthFailed);
}

TEST_P(SrtpSessionSuiteTest, SecondCopyOfAPacketIsAReplay) {
  std::vector<uint8_t> packet = MakeRtp(500);
  ASSERT_EQ(sender_->ProtectRtp(packet), SrtpResult::kOk);
  std::vector<uint8_t> copy = packet;
  EXPECT_EQ(receiver_->UnprotectRtp(packet), SrtpResult::kOk);
  EXPECT_EQ(receiver_->UnprotectRtp(copy), SrtpResult::kReplay);
}

TEST_P(SrtpSessionSuiteTest, SecondCopyOfAnRtcpPacketIsAReplay) {
  std::vector<uint8_t> packet = MakeRtcp();
  ASSERT_EQ(sender_->ProtectRtcp(packet), SrtpResult::kOk);
  std::vector<uint8_t> copy = packet;
  EXPECT_EQ(receiver_->UnprotectRtcp(packet), SrtpResult::kOk);
  EXPECT_EQ(receiver_->UnprotectRtcp(copy), SrtpResult::kReplay);
}

TEST_P(SrtpSessionSuiteTest, WrongKeyFailsAuthentication) {
  std::vector<uint8_t> other_key = TestKey(suite());
  other_key[0] ^= 0xFF;
  std::unique_ptr<SrtpSession> stranger = MakeSession(suite(), Direction::kInbound, other_key);
  std::vector<uint8_t> packet = MakeRtp(3);
  ASSERT_EQ(sender_->ProtectRtp(packet), SrtpResult::kOk);
  EXPECT_EQ(stranger->UnprotectRtp(packet), SrtpResult::kAuthFailed);
}

TEST_P(SrtpSessionSuiteTest, SessionKeyedFromInlineTextDecryptsRawKeyedSession) {
  const std::string line = FormatSdesCrypto(1, suite(), TestKey(suite()));
  const std::string inline_value = line.substr(line.find("inline:"));
  StatusOr<SdesKey> key = ParseInlineKey(suite(), inline_value);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  std::unique_ptr<SrtpSession> receiver = MakeSession(suite(), Direction::kInbound, key->key);

  const std::vector<uint8_t> plain = MakeRtp(77);
  std::vector<uint8_t> packet = plain;
  ASSERT_EQ(sender_->ProtectRtp(packet), SrtpResult::kOk);
  ASSERT_EQ(receiver->UnprotectRtp(packet), SrtpResult::kOk);
  EXPECT_EQ(packet, plain);
}

TEST_P(SrtpSessionSuiteTest, TruncatedPacketsAreDroppedWithoutCrashing) {
  std::vector<uint8_t> protected_rtp = MakeRtp(10);
  ASSERT_EQ(sender_->ProtectRtp(protected_rtp), SrtpResult::kOk);
  std::vector<uint8_t> protected_rtcp = MakeRtcp();
  ASSERT_EQ(sender_->ProtectRtcp(protected_rtcp), SrtpResult::kOk);

  for (size_t n = 0; n < protected_rtp.size(); ++n) {
    std::vector<uint8_t> cut(protected_rtp.begin(), protected_rtp.begin() + n);
    const SrtpResult result = receiver_->UnprotectRtp(cut);
    if (n < 12 + SrtpTagLength(suite())) {
      EXPECT_EQ(result, SrtpResult::kMalformed) << n;
    } else {
      EXPECT_EQ(result, SrtpResult::kAuthFailed) << n;
    }
  }
  for (size_t n = 0; n < protected_rtcp.size(); ++n) {
    std::vector<uint8_t> cut(protected_rtcp.begin(), protected_rtcp.begin() + n);
    const SrtpResult result = receiver_->UnprotectRtcp(cut);
    if (n < 8 + SrtcpTrailerLength(suite())) {
      EXPECT_EQ(result, SrtpResult::kMalformed) << n;
    } else {
      EXPECT_NE(result, SrtpResult::kOk) << n;
    }
  }
}

TEST_P(SrtpSessionSuiteTest, GarbageIsNeverAccepted) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> garbage(rng() % 1500);
    for (uint8_t& b : garbage) b = static_cast<uint8_t>(rng());
    if (i % 2 == 0 && !garbage.empty()) garbage[0] = 0x80 | (garbage[0] & 0x3F);  // Version 2.
    std::vector<uint8_t> copy = garbage;
    const SrtpResult rtp = receiver_->UnprotectRtp(garbage);
    EXPECT_TRUE(rtp == SrtpResult::kMalformed || rtp == SrtpResult::kAuthFailed)
        << SrtpResultName(rtp);
    const SrtpResult rtcp = receiver_->UnprotectRtcp(copy);
    EXPECT_TRUE(rtcp == SrtpResult::kMalformed || rtcp == SrtpResult::kAuthFailed)
        << SrtpResultName(rtcp);
  }
}

TEST_P(SrtpSessionSuiteTest, OneSessionServesSeveralSsrcs) {
  const std::vector<uint8_t> audio = MakeRtp(1, 0xAAAA0001);
  const std::vector<uint8_t> video = MakeRtp(1, 0xBBBB0002, 1100);
  std::vector<uint8_t> a = audio;
  std::vector<uint8_t> v = video;
  ASSERT_EQ(sender_->ProtectRtp(a), SrtpResult::kOk);
  ASSERT_EQ(sender_->ProtectRtp(v), SrtpResult::kOk);
  ASSERT_EQ(receiver_->UnprotectRtp(v), SrtpResult::kOk);
  ASSERT_EQ(receiver_->UnprotectRtp(a), SrtpResult::kOk);
  EXPECT_EQ(a, audio);
  EXPECT_EQ(v, video);
}

TEST(SrtpSession, ReplayWindowCoversTheLast1024Packets) {
  const SrtpSuite suite = SrtpSuite::kAesCm128HmacSha1_80;
  auto sender = MakeSession(suite, Direction::kOutbound, TestKey(suite));
  auto receiver = MakeSession(suite, Direction::kInbound, TestKey(suite));
  std::vector<std::vector<uint8_t>> sent;
  for (uint16_t seq = 0; seq <= 2000; ++seq) {
    sent.push_back(MakeRtp(seq, 0x5555, 20));
    ASSERT_EQ(sender->ProtectRtp(sent.back()), SrtpResult::kOk);
  }
  ASSERT_EQ(receiver->UnprotectRtp(sent[2000]), SrtpResult::kOk);
  // 1000 behind the newest is inside a 1024-packet window (libsrtp's default is only 128) ...
  EXPECT_EQ(receiver->UnprotectRtp(sent[1000]), SrtpResult::kOk);
  EXPECT_EQ(receiver->UnprotectRtp(sent[1990]), SrtpResult::kOk);
  // ... 1100 behind is not.
  EXPECT_EQ(receiver->UnprotectRtp(sent[900]), SrtpResult::kReplay);
}

TEST(SrtpSession, ReorderedPacketsInsideTheWindowAreAccepted) {
  const SrtpSuite suite = SrtpSuite::kAeadAes128Gcm;
  auto sender = MakeSession(suite, Direction::kOutbound, TestKey(suite));
  auto receiver = MakeSession(suite, Direction::kInbound, TestKey(suite));
  std::vector<std::vector<uint8_t>> sent;
  for (uint16_t seq = 65530; seq != 6; ++seq) {  // Crosses the sequence number wrap.
    sent.push_back(MakeRtp(seq));
    ASSERT_EQ(sender->ProtectRtp(sent.back()), SrtpResult::kOk);
  }
  for (size_t i = 0; i < sent.size(); i += 2) {
    ASSERT_EQ(receiver->UnprotectRtp(sent[i]), SrtpResult::kOk) << i;
  }
  for (size_t i = 1; i < sent.size(); i += 2) {
    ASSERT_EQ(receiver->UnprotectRtp(sent[i]), SrtpResult::kOk) << i;
  }
}

TEST(SrtpSession, RetransmissionReprotectsTheSameSequenceNumber) {
  const SrtpSuite suite = SrtpSuite::kAesCm128HmacSha1_80;
  auto sender = MakeSession(suite, Direction::kOutbound, TestKey(suite));
  auto receiver = MakeSession(suite, Direction::kInbound, TestKey(suite));
  std::vector<uint8_t> first = MakeRtp(42);
  std::vector<uint8_t> later = MakeRtp(43);
  std::vector<uint8_t> resent = MakeRtp(42);
  ASSERT_EQ(sender->ProtectRtp(first), SrtpResult::kOk);
  ASSERT_EQ(sender->ProtectRtp(later), SrtpResult::kOk);
  ASSERT_EQ(sender->ProtectRtp(resent), SrtpResult::kOk);
  EXPECT_EQ(resent, first);
  // The receiver lost the original: the retransmission fills the gap.
  ASSERT_EQ(receiver->UnprotectRtp(later), SrtpResult::kOk);
  EXPECT_EQ(receiver->UnprotectRtp(resent), SrtpResult::kOk);
  EXPECT_EQ(resent, MakeRtp(42));
}

TEST(SrtpSession, MalformedHeadersNeverReachLibsrtp) {
  const SrtpSuite suite = SrtpSuite::kAesCm128HmacSha1_80;
  auto sender = MakeSession(suite, Direction::kOutbound, TestKey(suite));
  auto receiver = MakeSession(suite, Direction::kInbound, TestKey(suite));

  std::vector<uint8_t> version1 = MakeRtp(1);
  version1[0] = 0x40;
  std::vector<uint8_t> copy = version1;
  EXPECT_EQ(sender->ProtectRtp(version1), SrtpResult::kMalformed);
  EXPECT_EQ(version1, copy);  // Refused packets keep their bytes and length.
  EXPECT_EQ(receiver->UnprotectRtp(copy), SrtpResult::kMalformed);

  std::vector<uint8_t> too_many_csrcs = MakeRtp(1, 1, /*payload_size=*/20);
  too_many_csrcs[0] = 0x8F;  // 15 CSRCs = 60 bytes, more than the packet holds.
  EXPECT_EQ(sender->ProtectRtp(too_many_csrcs), SrtpResult::kMalformed);
  EXPECT_EQ(receiver->UnprotectRtp(too_many_csrcs), SrtpResult::kMalformed);

  std::vector<uint8_t> long_extension = MakeRtp(1, 1, 40, 0, 1);
  long_extension[14] = 0xFF;  // Extension length 0xFF01 words.
  EXPECT_EQ(sender->ProtectRtp(long_extension), SrtpResult::kMalformed);
  EXPECT_EQ(receiver->UnprotectRtp(long_extension), SrtpResult::kMalformed);

  std::vector<uint8_t> rtcp_version0 = MakeRtcp();
  rtcp_version0[0] = 0x00;
  EXPECT_EQ(sender->ProtectRtcp(rtcp_version0), SrtpResult::kMalformed);
  EXPECT_EQ(receiver->UnprotectRtcp(rtcp_version0), SrtpResult::kMalformed);

  std::vector<uint8_t> short_rtcp = {0x80, 200, 0, 0};
  EXPECT_EQ(sender->ProtectRtcp(short_rtcp), SrtpResult::kMalformed);

  std::vector<uint8_t> empty;
  EXPECT_EQ(sender->ProtectRtp(empty), SrtpResult::kMalformed);
  EXPECT_EQ(receiver->UnprotectRtp(empty), SrtpResult::kMalformed);
  EXPECT_EQ(receiver->UnprotectRtcp(empty), SrtpResult::kMalformed);
}

TEST(SrtpSession, OversizePacketsAreMalformed) {
  const SrtpSuite suite = SrtpSuite::kAesCm128HmacSha1_80;
  auto sender = MakeSession(suite, Direction::kOutbound, TestKey(suite));
  std::vector<uint8_t> huge = MakeRtp(1, 1, SrtpSession::kMaxPacketSize);
  EXPECT_EQ(sender->ProtectRtp(huge), SrtpResult::kMalformed);
  std::vector<uint8_t> largest = MakeRtp(1, 1, SrtpSession::kMaxPacketSize - 12);
  EXPECT_EQ(sender->ProtectRtp(largest), SrtpResult::kOk);
}

TEST(SrtpSession, EachDirectionOnlyDoesItsOwnJob) {
  const SrtpSuite suite = SrtpSuite::kAesCm128HmacSha1_80;
  auto sender = MakeSession(suite, Direction::kOutbound, TestKey(suite));
  auto receiver = MakeSession(suite, Direction::kInbound, TestKey(suite));
  EXPECT_EQ(sender->direction(), Direction::kOutbound);
  EXPECT_EQ(receiver->direction(), Direction::kInbound);
  EXPECT_EQ(receiver->suite(), suite);

  std::vector<uint8_t> rtp = MakeRtp(1);
  std::vector<uint8_t> rtcp = MakeRtcp();
  EXPECT_EQ(receiver->ProtectRtp(rtp), SrtpResult::kError);
  EXPECT_EQ(receiver->ProtectRtcp(rtcp), SrtpResult::kError);
  ASSERT_EQ(sender->ProtectRtp(rtp), SrtpResult::kOk);
  ASSERT_EQ(sender->ProtectRtcp(rtcp), SrtpResult::kOk);
  EXPECT_EQ(sender->UnprotectRtp(rtp), SrtpResult::kError);
  EXPECT_EQ(sender->UnprotectRtcp(rtcp), SrtpResult::kError);
}

TEST(SrtpSession, CreateRejectsKeyOfWrongLength) {
  const std::vector<uint8_t> aes_cm_key = TestKey(SrtpSuite::kAesCm128HmacSha1_80);
  StatusOr<std::unique_ptr<SrtpSession>> session =
      SrtpSession::Create(SrtpSuite::kAeadAes128Gcm, aes_cm_key, Direction::kInbound);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(session.status().message(), "SRTP key for AEAD_AES_128_GCM must be 28 bytes, got 30");
  EXPECT_FALSE(SrtpSession::Create(SrtpSuite::kAesCm128HmacSha1_80, {}, Direction::kOutbound).ok());
}

TEST(SrtpSession, ResultsHaveStableNames) {
  EXPECT_STREQ(SrtpResultName(SrtpResult::kOk), "ok");
  EXPECT_STREQ(SrtpResultName(SrtpResult::kAuthFailed), "auth_failed");
  EXPECT_STREQ(SrtpResultName(SrtpResult::kReplay), "replay");
  EXPECT_STREQ(SrtpResultName(SrtpResult::kMalformed), "malformed");
  EXPECT_STREQ(SrtpResultName(SrtpResult::kError), "error");
}

}  // namespace
}  // namespace tessera::srtp
