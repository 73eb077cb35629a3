#include "rtp/vp8_depacketizer.h"

#include <gtest/gtest.h>

#include <vector>

namespace tessera::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

// First bytes of real libvpx frames (ffmpeg -f lavfi -i testsrc=size=WxH -c:v libvpx -f ivf):
// a 640x360 keyframe, a 1280x720 keyframe and the interframe after it.
const Bytes kKeyframe640x360 = {0x90, 0x9c, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01,
                                0x00, 0x47, 0x08, 0x85, 0x85, 0x88, 0x85, 0x84, 0x88, 0x02};
const Bytes kKeyframe1280x720 = {0x90, 0x77, 0x01, 0x9d, 0x01, 0x2a, 0x00, 0x05,
                                 0xd0, 0x02, 0x00, 0x07, 0x08, 0x85, 0x85, 0x88};
const Bytes kInterframe = {0x91, 0x0c, 0x00, 0x13, 0x11, 0xfc, 0x00, 0x18};

Bytes Cat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

TEST(Vp8Depacketizer, ReadsKeyframeSizeFromFirstPacket) {
  Vp8Depacketizer d;
  auto out = d.Parse(Cat({0x10}, kKeyframe640x360));  // S = 1, PID = 0, no extension
  ASSERT_TRUE(out);
  EXPECT_EQ(out->data, kKeyframe640x360);
  EXPECT_TRUE(out->frame_start);
  EXPECT_TRUE(out->keyframe);
  EXPECT_EQ(out->width, 640);
  EXPECT_EQ(out->height, 360);

  out = d.Parse(Cat({0x90, 0x80, 0x81, 0x23}, kKeyframe1280x720));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->data, kKeyframe1280x720);
  EXPECT_EQ(out->width, 1280);
  EXPECT_EQ(out->height, 720);
}

TEST(Vp8Depacketizer, InterframeIsNotKeyframe) {
  Vp8Depacketizer d;
  auto out = d.Parse(Cat({0x10}, kInterframe));
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->frame_start);
  EXPECT_FALSE(out->keyframe);
  EXPECT_EQ(out->width, 0);
}

TEST(Vp8Depacketizer, OnlyStartOfPartitionZeroStartsFrame) {
  Vp8Depacketizer d;
  auto middle = d.Parse(Bytes{0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01});  // S = 0
  ASSERT_TRUE(middle);
  EXPECT_FALSE(middle->frame_start);
  EXPECT_FALSE(middle->keyframe);
  EXPECT_EQ(middle->width, 0);
  auto partition1 = d.Parse(Cat({0x11}, kKeyframe640x360));  // S = 1, PID = 1
  ASSERT_TRUE(partition1);
  EXPECT_FALSE(partition1->frame_start);
  EXPECT_FALSE(partition1->keyframe);
}

TEST(Vp8Depacketizer, MasksScalingBitsOfKeyframeSize) {
  Vp8Depacketizer d;
  Bytes frame = kKeyframe640x360;
  frame[7] |= 0xC0;  // horizontal_scale = 3
  frame[9] |= 0x40;  // vertical_scale = 1
  auto out = d.Parse(Cat({0x10}, frame));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->width, 640);
  EXPECT_EQ(out->height, 360);
}

TEST(Vp8Depacketizer, KeyframeWithoutFullHeaderHasNoSize) {
  Vp8Depacketizer d;
  auto cut = d.Parse(Cat({0x10}, Bytes(kKeyframe640x360.begin(), kKeyframe640x360.begin() + 9)));
  ASSERT_TRUE(cut);
  EXPECT_TRUE(cut->keyframe);
  EXPECT_EQ(cut->width, 0);
  Bytes bad_start_code = kKeyframe640x360;
  bad_start_code[4] = 0x02;
  auto bad = d.Parse(Cat({0x10}, bad_start_code));
  ASSERT_TRUE(bad);
  EXPECT_TRUE(bad->keyframe);
  EXPECT_EQ(bad->width, 0);
}

TEST(Vp8Depacketizer, ParsesEveryDescriptorField) {
  // X N S PID=2 | I L T K | M, PictureID 0x1234 | TL0PICIDX | TID 2, Y, KEYIDX 9
  const Bytes payload = {0xB2, 0xF0, 0x92, 0x34, 0x55, 0xA9, 0xAB};
  auto d = ParseVp8Descriptor(payload);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->non_reference);
  EXPECT_TRUE(d->start_of_partition);
  EXPECT_EQ(d->partition_id, 2);
  EXPECT_EQ(d->picture_id, 0x1234);
  EXPECT_TRUE(d->picture_id_15bit);
  EXPECT_EQ(d->tl0_pic_idx, 0x55);
  EXPECT_EQ(d->temporal_id, 2);
  EXPECT_TRUE(d->layer_sync);
  EXPECT_EQ(d->key_idx, 9);
  EXPECT_EQ(d->size, 6u);

  Vp8Depacketizer depacketizer;
  auto out = depacketizer.Parse(payload);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->data, Bytes{0xAB});
}

TEST(Vp8Depacketizer, ParsesSevenBitPictureIdAndKeyIdxWithoutTid) {
  auto d = ParseVp8Descriptor(Bytes{0x80, 0x90, 0x7F, 0x1F, 0x00});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->picture_id, 0x7F);
  EXPECT_FALSE(d->picture_id_15bit);
  EXPECT_FALSE(d->tl0_pic_idx);
  EXPECT_FALSE(d->temporal_id);
  EXPECT_EQ(d->key_idx, 0x1F);
  EXPECT_EQ(d->size, 4u);
}

TEST(Vp8Depacketizer, RejectsDescriptorTruncatedInEachOptionalField) {
  Vp8Depacketizer d;
  EXPECT_FALSE(d.Parse({}));
  for (const Bytes& payload : {
           Bytes{0x90},                          // X without the I/L/T/K byte
           Bytes{0x90, 0x80},                    // I without PictureID
           Bytes{0x90, 0x80, 0x80},              // M without the PictureID low byte
           Bytes{0x90, 0x40},                    // L without TL0PICIDX
           Bytes{0x90, 0xC0, 0x05},              // PictureID, then L without TL0PICIDX
           Bytes{0x90, 0x20},                    // T without TID/Y/KEYIDX
           Bytes{0x90, 0x10},                    // K without TID/Y/KEYIDX
           Bytes{0x90, 0xF0, 0x81, 0x00},        // all fields, cut after PictureID
           Bytes{0x90, 0xF0, 0x81, 0x00, 0x07},  // all fields, cut after TL0PICIDX
       }) {
    EXPECT_FALSE(d.Parse(payload)) << payload.size();
  }
}

TEST(Vp8Depacketizer, FirstPacketNeedsThePayloadHeader) {
  Vp8Depacketizer d;
  EXPECT_FALSE(d.Parse(Bytes{0x10}));
  EXPECT_FALSE(d.Parse(Bytes{0x10, 0x90, 0x9c}));
  EXPECT_TRUE(d.Parse(Bytes{0x10, 0x90, 0x9c, 0x00}));
}

TEST(Vp8Depacketizer, ContinuationWithoutPartitionBytesIsEmpty) {
  Vp8Depacketizer d;
  auto out = d.Parse(Bytes{0x80, 0x80, 0x05});
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->data.empty());
  EXPECT_FALSE(out->frame_start);
}

}  // namespace
}  // namespace tessera::rtp
