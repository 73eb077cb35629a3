// STUN parsing, the integrity checks and the builder: RFC 5769's vectors, round trips, refusals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tessera/base/byte_io.h>
#include <tessera/webrtc/stun.h>
#include <tessera/webrtc/stun_writer.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "unit/webrtc/rfc5769_vectors.h"

namespace tessera::webrtc {
namespace {

using testing::kRfc5769Ipv4Response;
using testing::kRfc5769Ipv6Response;
using testing::kRfc5769Password;
using testing::kRfc5769Request;
using testing::kRfc5769TransactionId;

net::Endpoint At(const char* address, uint16_t port) {
  return net::Endpoint(boost::asio::ip::make_address(address), port);
}

StunTransactionId Rfc5769Id() {
  StunTransactionId id;
  std::copy(std::begin(kRfc5769TransactionId), std::end(kRfc5769TransactionId), id.begin());
  return id;
}

// A header of `type` for `attributes` (already encoded), with the RFC 5769 transaction id.
std::vector<uint8_t> Message(uint16_t type, const std::vector<uint8_t>& attributes) {
  std::vector<uint8_t> out;
  ByteWriter w(out);
  w.U16(type);
  w.U16(static_cast<uint16_t>(attributes.size()));
  w.U32(kStunMagicCookie);
  w.Bytes(kRfc5769TransactionId);
  w.Bytes(attributes);
  return out;
}

void Attribute(std::vector<uint8_t>& out, uint16_t type, std::vector<uint8_t> value) {
  ByteWriter w(out);
  w.U16(type);
  w.U16(static_cast<uint16_t>(value.size()));
  w.Bytes(value);
  w.Zeros((4 - value.size() % 4) % 4);
}

TEST(StunMessageType, InterleavesMethodAndClass) {
  EXPECT_EQ(StunMessageType(kStunMethodBinding, StunClass::kRequest), 0x0001);
  EXPECT_EQ(StunMessageType(kStunMethodBinding, StunClass::kIndication), 0x0011);
  EXPECT_EQ(StunMessageType(kStunMethodBinding, StunClass::kSuccessResponse), 0x0101);
  EXPECT_EQ(StunMessageType(kStunMethodBinding, StunClass::kErrorResponse), 0x0111);
  EXPECT_EQ(StunMessageType(0x0FFF, StunClass::kErrorResponse), 0x3FFF);
}

TEST(ParseStun, ReadsTheRfc5769SampleRequest) {
  auto m = ParseStun(kRfc5769Request);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->IsBindingRequest());
  EXPECT_EQ(m->transaction_id, Rfc5769Id());
  EXPECT_EQ(m->username, "evtj:h6vY");
  EXPECT_EQ(m->priority, 0x6e0001ffu);
  EXPECT_EQ(m->ice_controlled, 0x932ff9b151263b36u);
  EXPECT_FALSE(m->ice_controlling);
  EXPECT_FALSE(m->use_candidate);
  EXPECT_EQ(m->integrity_offset, 76u);
  EXPECT_EQ(m->fingerprint_offset, 100u);
  EXPECT_EQ(m->fingerprint, 0xe57a3bcfu);
  EXPECT_TRUE(m->unknown_required.empty());  // SOFTWARE is comprehension-optional

  EXPECT_TRUE(VerifyMessageIntegrity(*m, kRfc5769Request, kRfc5769Password));
  EXPECT_FALSE(VerifyMessageIntegrity(*m, kRfc5769Request, "VOkJxbRl1RmTxUk/WvJxBT"));
  EXPECT_FALSE(VerifyMessageIntegrity(*m, kRfc5769Request, ""));
  EXPECT_TRUE(VerifyFingerprint(*m, kRfc5769Request));
  EXPECT_EQ(ComputeFingerprint(kRfc5769Request, 100), 0xe57a3bcfu);
  const auto mac = ComputeMessageIntegrity(kRfc5769Request, 76, kRfc5769Password);
  ASSERT_TRUE(mac);
  EXPECT_TRUE(std::equal(mac->begin(), mac->end(), std::begin(kRfc5769Request) + 80));
}

TEST(ParseStun, ReadsTheRfc5769Ipv4Response) {
  auto m = ParseStun(kRfc5769Ipv4Response);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->method, kStunMethodBinding);
  EXPECT_EQ(m->message_class, StunClass::kSuccessResponse);
  EXPECT_EQ(m->xor_mapped_address, At("192.0.2.1", 32853));
  EXPECT_TRUE(VerifyMessageIntegrity(*m, kRfc5769Ipv4Response, kRfc5769Password));
  EXPECT_TRUE(VerifyFingerprint(*m, kRfc5769Ipv4Response));
}

TEST(ParseStun, ReadsTheRfc5769Ipv6Response) {
  auto m = ParseStun(kRfc5769Ipv6Response);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->message_class, StunClass::kSuccessResponse);
  EXPECT_EQ(m->xor_mapped_address, At("2001:db8:1234:5678:11:2233:4455:6677", 32853));
  EXPECT_TRUE(VerifyMessageIntegrity(*m, kRfc5769Ipv6Response, kRfc5769Password));
  EXPECT_TRUE(VerifyFingerprint(*m, kRfc5769Ipv6Response));
}

TEST(ParseStun, AnyChangedByteFailsIntegrityOrFingerprint) {
  for (size_t i = 0; i < sizeof(kRfc5769Request); ++i) {
    std::vector<uint8_t> copy(std::begin(kRfc5769Request), std::end(kRfc5769Request));
    copy[i] ^= 0x01;
    auto m = ParseStun(copy);
    if (!m) continue;
    // Between them the two checks cover every byte, padding included.
    EXPECT_FALSE(VerifyFingerprint(*m, copy) && VerifyMessageIntegrity(*m, copy, kRfc5769Password))
        << "byte " << i;
  }
}

TEST(StunWriter, WritesTheRfc5769XorMappedAddresses) {
  const auto v4 = BuildBindingSuccess(Rfc5769Id(), At("192.0.2.1", 32853), kRfc5769Password);
  ASSERT_GE(v4.size(), 32u);
  EXPECT_TRUE(std::equal(v4.begin() + 20, v4.begin() + 32, std::begin(kRfc5769Ipv4Response) + 36));
  const auto v6 = BuildBindingSuccess(
      Rfc5769Id(), At("2001:db8:1234:5678:11:2233:4455:6677", 32853), kRfc5769Password);
  ASSERT_GE(v6.size(), 44u);
  EXPECT_TRUE(std::equal(v6.begin() + 20, v6.begin() + 44, std::begin(kRfc5769Ipv6Response) + 36));
}

TEST(StunWriter, BindingSuccessRoundTrips) {
  const auto raw = BuildBindingSuccess(Rfc5769Id(), At("203.0.113.7", 50000), "password");
  auto m = ParseStun(raw);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->message_class, StunClass::kSuccessResponse);
  EXPECT_EQ(m->transaction_id, Rfc5769Id());
  EXPECT_EQ(m->xor_mapped_address, At("203.0.113.7", 50000));
  EXPECT_TRUE(VerifyMessageIntegrity(*m, raw, "password"));
  EXPECT_FALSE(VerifyMessageIntegrity(*m, raw, "Password"));
  EXPECT_TRUE(VerifyFingerprint(*m, raw));
}

TEST(StunWriter, AnIpv4MappedSourceIsAnsweredAsIpv4) {
  const auto raw = BuildBindingSuccess(Rfc5769Id(), At("::ffff:192.0.2.1", 32853), "pw");
  auto m = ParseStun(raw);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->xor_mapped_address, At("192.0.2.1", 32853));
}

TEST(StunWriter, BindingRequestRoundTrips) {
  BindingRequestParams p;
  p.transaction_id = Rfc5769Id();
  p.username = "abcd:efgh";
  p.priority = 0x6e0001ff;
  p.ice_controlling = 0x0102030405060708;
  p.use_candidate = true;
  p.integrity_key = "secret-password";
  const auto raw = BuildBindingRequest(p);
  auto m = ParseStun(raw);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->IsBindingRequest());
  EXPECT_EQ(m->username, "abcd:efgh");
  EXPECT_EQ(m->priority, 0x6e0001ffu);
  EXPECT_EQ(m->ice_controlling, 0x0102030405060708u);
  EXPECT_FALSE(m->ice_controlled);
  EXPECT_TRUE(m->use_candidate);
  EXPECT_TRUE(VerifyMessageIntegrity(*m, raw, "secret-password"));
  EXPECT_TRUE(VerifyFingerprint(*m, raw));
  EXPECT_EQ(raw.size() % 4, 0u);
}

TEST(StunWriter, ErrorResponsesCarryCodeReasonAndUnknownAttributes) {
  const uint16_t unknown[] = {0x0003, 0x7777};
  const auto raw = BuildBindingError(Rfc5769Id(), 420, "pw", unknown);
  auto m = ParseStun(raw);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->message_class, StunClass::kErrorResponse);
  ASSERT_TRUE(m->error_code);
  EXPECT_EQ(m->error_code->code, 420);
  EXPECT_EQ(m->error_code->reason, "Unknown Attribute");
  EXPECT_THAT(m->unknown_attributes, ::testing::ElementsAre(0x0003, 0x7777));
  EXPECT_TRUE(VerifyMessageIntegrity(*m, raw, "pw"));
  EXPECT_TRUE(VerifyFingerprint(*m, raw));

  // 401 for a request that failed the check: no MESSAGE-INTEGRITY.
  const auto unauthorized = BuildBindingError(Rfc5769Id(), 401);
  auto u = ParseStun(unauthorized);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->error_code->code, 401);
  EXPECT_EQ(u->error_code->reason, "Unauthorized");
  EXPECT_FALSE(u->integrity_offset);
  EXPECT_TRUE(VerifyFingerprint(*u, unauthorized));

  EXPECT_EQ(StunReasonPhrase(400), "Bad Request");
  EXPECT_EQ(StunReasonPhrase(487), "Role Conflict");
}

TEST(StunWriter, FailsRatherThanGrowPastTheLimit) {
  StunWriter w(kStunMethodBinding, StunClass::kRequest, Rfc5769Id());
  w.AddBytes(0x8022, std::vector<uint8_t>(kStunMaxMessageSize, 'x'));
  w.AddFingerprint();
  EXPECT_TRUE(w.Finish().empty());
}

TEST(ParseStun, RefusesBrokenHeaders) {
  std::vector<uint8_t> good = Message(0x0001, {});
  EXPECT_TRUE(ParseStun(good));
  auto broken = good;
  broken[0] = 0x40;  // first two bits set
  EXPECT_FALSE(ParseStun(broken));
  broken = good;
  broken[4] = 0x22;  // no magic cookie
  EXPECT_FALSE(ParseStun(broken));
  broken = good;
  broken[3] = 4;  // length says more than there is
  EXPECT_FALSE(ParseStun(broken));
  broken = good;
  broken.push_back(0);  // more than the length says, not a multiple of 4
  EXPECT_FALSE(ParseStun(broken));
  EXPECT_FALSE(ParseStun(std::span<const uint8_t>(good.data(), 19)));
  EXPECT_FALSE(ParseStun({}));
}

TEST(ParseStun, RefusesAnAttributeThatRunsPastTheEnd) {
  std::vector<uint8_t> attributes;
  Attribute(attributes, kStunAttrUsername, {'a', 'b', 'c', 'd'});
  attributes[3] = 8;  // claims 8 bytes, has 4
  EXPECT_FALSE(ParseStun(Message(0x0001, attributes)));
}

TEST(ParseStun, RefusesKnownAttributesOfTheWrongSize) {
  const std::pair<uint16_t, size_t> cases[] = {
      {kStunAttrPriority, 2},    {kStunAttrUseCandidate, 4},      {kStunAttrIceControlling, 4},
      {kStunAttrFingerprint, 8}, {kStunAttrMessageIntegrity, 16}, {kStunAttrXorMappedAddress, 12},
      {kStunAttrErrorCode, 2},   {kStunAttrUnknownAttributes, 3}, {kStunAttrUsername, 516},
  };
  for (const auto& [type, size] : cases) {
    std::vector<uint8_t> attributes;
    Attribute(attributes, type, std::vector<uint8_t>(size, 0));
    EXPECT_FALSE(ParseStun(Message(0x0001, attributes))) << type;
  }
}

TEST(ParseStun, BoundsTheNumberOfAttributes) {
  std::vector<uint8_t> attributes;
  for (size_t i = 0; i < kStunMaxAttributes; ++i) Attribute(attributes, 0x8030, {});
  EXPECT_TRUE(ParseStun(Message(0x0001, attributes)));
  Attribute(attributes, 0x8030, {});
  EXPECT_FALSE(ParseStun(Message(0x0001, attributes)));
  std::vector<uint8_t> big;
  Attribute(big, 0x8022, std::vector<uint8_t>(kStunMaxMessageSize, 'x'));
  EXPECT_FALSE(ParseStun(Message(0x0001, big)));
}

TEST(ParseStun, ListsUnknownRequiredAttributesOnceAndIgnoresWhatFollowsIntegrity) {
  std::vector<uint8_t> attributes;
  Attribute(attributes, 0x0003, {0, 0, 0, 0});  // CHANGE-REQUEST: comprehension-required
  Attribute(attributes, 0x0003, {0, 0, 0, 0});
  Attribute(attributes, 0xC057, {0, 1, 0, 0});  // GOOG-NETWORK-INFO: optional
  Attribute(attributes, kStunAttrMessageIntegrity, std::vector<uint8_t>(20, 0));
  Attribute(attributes, 0x0777, {});                       // after integrity: ignored
  Attribute(attributes, kStunAttrPriority, {0, 0, 0, 1});  // ignored too
  Attribute(attributes, kStunAttrFingerprint, {0, 0, 0, 0});
  Attribute(attributes, kStunAttrUsername, {'x'});  // after FINGERPRINT: ignored
  auto m = ParseStun(Message(0x0001, attributes));
  ASSERT_TRUE(m);
  EXPECT_THAT(m->unknown_required, ::testing::ElementsAre(0x0003));
  EXPECT_FALSE(m->priority);
  EXPECT_FALSE(m->username);
  EXPECT_TRUE(m->integrity_offset);
  ASSERT_TRUE(m->fingerprint_offset);
  // FINGERPRINT is not the last attribute: it does not verify, whatever its value.
  EXPECT_FALSE(VerifyFingerprint(*m, Message(0x0001, attributes)));
}

TEST(ParseStun, EveryTruncationIsRefused) {
  for (size_t n = 0; n < sizeof(kRfc5769Request); ++n) {
    EXPECT_FALSE(ParseStun(std::span<const uint8_t>(kRfc5769Request, n))) << n;
  }
}

TEST(ParseStun, GarbageNeverCrashes) {
  std::mt19937 rng(5769);
  std::vector<uint8_t> data;
  for (int i = 0; i < 20000; ++i) {
    data.assign(std::begin(kRfc5769Request), std::end(kRfc5769Request));
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) data[rng() % data.size()] = static_cast<uint8_t>(rng());
    data.resize(rng() % (data.size() + 1));
    if (auto m = ParseStun(data)) {
      (void)VerifyMessageIntegrity(*m, data, kRfc5769Password);
      (void)VerifyFingerprint(*m, data);
    }
  }
}

}  // namespace
}  // namespace tessera::webrtc
