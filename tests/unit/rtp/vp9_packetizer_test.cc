#include "rtp/vp9_packetizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "rtp/vp9_depacketizer.h"

namespace tessera::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

// The start of a real 320x240 libvpx-vp9 keyframe and inter frame (see vp9_bitstream_test.cc),
// padded to `size` bytes.
// (Filled, then the start written over: GCC 12 at -O3 misreads resize() of a braced vector as an
// out-of-bounds move.)
Bytes Padded(std::initializer_list<uint8_t> start, size_t size, uint8_t pad) {
  Bytes f(size, pad);
  std::copy_n(start.begin(), std::min(size, start.size()), f.begin());
  return f;
}
Bytes Keyframe(size_t size) {
  return Padded({0x82, 0x49, 0x83, 0x42, 0x00, 0x13, 0xf0, 0x0e, 0xf6, 0x06}, size, 0x5a);
}
Bytes Interframe(size_t size) {
  return Padded({0x86, 0x00, 0x40, 0x92, 0x9c, 0x28, 0x49, 0x40}, size, 0xa5);
}

TEST(Vp9Packetizer, KeyframeCarriesTheScalabilityStructure) {
  Vp9Packetizer p({}, 0x1234);
  const Bytes frame = Keyframe(100);
  const auto payloads = p.Packetize(frame, true);
  ASSERT_EQ(payloads.size(), 1u);
  const Bytes expected_head = {0x8e,                           // I B E V
                               0x80 | 0x12, 0x34,              // M, PictureID
                               0x18,                           // N_S 0, Y, G
                               0x01,        0x40, 0x00, 0xf0,  // 320x240
                               0x01,        0x04, 0x01};       // N_G 1: R 1, P_DIFF 1
  ASSERT_GE(payloads[0].size(), expected_head.size());
  EXPECT_EQ(Bytes(payloads[0].begin(), payloads[0].begin() + 11), expected_head);
  EXPECT_EQ(Bytes(payloads[0].begin() + 11, payloads[0].end()), frame);
  EXPECT_EQ(p.next_picture_id(), 0x1235);

  auto descriptor = ParseVp9Descriptor(payloads[0]);
  ASSERT_TRUE(descriptor);
  ASSERT_TRUE(descriptor->ss);
  EXPECT_EQ(descriptor->ss->width[0], 320);
  EXPECT_EQ(descriptor->ss->height[0], 240);
  EXPECT_EQ(descriptor->picture_id, 0x1234);
  EXPECT_FALSE(descriptor->inter_picture_predicted);
}

TEST(Vp9Packetizer, InterFramesSetPAndNoScalabilityStructure) {
  Vp9Packetizer p({});
  const auto payloads = p.Packetize(Interframe(50), false);
  ASSERT_EQ(payloads.size(), 1u);
  EXPECT_EQ(payloads[0][0], 0xcc);  // I P B E
  EXPECT_EQ(payloads[0].size(), 3u + 50u);
}

TEST(Vp9Packetizer, SplitsEvenlyWithinTheMtuAndRoundTrips) {
  for (bool keyframe : {true, false}) {
    PacketizerConfig config;
    config.mtu = 1200;
    Vp9Packetizer p(config);
    const Bytes frame = keyframe ? Keyframe(5000) : Interframe(5000);
    const auto payloads = p.Packetize(frame, keyframe);
    ASSERT_EQ(payloads.size(), 5u);
    Vp9Depacketizer d;
    Bytes joined;
    size_t smallest = SIZE_MAX, largest = 0;
    for (size_t i = 0; i < payloads.size(); ++i) {
      EXPECT_LE(payloads[i].size(), config.mtu - kRtpOverhead);
      smallest = std::min(smallest, payloads[i].size());
      largest = std::max(largest, payloads[i].size());
      auto out = d.Parse(payloads[i]);
      ASSERT_TRUE(out);
      EXPECT_EQ(out->frame_start, i == 0);
      EXPECT_EQ(out->keyframe, keyframe && i == 0);
      EXPECT_EQ(out->layer_frame_end, i + 1 == payloads.size());
      joined.insert(joined.end(), out->data.begin(), out->data.end());
    }
    EXPECT_LE(largest - smallest, 1u);
    EXPECT_EQ(joined, frame);
  }
}

TEST(Vp9Packetizer, PictureIdWrapsAndEmptyInputsGiveNothing) {
  Vp9Packetizer p({}, 0x7FFF);
  ASSERT_FALSE(p.Packetize(Interframe(10), false).empty());
  EXPECT_EQ(p.next_picture_id(), 0);
  EXPECT_TRUE(p.Packetize({}, false).empty());
  EXPECT_EQ(p.next_picture_id(), 0);
  PacketizerConfig tiny;
  tiny.mtu = kRtpOverhead + 31;
  EXPECT_TRUE(Vp9Packetizer(tiny).Packetize(Interframe(10), false).empty());
  tiny.mtu = kRtpOverhead + 32;
  const auto payloads = Vp9Packetizer(tiny).Packetize(Keyframe(300), true);
  ASSERT_FALSE(payloads.empty());
  for (const auto& payload : payloads) EXPECT_LE(payload.size(), 32u);
}

TEST(Vp9Packetizer, KeyframeWithoutAReadableHeaderOmitsTheResolution) {
  Vp9Packetizer p({});
  const auto payloads = p.Packetize(Bytes(20, 0xff), true);
  ASSERT_EQ(payloads.size(), 1u);
  EXPECT_EQ(payloads[0][0], 0x8e);
  EXPECT_EQ(payloads[0][3], 0x08);  // G only
  auto descriptor = ParseVp9Descriptor(payloads[0]);
  ASSERT_TRUE(descriptor);
  ASSERT_TRUE(descriptor->ss);
  EXPECT_EQ(descriptor->ss->width[0], 0);
  EXPECT_EQ(descriptor->size, 3u + 4u);
}

}  // namespace
}  // namespace tessera::rtp
