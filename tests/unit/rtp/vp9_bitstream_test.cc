#include <gtest/gtest.h>
#include <tessera/rtp/vp9_bitstream.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace tessera::rtp::vp9 {
namespace {

using Bytes = std::vector<uint8_t>;

// First bytes of real frames: libvpx-vp9 through ffmpeg 5.1 (testsrc, yuv420p, profile 0,
// 320x240: a keyframe and the inter frame after it), GStreamer 1.22's vp9enc fed by
// videotestsrc (profile 3, 320x240 keyframe) and ffmpeg's libvpx-vp9 fed RGB (profile 1,
// 640x360 keyframe).
const Bytes kKeyframe320x240 = {0x82, 0x49, 0x83, 0x42, 0x00, 0x13, 0xf0, 0x0e, 0xf6, 0x06};
const Bytes kInterframe = {0x86, 0x00, 0x40, 0x92, 0x9c, 0x28, 0x49, 0x40};
const Bytes kProfile3Keyframe320x240 = {0xb1, 0x24, 0xc1, 0xa1, 0x48, 0x00,
                                        0x9f, 0x80, 0x77, 0xb0, 0x31};
const Bytes kProfile1RgbKeyframe640x360 = {0xa3, 0x49, 0x83, 0x42, 0xe0, 0x27,
                                           0xf0, 0x16, 0x70, 0x08, 0xe0};
// Written bit by bit from the specification: an error-resilient inter frame that takes none of
// its references' sizes and codes 3840x2160, a hidden intra-only profile 0 frame of 1920x1080,
// and a frame that shows reference slot 5.
const Bytes kInterframeResizedTo2160p = {0x87, 0x01, 0x02, 0x40, 0x1d, 0xfe, 0x10, 0xde};
const Bytes kIntraOnly1080p = {0x84, 0x89, 0x30, 0x68, 0x5f, 0xe0, 0xef, 0xe0, 0x86, 0xe0};
const Bytes kShowExisting = {0x8d};

TEST(Vp9UncompressedHeader, KeyframesGiveProfileAndSize) {
  auto h = ParseUncompressedHeader(kKeyframe320x240);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->keyframe);
  EXPECT_TRUE(h->show_frame);
  EXPECT_EQ(h->profile, 0);
  EXPECT_EQ(h->width, 320u);
  EXPECT_EQ(h->height, 240u);

  h = ParseUncompressedHeader(kProfile3Keyframe320x240);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->keyframe);
  EXPECT_EQ(h->profile, 3);
  EXPECT_EQ(h->width, 320u);
  EXPECT_EQ(h->height, 240u);

  h = ParseUncompressedHeader(kProfile1RgbKeyframe640x360);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->profile, 1);
  EXPECT_EQ(h->width, 640u);
  EXPECT_EQ(h->height, 360u);
}

TEST(Vp9UncompressedHeader, InterFramesCodeASizeOnlyWhenTheyChangeIt) {
  auto h = ParseUncompressedHeader(kInterframe);
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->keyframe);
  EXPECT_EQ(h->width, 0u);  // found_ref: a reference's size

  h = ParseUncompressedHeader(kInterframeResizedTo2160p);
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->keyframe);
  EXPECT_TRUE(h->error_resilient);
  EXPECT_EQ(h->width, 3840u);
  EXPECT_EQ(h->height, 2160u);

  h = ParseUncompressedHeader(kIntraOnly1080p);
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->keyframe);
  EXPECT_TRUE(h->intra_only);
  EXPECT_FALSE(h->show_frame);
  EXPECT_EQ(h->width, 1920u);
  EXPECT_EQ(h->height, 1080u);

  h = ParseUncompressedHeader(kShowExisting);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->show_existing_frame);
  EXPECT_FALSE(h->keyframe);
  EXPECT_EQ(h->width, 0u);
}

TEST(Vp9UncompressedHeader, TruncatedOrForeignDataIsNotAHeader) {
  for (size_t n = 0; n < 9; ++n) {
    EXPECT_FALSE(ParseUncompressedHeader(std::span(kKeyframe320x240).first(n))) << n;
  }
  Bytes bad_marker = kKeyframe320x240;
  bad_marker[0] ^= 0x40;  // frame marker 3
  EXPECT_FALSE(ParseUncompressedHeader(bad_marker));
  Bytes bad_sync = kKeyframe320x240;
  bad_sync[2] = 0x84;
  EXPECT_FALSE(ParseUncompressedHeader(bad_sync));
  // A VP8 keyframe (RFC 6386 9.1) does not read as VP9.
  EXPECT_FALSE(ParseUncompressedHeader(Bytes{0x90, 0x9c, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02}));
}

TEST(Vp9Superframe, JoinThenSplitGivesTheFrames) {
  const Bytes a(300, 0x11);
  const Bytes b(70000, 0x22);  // needs 3-byte sizes
  const std::span<const uint8_t> frames[] = {a, b};
  auto joined = JoinSuperframe(frames);
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->size(), a.size() + b.size() + 2 + 3 * 2);
  EXPECT_EQ(joined->back(), 0xc0 | (2 << 3) | 1);
  const auto split = SplitSuperframe(*joined);
  ASSERT_EQ(split.size(), 2u);
  EXPECT_TRUE(std::equal(split[0].begin(), split[0].end(), a.begin(), a.end()));
  EXPECT_TRUE(std::equal(split[1].begin(), split[1].end(), b.begin(), b.end()));
}

TEST(Vp9Superframe, NestedSuperframesAreFlattenedAndOneFrameHasNoIndex) {
  const Bytes a(10, 0x11), b(20, 0x22), c(30, 0x33);
  const std::span<const uint8_t> inner[] = {a, b};
  auto ab = JoinSuperframe(inner);
  ASSERT_TRUE(ab);
  const std::span<const uint8_t> outer[] = {*ab, c};
  auto abc = JoinSuperframe(outer);
  ASSERT_TRUE(abc);
  const auto split = SplitSuperframe(*abc);
  ASSERT_EQ(split.size(), 3u);
  EXPECT_EQ(split[0].size(), 10u);
  EXPECT_EQ(split[1].size(), 20u);
  EXPECT_EQ(split[2].size(), 30u);

  const std::span<const uint8_t> one[] = {c};
  auto single = JoinSuperframe(one);
  ASSERT_TRUE(single);
  EXPECT_EQ(*single, c);
  const std::span<const uint8_t> with_empty[] = {c, {}};
  EXPECT_FALSE(JoinSuperframe(with_empty));
  std::vector<std::span<const uint8_t>> nine(9, std::span<const uint8_t>(a));
  EXPECT_FALSE(JoinSuperframe(nine));
}

TEST(Vp9Superframe, DataWithoutAValidIndexIsOneFrame) {
  EXPECT_TRUE(SplitSuperframe({}).empty());
  EXPECT_EQ(SplitSuperframe(kKeyframe320x240).size(), 1u);
  // A marker byte at the end whose twin is missing, and an index whose sizes overrun the data.
  const Bytes lone_marker = {0x82, 0x49, 0x83, 0xc1};
  ASSERT_EQ(SplitSuperframe(lone_marker).size(), 1u);
  EXPECT_EQ(SplitSuperframe(lone_marker)[0].size(), 4u);
  const Bytes overrun = {0x01, 0x02, 0xc1, 0x05, 0x05, 0xc1};
  EXPECT_EQ(SplitSuperframe(overrun).size(), 1u);
  const Bytes fits = {0x01, 0x02, 0x03, 0xc1, 0x01, 0x02, 0xc1};
  const auto split = SplitSuperframe(fits);
  ASSERT_EQ(split.size(), 2u);
  EXPECT_EQ(split[0].size(), 1u);
  EXPECT_EQ(split[1].size(), 2u);
}

}  // namespace
}  // namespace tessera::rtp::vp9
