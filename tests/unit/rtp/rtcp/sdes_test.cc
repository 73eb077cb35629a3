#include <gtest/gtest.h>
#include <tessera/rtp/rtcp/sdes.h>

#include <vector>

namespace tessera::rtp {
namespace {

TEST(Sdes, CnameChunkMatchesKnownBytes) {
  std::vector<uint8_t> out;
  Sdes::WithCname(0x11223344, "abc").Serialize(out);
  const std::vector<uint8_t> expected = {
      0x81, 202,  0x00, 0x03,                        // SC=1, length 3 (16 bytes)
      0x11, 0x22, 0x33, 0x44,                        // SSRC
      0x01, 0x03, 'a',  'b',  'c', 0x00, 0x00, 0x00  // CNAME "abc", null, pad
  };
  EXPECT_EQ(out, expected);
}

TEST(Sdes, ChunkEndingOnWordBoundaryGetsAFullNullWord) {
  std::vector<uint8_t> out;
  Sdes::WithCname(1, "ab").Serialize(out);  // 4 + 2 + 2 = 8 bytes of chunk, then 4 nulls
  ASSERT_EQ(out.size(), 16u);
  EXPECT_EQ(out[12], 0);
  auto parsed = Sdes::Parse(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->Cname(1), "ab");
}

TEST(Sdes, RoundTripsSeveralChunksAndItems) {
  Sdes sdes;
  sdes.chunks.push_back({1, {{1, "user@host"}, {2, "Alice"}, {6, "tessera"}}});
  sdes.chunks.push_back({2, {}});
  sdes.chunks.push_back({3, {{1, ""}, {7, std::string(200, 'x')}}});
  std::vector<uint8_t> out;
  sdes.Serialize(out);
  EXPECT_EQ(out.size() % 4, 0u);
  auto parsed = Sdes::Parse(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, sdes);
  EXPECT_EQ(parsed->Cname(1), "user@host");
  EXPECT_EQ(parsed->Cname(3), "");
  EXPECT_FALSE(parsed->Cname(2));
}

TEST(Sdes, TruncatesLongValuesTo255) {
  Sdes sdes = Sdes::WithCname(5, std::string(300, 'y'));
  std::vector<uint8_t> out;
  sdes.Serialize(out);
  auto parsed = Sdes::Parse(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->Cname(5)->size(), 255u);
}

TEST(Sdes, RejectsItemRunningPastBody) {
  const std::vector<uint8_t> packet = {0x81, 202,  0x00, 0x02, 0x11, 0x22,
                                       0x33, 0x44, 0x01, 0x09, 'a',  'b'};
  EXPECT_FALSE(Sdes::Parse(packet));
}

TEST(Sdes, RejectsMissingChunkAndMissingTerminator) {
  // SC=2 with one chunk.
  std::vector<uint8_t> out;
  Sdes::WithCname(1, "abc").Serialize(out);
  out[0] = 0x82;
  EXPECT_FALSE(Sdes::Parse(out));
  // Items fill the body exactly, with no null octet after them.
  const std::vector<uint8_t> unterminated = {0x81, 202, 0x00, 0x02, 0,   0,
                                             0,    1,   0x01, 0x02, 'a', 'b'};
  EXPECT_FALSE(Sdes::Parse(unterminated));
}

}  // namespace
}  // namespace tessera::rtp
