#include "rtp/vp9_depacketizer.h"

#include <gtest/gtest.h>
#include <tessera/rtp/vp9_bitstream.h>

#include <cstddef>
#include <utility>
#include <vector>

namespace tessera::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

// Real RTP payloads (first bytes) as senders sent them on loopback, 320x240 test sources:
// ffmpeg 5.1 (-c:v libvpx-vp9 -strict experimental -f rtp: a one-byte descriptor with only B and
// E, P never set) and GStreamer 1.22 (vp9enc ! rtpvp9pay: the scalability structure with the
// resolution and a one-picture group on keyframes, P on inter frames).
const Bytes kFfmpegKeyframeFirst = {0x08, 0x82, 0x49, 0x83, 0x42, 0x00, 0x13, 0xf0,
                                    0x0e, 0xf6, 0x06, 0x38, 0x24, 0x1c, 0x18, 0x42};
const Bytes kFfmpegInterframe = {0x0c, 0x86, 0x00, 0x40, 0x92, 0x9c, 0x28, 0x49, 0x40, 0x00};
const Bytes kGstreamerKeyframeFirst = {0x0a, 0x18, 0x01, 0x40, 0x00, 0xf0, 0x01, 0x04,
                                       0x01, 0xb1, 0x24, 0xc1, 0xa1, 0x48, 0x00, 0x9f,
                                       0x80, 0x77, 0xb0, 0x31, 0xc1, 0x20, 0xe0, 0xc2};
const Bytes kGstreamerInterframeFirst = {0x48, 0xb3, 0x00, 0x20, 0x49, 0x78, 0x58, 0x94};

Bytes Cat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Bytes Tail(const Bytes& b, size_t from) {
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from), b.end());
}

TEST(Vp9Depacketizer, FfmpegKeyframeAndInterframe) {
  Vp9Depacketizer d;
  auto key = d.Parse(kFfmpegKeyframeFirst);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->data, Tail(kFfmpegKeyframeFirst, 1));
  EXPECT_TRUE(key->frame_start);
  EXPECT_TRUE(key->keyframe);
  EXPECT_FALSE(key->layer_frame_end);
  EXPECT_EQ(key->width, 320);
  EXPECT_EQ(key->height, 240);

  auto inter = d.Parse(kFfmpegInterframe);
  ASSERT_TRUE(inter);
  EXPECT_TRUE(inter->frame_start);
  EXPECT_FALSE(inter->keyframe);
  EXPECT_TRUE(inter->layer_frame_end);
  EXPECT_EQ(inter->width, 0);
}

TEST(Vp9Depacketizer, GstreamerScalabilityStructureAndPBit) {
  auto descriptor = ParseVp9Descriptor(kGstreamerKeyframeFirst);
  ASSERT_TRUE(descriptor);
  EXPECT_EQ(descriptor->size, 9u);
  EXPECT_TRUE(descriptor->begin_of_frame);
  EXPECT_FALSE(descriptor->picture_id);
  ASSERT_TRUE(descriptor->ss);
  EXPECT_EQ(descriptor->ss->spatial_layers, 1);
  EXPECT_EQ(descriptor->ss->width[0], 320);
  EXPECT_EQ(descriptor->ss->height[0], 240);
  EXPECT_EQ(descriptor->ss->pictures_in_group, 1);

  Vp9Depacketizer d;
  auto key = d.Parse(kGstreamerKeyframeFirst);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->data, Tail(kGstreamerKeyframeFirst, 9));
  EXPECT_TRUE(key->keyframe);  // profile 3: the header still reads
  EXPECT_EQ(key->width, 320);

  auto inter = d.Parse(kGstreamerInterframeFirst);
  ASSERT_TRUE(inter);
  EXPECT_TRUE(inter->frame_start);
  EXPECT_FALSE(inter->keyframe);
}

TEST(Vp9Depacketizer, FlexibleModeWithLayersAndReferences) {
  // I P L F B, 15-bit PictureID 0x0123, TID 2 U SID 1 D, P_DIFF 1 (N) and 3.
  const Bytes payload = {0xf8, 0x81, 0x23, 0x53, 0x03, 0x06, 0x86, 0x00};
  auto d = ParseVp9Descriptor(payload);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->size, 6u);
  EXPECT_TRUE(d->flexible_mode);
  EXPECT_TRUE(d->inter_picture_predicted);
  EXPECT_EQ(d->picture_id, 0x0123);
  EXPECT_TRUE(d->picture_id_15bit);
  EXPECT_EQ(d->temporal_id, 2);
  EXPECT_TRUE(d->switching_up);
  EXPECT_EQ(d->spatial_id, 1);
  EXPECT_TRUE(d->inter_layer_dependency);
  EXPECT_FALSE(d->tl0_pic_idx);
  ASSERT_EQ(d->reference_count, 2);
  EXPECT_EQ(d->p_diff[0], 1);
  EXPECT_EQ(d->p_diff[1], 3);

  // A layer frame that depends on a lower layer of its picture does not start a frame.
  auto out = Vp9Depacketizer().Parse(payload);
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->frame_start);
  EXPECT_FALSE(out->keyframe);
}

TEST(Vp9Depacketizer, NonFlexibleModeHasTl0PicIdx) {
  // I L B, 7-bit PictureID 5, TID 1 SID 0, TL0PICIDX 0x7f.
  const Bytes payload = {0xa8, 0x05, 0x20, 0x7f, 0x86};
  auto d = ParseVp9Descriptor(payload);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->size, 4u);
  EXPECT_EQ(d->picture_id, 5);
  EXPECT_FALSE(d->picture_id_15bit);
  EXPECT_EQ(d->temporal_id, 1);
  EXPECT_EQ(d->spatial_id, 0);
  EXPECT_EQ(d->tl0_pic_idx, 0x7f);
  EXPECT_EQ(d->reference_count, 0);
}

TEST(Vp9Depacketizer, KeyframeNeedsPClearBaseLayerAndAKeyframeHeader) {
  const Bytes key = Tail(kFfmpegKeyframeFirst, 1);
  Vp9Depacketizer d;
  // P set: the sender says it predicts from an earlier picture.
  auto predicted = d.Parse(Cat({0x48}, key));
  ASSERT_TRUE(predicted);
  EXPECT_FALSE(predicted->keyframe);
  // Spatial layer 1 (non-flexible, no inter-layer dependency): starts a frame, not a keyframe.
  auto upper = d.Parse(Cat({0x28, 0x02, 0x00}, key));
  ASSERT_TRUE(upper);
  EXPECT_TRUE(upper->frame_start);
  EXPECT_FALSE(upper->keyframe);
  EXPECT_EQ(upper->width, 320);
  // D on spatial layer 0 is ignored.
  auto base = d.Parse(Cat({0x38, 0x01}, key));
  ASSERT_TRUE(base);
  EXPECT_TRUE(base->frame_start);
  EXPECT_TRUE(base->keyframe);
  // Not the first packet of the frame: the bytes are not a header.
  auto middle = d.Parse(Cat({0x00}, key));
  ASSERT_TRUE(middle);
  EXPECT_FALSE(middle->frame_start);
  EXPECT_FALSE(middle->keyframe);
  EXPECT_EQ(middle->width, 0);
  // A B packet whose data is no VP9 header: a frame start all the same, for the decoder to judge.
  auto junk = d.Parse(Bytes{0x08, 0xff, 0xff});
  ASSERT_TRUE(junk);
  EXPECT_TRUE(junk->frame_start);
  EXPECT_FALSE(junk->keyframe);
}

TEST(Vp9Depacketizer, MalformedDescriptors) {
  Vp9Depacketizer d;
  EXPECT_FALSE(d.Parse({}));
  EXPECT_FALSE(d.Parse(Bytes{0x80}));                          // I without PictureID
  EXPECT_FALSE(d.Parse(Bytes{0x80, 0x81}));                    // 15-bit PictureID cut short
  EXPECT_FALSE(d.Parse(Bytes{0x20}));                          // L without layer indices
  EXPECT_FALSE(d.Parse(Bytes{0x20, 0x00}));                    // non-flexible L without TL0PICIDX
  EXPECT_FALSE(d.Parse(Bytes{0x50}));                          // flexible P without P_DIFF
  EXPECT_FALSE(d.Parse(Bytes{0x50, 0x00, 0x86}));              // P_DIFF 0
  EXPECT_FALSE(d.Parse(Bytes{0x50, 0x03, 0x03, 0x03, 0x02}));  // four references
  EXPECT_FALSE(d.Parse(Bytes{0x02, 0x10, 0x01, 0x40}));        // SS resolution cut short
  EXPECT_FALSE(d.Parse(Bytes{0x02, 0x08, 0x02, 0x04}));        // SS group cut short
  EXPECT_FALSE(d.Parse(Bytes{0x08}));                          // B without VP9 data
  auto empty = d.Parse(Bytes{0x00});                           // no data, not B: legal
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->data.empty());
}

DepacketizedPayload Layer(Bytes data, bool end) {
  DepacketizedPayload p;
  p.data = std::move(data);
  p.layer_frame_end = end;
  return p;
}

TEST(Vp9AssembleFrame, LayerFramesOfOnePictureBecomeASuperframe) {
  // Spatial layer 0 in two packets, layer 1 in one.
  const DepacketizedPayload s0a = Layer(Bytes(100, 0x10), false);
  const DepacketizedPayload s0b = Layer(Bytes(50, 0x11), true);
  const DepacketizedPayload s1 = Layer(Bytes(400, 0x20), true);
  const DepacketizedPayload* packets[] = {&s0a, &s0b, &s1};
  const std::vector<uint8_t> frame = AssembleFrame(Codec::kVp9, packets);
  const auto split = vp9::SplitSuperframe(frame);
  ASSERT_EQ(split.size(), 2u);
  EXPECT_EQ(split[0].size(), 150u);
  EXPECT_EQ(split[0][0], 0x10);
  EXPECT_EQ(split[0][149], 0x11);
  EXPECT_EQ(split[1].size(), 400u);
  EXPECT_EQ(split[1][0], 0x20);
}

TEST(Vp9AssembleFrame, OneLayerFrameIsConcatenated) {
  const DepacketizedPayload a = Layer(Bytes(100, 0x10), false);
  const DepacketizedPayload b = Layer(Bytes(50, 0x11), false);  // E missing on the last: ends
  const DepacketizedPayload* packets[] = {&a, &b};
  const std::vector<uint8_t> frame = AssembleFrame(Codec::kVp9, packets);
  EXPECT_EQ(frame.size(), 150u);
  // An empty packet with E after the data changes nothing.
  const DepacketizedPayload end = Layer({}, true);
  const DepacketizedPayload* with_end[] = {&a, &b, &end};
  EXPECT_EQ(AssembleFrame(Codec::kVp9, with_end).size(), 150u);
}

}  // namespace
}  // namespace tessera::rtp
