#include <gtest/gtest.h>
#include <tessera/rtp/rtcp/tmmbn.h>
#include <tessera/rtp/rtcp/tmmbr.h>

#include <vector>

namespace tessera::rtp {
namespace {

TEST(Tmmbr, SerializesExpMantissaAndOverhead) {
  // 1 Mbps = 0x1E848 * 2^3 (17-bit mantissa); overhead 40 bytes.
  Tmmbr tmmbr{0x01010101, 0, {{0x02020202, 1'000'000, 40}}};
  std::vector<uint8_t> out;
  tmmbr.Serialize(out);
  // Exp 3 (6 bits) | mantissa 0x1E848 (17 bits) | overhead 40 (9 bits).
  const uint32_t word = (3u << 26) | (0x1E848u << 9) | 40u;
  const std::vector<uint8_t> expected = {
      0x83,
      205,
      0x00,
      0x04,
      0x01,
      0x01,
      0x01,
      0x01,
      0x00,
      0x00,
      0x00,
      0x00,
      0x02,
      0x02,
      0x02,
      0x02,
      static_cast<uint8_t>(word >> 24),
      static_cast<uint8_t>(word >> 16),
      static_cast<uint8_t>(word >> 8),
      static_cast<uint8_t>(word),
  };
  EXPECT_EQ(out, expected);
  auto parsed = Tmmbr::Parse(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, tmmbr);
}

TEST(Tmmbr, ClampsOverheadAndRejectsEmpty) {
  Tmmbr tmmbr{1, 0, {{2, 64000, 1000}}};
  std::vector<uint8_t> out;
  tmmbr.Serialize(out);
  auto parsed = Tmmbr::Parse(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->items[0].packet_overhead, 511);
  EXPECT_EQ(parsed->items[0].bitrate_bps, 64000u);

  const std::vector<uint8_t> empty = {0x83, 205, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0};
  EXPECT_FALSE(Tmmbr::Parse(empty));
}

TEST(Tmmbn, RoundTripsItemsAndAllowsEmptySet) {
  Tmmbn tmmbn{3, 0, {{4, 300'000, 28}, {5, 2'000'000, 60}}};
  std::vector<uint8_t> out;
  tmmbn.Serialize(out);
  EXPECT_EQ(out[0], 0x84);
  auto parsed = Tmmbn::Parse(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, tmmbn);

  Tmmbn none{3, 0, {}};
  out.clear();
  none.Serialize(out);
  EXPECT_EQ(out.size(), 12u);
  auto parsed_none = Tmmbn::Parse(out);
  ASSERT_TRUE(parsed_none);
  EXPECT_TRUE(parsed_none->items.empty());
}

TEST(Tmmbn, RejectsPartialItemAndOverflowingBitrate) {
  Tmmbn tmmbn{3, 0, {{4, 300'000, 28}}};
  std::vector<uint8_t> out;
  tmmbn.Serialize(out);
  std::vector<uint8_t> overflow = out;
  overflow[16] = 0xFF;  // exp 63 with a non-zero mantissa
  EXPECT_FALSE(Tmmbn::Parse(overflow));
  out.resize(out.size() - 4);
  out[3] = 0x03;
  EXPECT_FALSE(Tmmbn::Parse(out));
}

}  // namespace
}  // namespace tessera::rtp
