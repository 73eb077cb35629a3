#include <gtest/gtest.h>
#include <tessera/rtp/h264_bitstream.h>

#include <vector>

#include "unit/rtp/h264_test_data.h"

namespace tessera::rtp::h264 {
namespace {

using ::tessera::rtp::testing::kPps;
using ::tessera::rtp::testing::kSps1280x720;
using ::tessera::rtp::testing::kSps640x360;

std::vector<uint8_t> Bytes(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }

// Writes bits most significant first, with exp-Golomb codes, to craft parameter sets.
class BitWriter {
 public:
  void Bits(uint32_t value, int n) {
    for (int i = n - 1; i >= 0; --i) Bit((value >> i) & 1);
  }
  void Bit(bool b) {
    if (bit_ == 0) bytes_.push_back(0);
    if (b) bytes_.back() |= static_cast<uint8_t>(0x80 >> bit_);
    bit_ = (bit_ + 1) % 8;
  }
  void Ue(uint32_t v) {
    const uint64_t code = uint64_t{v} + 1;
    int len = 0;
    while ((code >> len) > 1) ++len;
    Bits(0, len);
    Bits(static_cast<uint32_t>(code), len + 1);
  }
  void Se(int32_t v) { Ue(v > 0 ? 2 * v - 1 : -2 * v); }
  // rbsp_trailing_bits, then emulation prevention, as on the wire.
  std::vector<uint8_t> FinishNal(uint8_t header) {
    Bit(true);
    while (bit_ != 0) Bit(false);
    std::vector<uint8_t> nal = {header};
    int zeros = 0;
    for (uint8_t b : bytes_) {
      if (zeros >= 2 && b <= 3) {
        nal.push_back(3);
        zeros = 0;
      }
      nal.push_back(b);
      zeros = b == 0 ? zeros + 1 : 0;
    }
    return nal;
  }

 private:
  std::vector<uint8_t> bytes_;
  int bit_ = 0;
};

struct SpsFields {
  uint8_t profile_idc = 100;
  uint32_t chroma_format_idc = 1;
  bool separate_colour_plane = false;
  bool scaling_matrix = false;
  uint32_t poc_type = 0;
  uint32_t width_mbs = 80;
  uint32_t height_map_units = 45;
  bool frame_mbs_only = true;
  uint32_t crop[4] = {0, 0, 0, 0};
};

std::vector<uint8_t> WriteSps(const SpsFields& f) {
  BitWriter w;
  w.Bits(f.profile_idc, 8);
  w.Bits(0, 8);   // constraint flags
  w.Bits(40, 8);  // level_idc
  w.Ue(0);        // seq_parameter_set_id
  if (f.profile_idc == 100 || f.profile_idc == 244) {
    w.Ue(f.chroma_format_idc);
    if (f.chroma_format_idc == 3) w.Bit(f.separate_colour_plane);
    w.Ue(0);  // bit_depth_luma_minus8
    w.Ue(2);  // bit_depth_chroma_minus8
    w.Bit(false);
    w.Bit(f.scaling_matrix);
    if (f.scaling_matrix) {
      const int lists = f.chroma_format_idc != 3 ? 8 : 12;
      for (int i = 0; i < lists; ++i) {
        const bool present = i == 0 || i == 6 || i == 7;
        w.Bit(present);
        if (!present) continue;
        if (i == 7) {
          w.Se(-8);  // nextScale 0 at j = 0: use the default matrix
          continue;
        }
        const int size = i < 6 ? 16 : 64;
        for (int j = 0; j < size; ++j) w.Se(j % 2 ? 3 : -2);
      }
    }
  }
  w.Ue(4);  // log2_max_frame_num_minus4
  w.Ue(f.poc_type);
  if (f.poc_type == 0) {
    w.Ue(2);
  } else if (f.poc_type == 1) {
    w.Bit(false);
    w.Se(-3);
    w.Se(7);
    w.Ue(3);
    for (int i = 0; i < 3; ++i) w.Se(i - 1);
  }
  w.Ue(4);  // max_num_ref_frames
  w.Bit(false);
  w.Ue(f.width_mbs - 1);
  w.Ue(f.height_map_units - 1);
  w.Bit(f.frame_mbs_only);
  if (!f.frame_mbs_only) w.Bit(true);
  w.Bit(true);  // direct_8x8_inference_flag
  const bool cropping = f.crop[0] || f.crop[1] || f.crop[2] || f.crop[3];
  w.Bit(cropping);
  if (cropping) {
    for (uint32_t c : f.crop) w.Ue(c);
  }
  w.Bit(false);  // vui_parameters_present_flag
  return w.FinishNal(0x67);
}

TEST(SplitAnnexB, SplitsAtThreeAndFourByteStartCodes) {
  const std::vector<uint8_t> stream = {0,    0,    0, 1, 0x67, 0xAA, 0,    0,    1,
                                       0x68, 0xBB, 0, 0, 0,    1,    0x65, 0x88, 0x01};
  const auto nals = SplitAnnexB(stream);
  ASSERT_EQ(nals.size(), 3u);
  EXPECT_EQ(Bytes(nals[0]), (std::vector<uint8_t>{0x67, 0xAA}));
  EXPECT_EQ(Bytes(nals[1]), (std::vector<uint8_t>{0x68, 0xBB}));
  EXPECT_EQ(Bytes(nals[2]), (std::vector<uint8_t>{0x65, 0x88, 0x01}));
}

TEST(SplitAnnexB, DropsEmptyNalUnitsLeadingBytesAndTrailingZeros) {
  const std::vector<uint8_t> stream = {0x12, 0x34, 0, 0, 1, 0, 0,    0,    1, 0x09, 0xF0,
                                       0,    0,    0, 0, 0, 1, 0x41, 0x9A, 0, 0};
  const auto nals = SplitAnnexB(stream);
  ASSERT_EQ(nals.size(), 2u);
  EXPECT_EQ(Bytes(nals[0]), (std::vector<uint8_t>{0x09, 0xF0}));
  EXPECT_EQ(Bytes(nals[1]), (std::vector<uint8_t>{0x41, 0x9A}));
}

TEST(SplitAnnexB, KeepsEmulationPreventionBytes) {
  const std::vector<uint8_t> stream = {0, 0, 1, 0x67, 0, 0, 3, 1, 0x42};
  const auto nals = SplitAnnexB(stream);
  ASSERT_EQ(nals.size(), 1u);
  EXPECT_EQ(nals[0].size(), 6u);
}

TEST(SplitAnnexB, YieldsNothingWithoutStartCode) {
  EXPECT_TRUE(SplitAnnexB(std::vector<uint8_t>{0x65, 0x88, 0x84, 0x00, 0x01}).empty());
  EXPECT_TRUE(SplitAnnexB(std::vector<uint8_t>{0, 0, 1}).empty());
  EXPECT_TRUE(SplitAnnexB({}).empty());
}

TEST(UnescapeRbsp, RemovesEmulationPreventionBytesOnly) {
  const std::vector<uint8_t> escaped = {0x11, 0, 0, 3, 0, 0, 0, 3, 1, 0, 3, 0, 0, 3};
  EXPECT_EQ(UnescapeRbsp(escaped), (std::vector<uint8_t>{0x11, 0, 0, 0, 0, 0, 1, 0, 3, 0, 0}));
}

TEST(NalType, ClassifiesHeaderBytes) {
  EXPECT_EQ(NalTypeOf(0x67), 7);
  EXPECT_EQ(NalTypeOf(0x7C), 28);
  EXPECT_TRUE(IsSlice(NalTypeOf(0x65)));
  EXPECT_TRUE(IsSlice(NalTypeOf(0x41)));
  EXPECT_FALSE(IsSlice(NalTypeOf(0x06)));
  EXPECT_TRUE(IsSingleNalType(23));
  EXPECT_FALSE(IsSingleNalType(0));
  EXPECT_FALSE(IsSingleNalType(24));
}

TEST(BitReader, ReadsBitsAndExpGolombCodes) {
  // 1 | 010 | 011 | 00100 | 00111 | 1 -> ue 0, 1, 2, 3, 6; then se codes.
  BitWriter w;
  for (uint32_t v : {0u, 1u, 2u, 3u, 6u, 254u, 65535u}) w.Ue(v);
  for (int32_t v : {0, 1, -1, 2, -2, 1000, -1000}) w.Se(v);
  w.Bits(0x5, 3);
  const std::vector<uint8_t> nal = w.FinishNal(0);
  BitReader r(std::span<const uint8_t>(nal).subspan(1));
  for (uint32_t v : {0u, 1u, 2u, 3u, 6u, 254u, 65535u}) EXPECT_EQ(r.ReadUe(), v);
  for (int32_t v : {0, 1, -1, 2, -2, 1000, -1000}) EXPECT_EQ(r.ReadSe(), v);
  EXPECT_EQ(r.ReadBits(3), 5u);
  EXPECT_EQ(r.ReadFlag(), true);  // stop bit
  EXPECT_TRUE(r.ok());
}

TEST(BitReader, FailsPastTheEndAndStaysFailed) {
  const std::vector<uint8_t> data = {0xA5};
  BitReader r(data);
  EXPECT_EQ(r.ReadBits(4), 0xAu);
  EXPECT_FALSE(r.ReadBits(5));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.ReadBits(1));
  EXPECT_EQ(r.bits_left(), 0u);
}

TEST(BitReader, RejectsTruncatedAndOverlongExpGolomb) {
  const std::vector<uint8_t> truncated = {0x00, 0x01};  // 15 zeros, then the suffix is missing
  BitReader a(truncated);
  EXPECT_FALSE(a.ReadUe());
  const std::vector<uint8_t> overlong = {0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  BitReader b(overlong);
  EXPECT_FALSE(b.ReadUe());
  const std::vector<uint8_t> largest = {0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE};  // 31 zeros
  BitReader c(largest);
  EXPECT_EQ(c.ReadUe(), 0xFFFFFFFEu);
}

TEST(ParseSps, ReadsRealX264Sps640x360WithCropping) {
  auto sps = ParseSps(kSps640x360);
  ASSERT_TRUE(sps);
  EXPECT_EQ(sps->profile_idc, 100);
  EXPECT_EQ(sps->level_idc, 30);
  EXPECT_EQ(sps->width, 640);
  EXPECT_EQ(sps->height, 360);
}

TEST(ParseSps, ReadsRealX264Sps1280x720) {
  auto sps = ParseSps(kSps1280x720);
  ASSERT_TRUE(sps);
  EXPECT_EQ(sps->width, 1280);
  EXPECT_EQ(sps->height, 720);
}

TEST(ParseSps, ReadsRealBaselineAndHigh444AndInterlacedSps) {
  // Same source, -profile:v baseline; -pix_fmt yuv444p (High 4:4:4, chroma_format_idc 3);
  // -x264-params interlaced=1 (frame_mbs_only_flag 0).
  const std::vector<uint8_t> baseline = {0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x2f, 0xf9,
                                         0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00,
                                         0x03, 0x00, 0x32, 0x0f, 0x16, 0x2e, 0x48};
  const std::vector<uint8_t> high444 = {0x67, 0xf4, 0x00, 0x1f, 0x91, 0x9b, 0x28, 0x0a, 0x00,
                                        0xb7, 0x60, 0x22, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00,
                                        0x00, 0x03, 0x00, 0x64, 0x1e, 0x30, 0x63, 0x2c};
  const std::vector<uint8_t> high444_360 = {0x67, 0xf4, 0x00, 0x1e, 0x91, 0x9b, 0x28, 0x14, 0x05,
                                            0xff, 0x13, 0x80, 0x88, 0x00, 0x00, 0x03, 0x00, 0x08,
                                            0x00, 0x00, 0x03, 0x01, 0x90, 0x78, 0xb1, 0x6c, 0xb0};
  const std::vector<uint8_t> interlaced = {0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x63,
                                           0xf3, 0xe0, 0x22, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00,
                                           0x00, 0x03, 0x00, 0x64, 0x3e, 0x28, 0x53, 0x2c};
  const std::vector<uint8_t> interlaced720 = {0x67, 0x64, 0x00, 0x20, 0xac, 0xd9, 0x40, 0x50, 0x0b,
                                              0xbf, 0x2e, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x20,
                                              0x00, 0x00, 0x06, 0x43, 0xe2, 0xc5, 0xb2, 0xc0};
  struct Case {
    const std::vector<uint8_t>* nal;
    uint16_t width;
    uint16_t height;
  };
  for (const Case& c :
       {Case{&baseline, 640, 360}, Case{&high444, 1280, 720}, Case{&high444_360, 640, 360},
        Case{&interlaced, 640, 360}, Case{&interlaced720, 1280, 720}}) {
    auto sps = ParseSps(*c.nal);
    ASSERT_TRUE(sps) << c.width << "x" << c.height;
    EXPECT_EQ(sps->width, c.width);
    EXPECT_EQ(sps->height, c.height);
  }
}

TEST(ParseSps, SkipsScalingListsOf420And444) {
  SpsFields f;
  f.scaling_matrix = true;
  auto sps = ParseSps(WriteSps(f));
  ASSERT_TRUE(sps);
  EXPECT_EQ(sps->width, 1280);
  EXPECT_EQ(sps->height, 720);

  f.profile_idc = 244;
  f.chroma_format_idc = 3;
  f.width_mbs = 120;
  f.height_map_units = 68;
  f.crop[3] = 8;  // 4:4:4 crop unit is one line: 1088 - 8
  sps = ParseSps(WriteSps(f));
  ASSERT_TRUE(sps);
  EXPECT_EQ(sps->width, 1920);
  EXPECT_EQ(sps->height, 1080);
}

TEST(ParseSps, AppliesCropUnitsOfEachChromaFormat) {
  SpsFields f;
  f.width_mbs = 40;
  f.height_map_units = 23;  // 640x368
  f.crop[1] = 4;
  f.crop[3] = 4;
  f.chroma_format_idc = 2;  // 4:2:2: 2 columns, 1 line per unit
  auto sps = ParseSps(WriteSps(f));
  ASSERT_TRUE(sps);
  EXPECT_EQ(sps->width, 632);
  EXPECT_EQ(sps->height, 364);

  f.chroma_format_idc = 0;  // monochrome: 1 column, 1 line
  sps = ParseSps(WriteSps(f));
  ASSERT_TRUE(sps);
  EXPECT_EQ(sps->width, 636);
  EXPECT_EQ(sps->height, 364);

  f.profile_idc = 244;
  f.chroma_format_idc = 3;
  f.separate_colour_plane = true;  // ChromaArrayType 0
  f.frame_mbs_only = false;        // 2 lines per unit, 736 coded lines
  f.height_map_units = 12;         // 384 lines
  f.crop[3] = 12;
  sps = ParseSps(WriteSps(f));
  ASSERT_TRUE(sps);
  EXPECT_EQ(sps->width, 636);
  EXPECT_EQ(sps->height, 360);
}

TEST(ParseSps, ReadsPicOrderCountType1And2) {
  SpsFields f;
  f.profile_idc = 66;
  f.poc_type = 1;
  auto sps = ParseSps(WriteSps(f));
  ASSERT_TRUE(sps);
  EXPECT_EQ(sps->width, 1280);
  f.poc_type = 2;
  sps = ParseSps(WriteSps(f));
  ASSERT_TRUE(sps);
  EXPECT_EQ(sps->height, 720);
}

TEST(ParseSps, RejectsTruncatedOtherTypesAndOutOfRangeValues) {
  // The frame cropping fields end in byte 11; the VUI after them is not needed.
  ASSERT_TRUE(ParseSps(std::span<const uint8_t>(kSps640x360).first(11)));
  for (size_t n = 0; n < 11; ++n) {
    EXPECT_FALSE(ParseSps(std::span<const uint8_t>(kSps640x360).first(n))) << n;
  }
  EXPECT_FALSE(ParseSps(kPps));
  SpsFields f;
  f.crop[1] = 640;  // crops the whole picture away
  EXPECT_FALSE(ParseSps(WriteSps(f)));
  f = {};
  f.width_mbs = 5000;  // 80000 pixels wide
  EXPECT_FALSE(ParseSps(WriteSps(f)));
  f = {};
  f.chroma_format_idc = 4;
  EXPECT_FALSE(ParseSps(WriteSps(f)));
}

TEST(FirstMbInSlice, ReadsTheFirstSliceHeaderField) {
  EXPECT_EQ(FirstMbInSlice(std::vector<uint8_t>{0x65, 0x88}), 0u);
  EXPECT_EQ(FirstMbInSlice(std::vector<uint8_t>{0x41, 0x40}), 1u);
  // ue(v) 300 = 0000 0000 1001 0110 1 spans three bytes.
  EXPECT_EQ(FirstMbInSlice(std::vector<uint8_t>{0x41, 0x00, 0x96, 0x80}), 300u);
  EXPECT_FALSE(FirstMbInSlice(std::vector<uint8_t>{0x41}));
  EXPECT_FALSE(FirstMbInSlice(std::vector<uint8_t>{0x41, 0x00}));
}

}  // namespace
}  // namespace tessera::rtp::h264
