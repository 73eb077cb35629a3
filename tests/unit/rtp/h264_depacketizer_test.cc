#include "rtp/h264_depacketizer.h"

#include <gtest/gtest.h>

#include <vector>

#include "unit/rtp/h264_test_data.h"

namespace tessera::rtp {
namespace {

using ::tessera::rtp::testing::kPps;
using ::tessera::rtp::testing::kSps1280x720;
using ::tessera::rtp::testing::kSps640x360;

using Bytes = std::vector<uint8_t>;

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes Len(size_t n) { return {static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)}; }

const Bytes kStart = {0, 0, 0, 1};

TEST(H264Depacketizer, PrefixesSingleNalUnitWithStartCode) {
  H264Depacketizer d;
  const Bytes idr = {0x65, 0x88, 0x84, 0x21, 0xA0};
  auto out = d.Parse(idr);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->data, Cat({kStart, idr}));
  EXPECT_TRUE(out->keyframe);
  EXPECT_TRUE(out->frame_start);
  EXPECT_FALSE(out->has_parameter_sets);
  EXPECT_EQ(out->width, 0);
}

TEST(H264Depacketizer, SliceWithNonZeroFirstMbDoesNotStartFrame) {
  H264Depacketizer d;
  auto out = d.Parse(Bytes{0x41, 0x40, 0x12});  // first_mb_in_slice = 1
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->frame_start);
  EXPECT_FALSE(out->keyframe);
  out = d.Parse(Bytes{0x41, 0x9A, 0x12});  // first_mb_in_slice = 0
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->frame_start);
  EXPECT_FALSE(out->keyframe);
}

TEST(H264Depacketizer, AccessUnitDelimiterSeiAndParameterSetsStartFrame) {
  H264Depacketizer d;
  for (const Bytes& nal : {Bytes{0x09, 0xF0}, Bytes{0x06, 0x05, 0x01, 0x80}, kSps640x360, kPps}) {
    auto out = d.Parse(nal);
    ASSERT_TRUE(out);
    EXPECT_TRUE(out->frame_start) << int{nal[0]};
  }
  auto filler = d.Parse(Bytes{0x0C, 0xFF, 0x80});
  ASSERT_TRUE(filler);
  EXPECT_FALSE(filler->frame_start);
}

TEST(H264Depacketizer, ReadsPictureSizeFromSingleSps) {
  H264Depacketizer d;
  auto out = d.Parse(kSps1280x720);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->width, 1280);
  EXPECT_EQ(out->height, 720);
  EXPECT_FALSE(out->has_parameter_sets);  // no PPS in this packet
  EXPECT_TRUE(out->has_sps);
  EXPECT_FALSE(out->has_pps);
}

TEST(H264Depacketizer, MarksASinglePpsPacket) {
  H264Depacketizer d;
  auto out = d.Parse(kPps);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->has_pps);
  EXPECT_FALSE(out->has_sps);
  EXPECT_FALSE(out->has_parameter_sets);
  EXPECT_TRUE(out->frame_start);
}

TEST(H264Depacketizer, UnpacksStapAIntoStartCodedNalUnits) {
  H264Depacketizer d;
  const Bytes idr = {0x65, 0xB8, 0x00, 0x04};
  const Bytes stap = Cat(
      {{0x78}, Len(kSps640x360.size()), kSps640x360, Len(kPps.size()), kPps, Len(idr.size()), idr});
  auto out = d.Parse(stap);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->data, Cat({kStart, kSps640x360, kStart, kPps, kStart, idr}));
  EXPECT_TRUE(out->has_parameter_sets);
  EXPECT_TRUE(out->has_sps);
  EXPECT_TRUE(out->has_pps);
  EXPECT_TRUE(out->keyframe);
  EXPECT_TRUE(out->frame_start);
  EXPECT_EQ(out->width, 640);
  EXPECT_EQ(out->height, 360);
}

TEST(H264Depacketizer, StapAKnownBytes) {
  H264Depacketizer d;
  const Bytes stap = {0x18, 0x00, 0x02, 0x09, 0x10, 0x00, 0x03, 0x41, 0x9A, 0x02};
  auto out = d.Parse(stap);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->data, (Bytes{0, 0, 0, 1, 0x09, 0x10, 0, 0, 0, 1, 0x41, 0x9A, 0x02}));
  EXPECT_TRUE(out->frame_start);
  EXPECT_FALSE(out->keyframe);
  EXPECT_FALSE(out->has_parameter_sets);
}

TEST(H264Depacketizer, RejectsMalformedStapA) {
  H264Depacketizer d;
  // NAL unit size beyond the payload.
  EXPECT_FALSE(d.Parse(Bytes{0x78, 0x00, 0x05, 0x67, 0x42}));
  // Second size field cut in half.
  EXPECT_FALSE(d.Parse(Bytes{0x78, 0x00, 0x01, 0x09, 0x00}));
  // Zero-size NAL unit.
  EXPECT_FALSE(d.Parse(Bytes{0x78, 0x00, 0x00, 0x00, 0x01, 0x09}));
  // No NAL unit at all.
  EXPECT_FALSE(d.Parse(Bytes{0x78}));
  // An aggregation or fragmentation unit inside.
  EXPECT_FALSE(d.Parse(Bytes{0x78, 0x00, 0x02, 0x7C, 0x85}));
  // Truncated anywhere but at the end of the first NAL unit (a valid one-unit STAP-A).
  const Bytes valid = Cat({{0x78}, Len(kSps640x360.size()), kSps640x360, Len(kPps.size()), kPps});
  const size_t first_end = 1 + 2 + kSps640x360.size();
  for (size_t n = 1; n < valid.size(); ++n) {
    EXPECT_EQ(d.Parse(std::span<const uint8_t>(valid).first(n)).has_value(), n == first_end) << n;
  }
}

TEST(H264Depacketizer, ReassemblesFuAFragments) {
  H264Depacketizer d;
  auto first = d.Parse(Bytes{0x7C, 0x85, 0x88, 0x84, 0x00});
  auto middle = d.Parse(Bytes{0x7C, 0x05, 0xAA, 0xBB});
  auto last = d.Parse(Bytes{0x7C, 0x45, 0xCC});
  ASSERT_TRUE(first && middle && last);
  EXPECT_EQ(first->data, (Bytes{0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00}));
  EXPECT_EQ(middle->data, (Bytes{0xAA, 0xBB}));
  EXPECT_EQ(last->data, (Bytes{0xCC}));
  EXPECT_TRUE(first->frame_start);
  EXPECT_FALSE(middle->frame_start);
  EXPECT_FALSE(last->frame_start);
  EXPECT_TRUE(first->keyframe);
  EXPECT_TRUE(middle->keyframe);
  EXPECT_TRUE(last->keyframe);
}

TEST(H264Depacketizer, FuAStartRebuildsHeaderFromIndicatorNriAndInnerType) {
  H264Depacketizer d;
  auto out = d.Parse(Bytes{0x5C, 0x81, 0x40, 0x11});  // NRI 2, type 1, first_mb_in_slice 1
  ASSERT_TRUE(out);
  EXPECT_EQ(out->data, (Bytes{0, 0, 0, 1, 0x41, 0x40, 0x11}));
  EXPECT_FALSE(out->frame_start);
  EXPECT_FALSE(out->keyframe);
}

TEST(H264Depacketizer, RejectsMalformedFuA) {
  H264Depacketizer d;
  EXPECT_FALSE(d.Parse(Bytes{0x7C, 0xC5, 0x88}));  // S and E
  EXPECT_FALSE(d.Parse(Bytes{0x7C}));              // no FU header
  EXPECT_FALSE(d.Parse(Bytes{0x7C, 0x98, 0x00}));  // fragment of a STAP-A
  EXPECT_FALSE(d.Parse(Bytes{0x7C, 0x80, 0x00}));  // fragment of type 0
}

TEST(H264Depacketizer, RejectsEmptyPayloadAndTypesOutsideMode1) {
  H264Depacketizer d;
  EXPECT_FALSE(d.Parse({}));
  for (uint8_t type : {0, 25, 26, 27, 29, 30, 31}) {
    EXPECT_FALSE(d.Parse(Bytes{static_cast<uint8_t>(0x60 | type), 0x80, 0x00, 0x01, 0x02}))
        << int{type};
  }
}

}  // namespace
}  // namespace tessera::rtp
