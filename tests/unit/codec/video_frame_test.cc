#include <gtest/gtest.h>
#include <tessera/codec/video_frame.h>

namespace tessera::codec {
namespace {

TEST(VideoFrame, MakeRoundsChromaUpForOddSizes) {
  const VideoFrame f = VideoFrame::Make(5, 3);
  EXPECT_EQ(f.width, 5);
  EXPECT_EQ(f.height, 3);
  EXPECT_EQ(f.stride_y, 5);
  EXPECT_EQ(f.stride_u, 3);
  EXPECT_EQ(f.stride_v, 3);
  EXPECT_EQ(f.y.size(), 15u);
  EXPECT_EQ(f.u.size(), 6u);
  EXPECT_EQ(f.v.size(), 6u);
  EXPECT_EQ(f.y[0], 16);   // black
  EXPECT_EQ(f.u[0], 128);  // no colour
}

TEST(VideoFrame, MakeGivesEmptyFrameForNonPositiveSize) {
  const VideoFrame f = VideoFrame::Make(0, 360);
  EXPECT_EQ(f.width, 0);
  EXPECT_TRUE(f.y.empty());
  EXPECT_TRUE(VideoFrame::Make(640, -1).u.empty());
}

}  // namespace
}  // namespace tessera::codec
