#include <gtest/gtest.h>
#include <tessera/rtp/rtcp/nack.h>

#include <algorithm>
#include <vector>

namespace tessera::rtp {
namespace {

// Lost 0, 1, 3, 8 and 16: PID 0 with BLP bits 0, 2, 7 and 15.
const std::vector<uint8_t> kNack = {
    0x81, 205,  0x00, 0x03,  // FMT=1, PT=205, length 3
    0x12, 0x34, 0x56, 0x78,  // sender SSRC
    0x9A, 0xBC, 0xDE, 0xF0,  // media SSRC
    0x00, 0x00, 0x80, 0x85,  // PID 0, BLP 0x8085
};

TEST(Nack, ParsesKnownBytes) {
  auto nack = Nack::Parse(kNack);
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->sender_ssrc, 0x12345678u);
  EXPECT_EQ(nack->media_ssrc, 0x9ABCDEF0u);
  EXPECT_EQ(nack->seqs, (std::vector<uint16_t>{0, 1, 3, 8, 16}));
}

TEST(Nack, SerializesToKnownBytes) {
  Nack nack{0x12345678, 0x9ABCDEF0, {16, 3, 0, 8, 1}};
  std::vector<uint8_t> out;
  nack.Serialize(out);
  EXPECT_EQ(out, kNack);
}

TEST(NackItems, PacksSeventeenConsecutiveIntoOneEntry) {
  std::vector<uint16_t> seqs;
  for (uint16_t s = 100; s <= 116; ++s) seqs.push_back(s);
  auto items = PackNackItems(seqs);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], (NackItem{100, 0xFFFF}));
  seqs.push_back(117);
  EXPECT_EQ(PackNackItems(seqs).size(), 2u);
}

TEST(NackItems, PacksMinimumEntriesRegardlessOfOrderAndDuplicates) {
  // 10, 26 fit one entry (26 = 10 + 16); 27 and 40 a second; 1000 a third.
  const std::vector<uint16_t> seqs = {1000, 40, 27, 26, 10, 10, 26};
  auto items = PackNackItems(seqs);
  ASSERT_EQ(items.size(), 3u);
  auto unpacked = UnpackNackItems(items);
  std::sort(unpacked.begin(), unpacked.end());
  EXPECT_EQ(unpacked, (std::vector<uint16_t>{10, 26, 27, 40, 1000}));
}

TEST(NackItems, PacksAcrossSequenceWrap) {
  const std::vector<uint16_t> seqs = {65534, 65535, 0, 5};
  auto items = PackNackItems(seqs);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].pid, 65534);
  EXPECT_EQ(UnpackNackItems(items), (std::vector<uint16_t>{65534, 65535, 0, 5}));
}

TEST(NackItems, EmptyListPacksToNothing) {
  EXPECT_TRUE(PackNackItems({}).empty());
  Nack nack{1, 2, {}};
  std::vector<uint8_t> out;
  nack.Serialize(out);
  EXPECT_TRUE(out.empty());
}

TEST(Nack, RoundTripsManySequenceNumbers) {
  Nack nack{5, 6, {}};
  for (uint16_t s = 65000; s != 700; s = static_cast<uint16_t>(s + 3)) nack.seqs.push_back(s);
  std::vector<uint8_t> out;
  nack.Serialize(out);
  auto parsed = Nack::Parse(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, nack);
}

TEST(Nack, RejectsEmptyOrRaggedFci) {
  std::vector<uint8_t> no_fci(kNack.begin(), kNack.begin() + 12);
  no_fci[3] = 0x02;
  EXPECT_FALSE(Nack::Parse(no_fci));
  std::vector<uint8_t> truncated(kNack.begin(), kNack.end() - 2);
  EXPECT_FALSE(Nack::Parse(truncated));
  std::vector<uint8_t> wrong_fmt = kNack;
  wrong_fmt[0] = 0x83;
  EXPECT_FALSE(Nack::Parse(wrong_fmt));
}

}  // namespace
}  // namespace tessera::rtp
