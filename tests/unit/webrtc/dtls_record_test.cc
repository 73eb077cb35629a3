#include <gtest/gtest.h>
#include <tessera/webrtc/dtls_record.h>

#include <cstdint>
#include <vector>

namespace tessera::webrtc {
namespace {

std::vector<uint8_t> MakeRecord(uint8_t type, uint16_t version, uint16_t epoch, uint64_t seq,
                                const std::vector<uint8_t>& body) {
  std::vector<uint8_t> r = {type, static_cast<uint8_t>(version >> 8), static_cast<uint8_t>(version),
                            static_cast<uint8_t>(epoch >> 8), static_cast<uint8_t>(epoch)};
  for (int shift = 40; shift >= 0; shift -= 8) r.push_back(static_cast<uint8_t>(seq >> shift));
  r.push_back(static_cast<uint8_t>(body.size() >> 8));
  r.push_back(static_cast<uint8_t>(body.size()));
  r.insert(r.end(), body.begin(), body.end());
  return r;
}

std::vector<uint8_t> Concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A ClientHello handshake header: type 1, length, message_seq, fragment offset and length.
std::vector<uint8_t> ClientHelloBody() {
  return {1, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4, 0xFE, 0xFD, 0, 0};
}

TEST(SplitDtlsRecords, SplitsBackToBackRecords) {
  const std::vector<uint8_t> a = MakeRecord(22, kDtls12Version, 0, 7, {1, 2, 3});
  const std::vector<uint8_t> b = MakeRecord(20, kDtls12Version, 0, 8, {1});
  const std::vector<uint8_t> c = MakeRecord(23, kDtls12Version, 1, 0x0000AABBCCDDEEFF, {});
  const std::vector<uint8_t> datagram = Concat(Concat(a, b), c);

  const auto records = SplitDtlsRecords(datagram);
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].content_type, 22);
  EXPECT_EQ((*records)[0].version, kDtls12Version);
  EXPECT_EQ((*records)[0].sequence_number, 7u);
  EXPECT_EQ((*records)[0].body.size(), 3u);
  EXPECT_EQ((*records)[0].body[2], 3);
  EXPECT_EQ((*records)[0].wire.size(), a.size());
  EXPECT_EQ((*records)[1].content_type, 20);
  EXPECT_EQ((*records)[2].epoch, 1);
  EXPECT_EQ((*records)[2].sequence_number, 0xAABBCCDDEEFFu);
  EXPECT_TRUE((*records)[2].body.empty());
  EXPECT_EQ((*records)[2].wire.data(), datagram.data() + a.size() + b.size());
}

TEST(SplitDtlsRecords, AcceptsAllThreeVersions) {
  for (uint16_t version : {kDtls10Version, kDtls12Version, kDtls13Version}) {
    const auto records = SplitDtlsRecords(MakeRecord(22, version, 0, 0, {9}));
    ASSERT_TRUE(records.has_value()) << version;
    EXPECT_EQ(records->front().version, version);
  }
}

TEST(SplitDtlsRecords, RejectsWhatIsNotWholeRecords) {
  const std::vector<uint8_t> good = MakeRecord(22, kDtls12Version, 0, 0, {1, 2, 3, 4});
  EXPECT_FALSE(SplitDtlsRecords({}).has_value());
  // Trailing bytes, a cut header, a cut body.
  EXPECT_FALSE(SplitDtlsRecords(Concat(good, {0x16})).has_value());
  EXPECT_FALSE(SplitDtlsRecords(std::span(good).first(12)).has_value());
  EXPECT_FALSE(SplitDtlsRecords(std::span(good).first(good.size() - 1)).has_value());
  // Content types outside 20..25, versions that are not DTLS.
  EXPECT_FALSE(SplitDtlsRecords(MakeRecord(19, kDtls12Version, 0, 0, {1})).has_value());
  EXPECT_FALSE(SplitDtlsRecords(MakeRecord(26, kDtls12Version, 0, 0, {1})).has_value());
  EXPECT_FALSE(SplitDtlsRecords(MakeRecord(22, 0x0303, 0, 0, {1})).has_value());  // TLS 1.2
  EXPECT_FALSE(SplitDtlsRecords(MakeRecord(22, 0xFEFE, 0, 0, {1})).has_value());
  // RTP and STUN look nothing like it.
  const std::vector<uint8_t> rtp = {0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xAA, 0xBB};
  EXPECT_FALSE(SplitDtlsRecords(rtp).has_value());
}

TEST(SplitDtlsRecords, RejectsABodyOverTheRfcLimit) {
  const std::vector<uint8_t> at_limit(kDtlsMaxRecordBody, 0);
  EXPECT_TRUE(SplitDtlsRecords(MakeRecord(23, kDtls12Version, 1, 0, at_limit)).has_value());
  const std::vector<uint8_t> over(kDtlsMaxRecordBody + 1, 0);
  EXPECT_FALSE(SplitDtlsRecords(MakeRecord(23, kDtls12Version, 1, 0, over)).has_value());
}

TEST(LooksLikeClientHello, RecognisesAnEpochZeroClientHello) {
  EXPECT_TRUE(LooksLikeClientHello(MakeRecord(22, kDtls10Version, 0, 0, ClientHelloBody())));
  EXPECT_TRUE(LooksLikeClientHello(MakeRecord(22, kDtls12Version, 0, 1, ClientHelloBody())));
}

TEST(LooksLikeClientHello, RefusesEverythingElse) {
  std::vector<uint8_t> server_hello = ClientHelloBody();
  server_hello[0] = 2;
  EXPECT_FALSE(LooksLikeClientHello(MakeRecord(22, kDtls12Version, 0, 0, server_hello)));
  EXPECT_FALSE(LooksLikeClientHello(MakeRecord(22, kDtls12Version, 1, 0, ClientHelloBody())));
  EXPECT_FALSE(LooksLikeClientHello(MakeRecord(21, kDtls12Version, 0, 0, ClientHelloBody())));
  EXPECT_FALSE(LooksLikeClientHello(MakeRecord(22, kDtls12Version, 0, 0, {1, 0, 0})));
  EXPECT_FALSE(LooksLikeClientHello(
      Concat(MakeRecord(22, kDtls12Version, 0, 0, ClientHelloBody()), {0xFF})));
  EXPECT_FALSE(LooksLikeClientHello({}));
}

TEST(PackDtlsRecords, PacksWholeRecordsUpToTheMtu) {
  const std::vector<uint8_t> a = MakeRecord(22, kDtls12Version, 0, 0, std::vector<uint8_t>(80));
  const std::vector<uint8_t> b = MakeRecord(22, kDtls12Version, 0, 1, std::vector<uint8_t>(80));
  const std::vector<uint8_t> c = MakeRecord(22, kDtls12Version, 0, 2, std::vector<uint8_t>(80));
  const std::vector<uint8_t> all = Concat(Concat(a, b), c);
  // 93 bytes each: two fit in 200, the third starts a new datagram.
  const auto datagrams = PackDtlsRecords(all, 200);
  ASSERT_EQ(datagrams.size(), 2u);
  EXPECT_EQ(datagrams[0], Concat(a, b));
  EXPECT_EQ(datagrams[1], c);
  for (const auto& d : datagrams) EXPECT_TRUE(SplitDtlsRecords(d).has_value());
  // Everything fits in one.
  EXPECT_EQ(PackDtlsRecords(all, 1200).size(), 1u);
}

TEST(PackDtlsRecords, SendsAnOversizedRecordAloneAndGarbageUntouched) {
  const std::vector<uint8_t> big = MakeRecord(22, kDtls12Version, 0, 0, std::vector<uint8_t>(300));
  const std::vector<uint8_t> small = MakeRecord(21, kDtls12Version, 0, 1, {2, 0});
  const auto datagrams = PackDtlsRecords(Concat(small, Concat(big, small)), 256);
  ASSERT_EQ(datagrams.size(), 3u);
  EXPECT_EQ(datagrams[1], big);

  const std::vector<uint8_t> garbage = {1, 2, 3};
  const auto raw = PackDtlsRecords(garbage, 256);
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_EQ(raw[0], garbage);
  EXPECT_TRUE(PackDtlsRecords({}, 256).empty());
}

}  // namespace
}  // namespace tessera::webrtc
