#include <gtest/gtest.h>
#include <tessera/rtp/av1_bitstream.h>

#include <cstdint>
#include <span>
#include <vector>

#include "unit/rtp/av1_test_data.h"

namespace tessera::rtp::av1 {
namespace {

using Bytes = std::vector<uint8_t>;
using namespace rtp::testing;

TEST(Av1Leb128, ReadsAndWritesTheSpecificationsEncoding) {
  struct Case {
    uint32_t value;
    Bytes bytes;
  };
  for (const Case& c :
       {Case{0, {0x00}}, Case{127, {0x7f}}, Case{128, {0x80, 0x01}}, Case{300, {0xac, 0x02}},
        Case{UINT32_MAX, {0xff, 0xff, 0xff, 0xff, 0x0f}}}) {
    Bytes written;
    WriteLeb128(c.value, written);
    EXPECT_EQ(written, c.bytes) << c.value;
    Bytes trailing = c.bytes;
    trailing.push_back(0x55);
    const auto read = ReadLeb128(trailing);
    ASSERT_TRUE(read) << c.value;
    EXPECT_EQ(read->value, c.value);
    EXPECT_EQ(read->size, c.bytes.size());
  }
  // Padded with continuation bytes, as the specification allows (up to 8 bytes).
  const auto padded = ReadLeb128(Bytes{0x85, 0x80, 0x80, 0x00});
  ASSERT_TRUE(padded);
  EXPECT_EQ(padded->value, 5u);
  EXPECT_EQ(padded->size, 4u);
  EXPECT_FALSE(ReadLeb128(Bytes{}));
  EXPECT_FALSE(ReadLeb128(Bytes{0x80, 0x80}));                    // ends inside
  EXPECT_FALSE(ReadLeb128(Bytes{0xff, 0xff, 0xff, 0xff, 0x1f}));  // 2^33 - 1
  EXPECT_FALSE(ReadLeb128(Bytes(9, 0x80)));                       // more than 8 bytes
}

TEST(Av1Obu, HeadersAndTheLowOverheadFormat) {
  auto h = ParseObuHeader(Bytes{0x0a});
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, ObuType::kSequenceHeader);
  EXPECT_TRUE(h->has_size_field);
  EXPECT_FALSE(h->has_extension);
  EXPECT_EQ(h->header_size, 1u);
  // A frame OBU with an extension: temporal layer 2, spatial layer 1.
  h = ParseObuHeader(Bytes{0x34, 0x48});
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, ObuType::kFrame);
  EXPECT_TRUE(h->has_extension);
  EXPECT_FALSE(h->has_size_field);
  EXPECT_EQ(h->temporal_id, 2);
  EXPECT_EQ(h->spatial_id, 1);
  EXPECT_EQ(h->header_size, 2u);
  EXPECT_FALSE(ParseObuHeader(Bytes{0x34}));  // the extension byte is missing
  EXPECT_FALSE(ParseObuHeader(Bytes{0x8a}));  // forbidden bit
  EXPECT_FALSE(ParseObuHeader(Bytes{}));

  bool complete = false;
  const auto obus = SplitObus(kAv1Keyframe64x48, &complete);
  EXPECT_TRUE(complete);
  ASSERT_EQ(obus.size(), 3u);
  EXPECT_EQ(obus[0].header.type, ObuType::kTemporalDelimiter);
  EXPECT_TRUE(obus[0].payload.empty());
  EXPECT_EQ(obus[1].header.type, ObuType::kSequenceHeader);
  EXPECT_EQ(obus[1].payload.size(), 10u);
  EXPECT_EQ(obus[1].header_bytes.size(), 1u);
  EXPECT_EQ(obus[1].header_bytes[0], 0x0a);
  EXPECT_EQ(obus[2].header.type, ObuType::kFrame);
  EXPECT_EQ(obus[2].payload.size(), 26u);

  // Written back OBU by OBU, the data is the same.
  Bytes rewritten;
  for (const Obu& obu : obus) AppendObu(obu.header_bytes, obu.payload, rewritten);
  EXPECT_EQ(rewritten, kAv1Keyframe64x48);

  // An OBU without a size field runs to the end; a size past the end stops the split.
  const auto unsized = SplitObus(Bytes{0x12, 0x00, 0x30, 0x01, 0x02, 0x03});
  ASSERT_EQ(unsized.size(), 2u);
  EXPECT_EQ(unsized[1].payload.size(), 3u);
  const auto cut = SplitObus(std::span(kAv1Keyframe64x48).first(20), &complete);
  EXPECT_FALSE(complete);
  EXPECT_EQ(cut.size(), 2u);  // the frame's size runs past the end
}

TEST(Av1SequenceHeader, MaximumFrameSizeFromEveryEncoderAndSyntax) {
  struct Case {
    const Bytes* payload;
    uint32_t width, height;
  };
  for (const Case& c : {Case{&kAv1SequenceHeaderLibaom320x240, 320, 240},
                        Case{&kAv1SequenceHeaderSvt320x240, 320, 240},
                        Case{&kAv1SequenceHeaderRav1e320x240, 320, 240},
                        Case{&kAv1SequenceHeaderTimingAndModels1280x720, 1280, 720},
                        Case{&kAv1SequenceHeaderReducedStill4096x2304, 4096, 2304}}) {
    const auto h = ParseSequenceHeader(*c.payload);
    ASSERT_TRUE(h) << c.width;
    EXPECT_EQ(h->max_width, c.width);
    EXPECT_EQ(h->max_height, c.height);
  }
  EXPECT_TRUE(
      ParseSequenceHeader(kAv1SequenceHeaderReducedStill4096x2304)->reduced_still_picture_header);
  const auto keyframe = SplitObus(kAv1Keyframe64x48);
  const auto h = ParseSequenceHeader(keyframe[1].payload);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->max_width, 64u);
  EXPECT_EQ(h->max_height, 48u);
  // Cut short anywhere before the size: unknown.
  const Bytes& full = kAv1SequenceHeaderTimingAndModels1280x720;
  for (size_t n = 0; n < 29; ++n) {
    EXPECT_FALSE(ParseSequenceHeader(std::span(full).first(n))) << n;
  }
}

}  // namespace
}  // namespace tessera::rtp::av1
