#include "codec/nv12.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "unit/codec/video_test_util.h"

namespace tessera::codec {
namespace {

TEST(Nv12, InterleavesUThenVAndKeepsLuma) {
  VideoFrame in = VideoFrame::Make(4, 2);
  for (size_t i = 0; i < in.y.size(); ++i) in.y[i] = static_cast<uint8_t>(i);
  in.u = {10, 11};
  in.v = {20, 21};
  std::vector<uint8_t> y(8 * 2, 0xee), uv(8, 0xee);
  I420ToNv12(in, y.data(), 8, uv.data(), 8);
  EXPECT_EQ(std::vector<uint8_t>(y.begin(), y.begin() + 4), (std::vector<uint8_t>{0, 1, 2, 3}));
  EXPECT_EQ(std::vector<uint8_t>(y.begin() + 8, y.begin() + 12),
            (std::vector<uint8_t>{4, 5, 6, 7}));
  EXPECT_EQ(uv, (std::vector<uint8_t>{10, 20, 11, 21, 0xee, 0xee, 0xee, 0xee}));
}

// Pitches wider than the picture, odd sizes: a decoder's surfaces have both.
TEST(Nv12, RoundTripIsExactWithPaddedPitchesAndOddSizes) {
  for (const auto& [w, h] : {std::pair{640, 360}, std::pair{65, 67}, std::pair{1, 1}}) {
    VideoFrame in = w >= 65 && h >= 65 ? testing::MovingPattern(w, h, 3) : VideoFrame::Make(w, h);
    const int pitch = (w + 1) / 2 * 2 + 32;
    std::vector<uint8_t> y(static_cast<size_t>(pitch) * h), uv(static_cast<size_t>(pitch) * h);
    I420ToNv12(in, y.data(), pitch, uv.data(), pitch);
    VideoFrame out = VideoFrame::Make(w, h);
    Nv12ToI420(y.data(), pitch, uv.data(), pitch, out);
    EXPECT_EQ(out.y, in.y) << w << "x" << h;
    EXPECT_EQ(out.u, in.u) << w << "x" << h;
    EXPECT_EQ(out.v, in.v) << w << "x" << h;
  }
}

}  // namespace
}  // namespace tessera::codec
