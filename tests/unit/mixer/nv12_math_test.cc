#include "kernels/nv12_math.h"

#include <gtest/gtest.h>
#include <libyuv/scale.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace tessera::kernels {
namespace {

bool Same(const PixelRect& a, const PixelRect& b) {
  return a.x == b.x && a.y == b.y && a.width == b.width && a.height == b.height;
}

TEST(Nv12Math, ClipEvenShrinksToEvenEdgesInsideBounds) {
  EXPECT_TRUE(Same(ClipEven({1, 3, 10, 10}, {0, 0, 100, 100}), {2, 4, 8, 8}));
  EXPECT_TRUE(Same(ClipEven({-5, -5, 20, 20}, {0, 0, 12, 100}), {0, 0, 12, 14}));
  EXPECT_TRUE(Same(ClipEven({90, 0, 20, 20}, {0, 0, 100, 100}), {90, 0, 10, 20}));
  EXPECT_TRUE(RectEmpty(ClipEven({1, 1, 1, 1}, {0, 0, 100, 100})));
  EXPECT_TRUE(RectEmpty(ClipEven({200, 0, 10, 10}, {0, 0, 100, 100})));
}

TEST(Nv12Math, FrameWidthIsEvenAndAtMostHalfTheSmallerSide) {
  EXPECT_EQ(FrameWidth({0, 0, 100, 60}, 0), 0);
  EXPECT_EQ(FrameWidth({0, 0, 100, 60}, -3), 0);
  EXPECT_EQ(FrameWidth({0, 0, 100, 60}, 3), 4);
  EXPECT_EQ(FrameWidth({0, 0, 100, 60}, 4), 4);
  EXPECT_EQ(FrameWidth({0, 0, 100, 6}, 10), 3);  // odd when the region is tiny
}

TEST(Nv12Math, InFrameCoversTheEdgesOnly) {
  const PixelRect r{10, 20, 40, 30};
  EXPECT_TRUE(InFrame(r, 4, 10, 20));
  EXPECT_TRUE(InFrame(r, 4, 49, 49));
  EXPECT_TRUE(InFrame(r, 4, 13, 35));
  EXPECT_TRUE(InFrame(r, 4, 30, 46));
  EXPECT_FALSE(InFrame(r, 4, 14, 24));
  EXPECT_FALSE(InFrame(r, 4, 45, 45));
  EXPECT_FALSE(InFrame(r, 4, 9, 20));   // outside the region
  EXPECT_FALSE(InFrame(r, 0, 10, 20));  // no frame
}

TEST(Nv12Math, InFrameOfOddWidthKeepsEvenSidesAsCpuFills) {
  // A 6-row region with a 3-pixel frame: CpuCompositor's sides, clipped to even rows, are rows
  // 0-1 and 4-5; rows 2-3 keep what is below.
  const PixelRect r{0, 0, 20, 6};
  const int w = FrameWidth(r, 10);
  ASSERT_EQ(w, 3);
  EXPECT_TRUE(InFrame(r, w, 8, 1));
  EXPECT_TRUE(InFrame(r, w, 8, 4));
  EXPECT_FALSE(InFrame(r, w, 8, 2));
  EXPECT_FALSE(InFrame(r, w, 8, 3));
}

TEST(Nv12Math, PlanPlaneScaleChoosesLibyuvsFilter) {
  EXPECT_EQ(PlanPlaneScale(640, 360, 640, 360, true).filter, kPlaneCopy);
  EXPECT_EQ(PlanPlaneScale(640, 360, 426, 240, false).filter, kPlaneBilinear);
  // Box only when both axes shrink by more than half.
  EXPECT_EQ(PlanPlaneScale(640, 360, 426, 240, true).filter, kPlaneBilinear);
  EXPECT_EQ(PlanPlaneScale(1920, 1080, 960, 400, true).filter, kPlaneBilinear);
  EXPECT_EQ(PlanPlaneScale(1920, 1080, 420, 236, true).filter, kPlaneBox);
  // Growing height filters horizontally first.
  EXPECT_EQ(PlanPlaneScale(320, 180, 420, 236, false).filter, kPlaneBilinearUp);
  EXPECT_EQ(PlanPlaneScale(640, 180, 420, 236, false).filter, kPlaneBilinearUp);
}

TEST(Nv12Math, BilinearDownscaleMapsPixelCentres) {
  const PlaneScale s = PlanPlaneScale(4, 4, 2, 2, false);
  // Output pixel 0 covers source pixels 0-1: its centre is source 0.5.
  EXPECT_EQ(s.x0, 32768);
  EXPECT_EQ(s.dx, 2 << 16);
  const PlaneScale up = PlanPlaneScale(2, 2, 5, 5, false);
  EXPECT_EQ(up.x0, 0);                      // upscale: corners map to corners
  EXPECT_EQ((up.x0 + 4 * up.dx) >> 16, 0);  // just short of the last pixel...
  EXPECT_GT(up.x0 + 4 * up.dx, 65536 - 8);  // ...by a rounding step
}

std::vector<uint8_t> TexturedPlane(int w, int h, int seed) {
  std::vector<uint8_t> p(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const double v = 128 + 90 * std::sin(x * 0.11 + seed) * std::cos(y * 0.07 - seed);
      p[static_cast<size_t>(y) * w + x] = static_cast<uint8_t>(v);
    }
  }
  return p;
}

// Largest difference between nv12_math's scale and libyuv's ScalePlane of the same plane.
int MaxDiffFromLibyuv(int sw, int sh, int dw, int dh, bool box) {
  const std::vector<uint8_t> src = TexturedPlane(sw, sh, sw + dh);
  std::vector<uint8_t> want(static_cast<size_t>(dw) * dh);
  libyuv::ScalePlane(src.data(), sw, sw, sh, want.data(), dw, dw, dh,
                     box ? libyuv::kFilterBox : libyuv::kFilterBilinear);
  const PlaneScale s = PlanPlaneScale(sw, sh, dw, dh, box);
  const PlaneSource p{src.data(), sw, 1};
  int max_diff = 0;
  for (int j = 0; j < dh; ++j) {
    for (int i = 0; i < dw; ++i) {
      const int d = std::abs(SamplePlane(p, s, i, j) - want[static_cast<size_t>(j) * dw + i]);
      max_diff = std::max(max_diff, d);
    }
  }
  return max_diff;
}

TEST(Nv12Math, BilinearMatchesLibyuvWithinOneLevel) {
  EXPECT_LE(MaxDiffFromLibyuv(640, 360, 418, 232, false), 1);    // grid tile
  EXPECT_LE(MaxDiffFromLibyuv(1920, 1080, 376, 208, false), 1);  // far downscale
  EXPECT_LE(MaxDiffFromLibyuv(320, 180, 418, 236, false), 1);    // upscale
  EXPECT_LE(MaxDiffFromLibyuv(640, 480, 310, 232, false), 1);    // letterboxed 4:3
  EXPECT_LE(MaxDiffFromLibyuv(160, 90, 209, 60, false), 1);      // width grows, height shrinks
  EXPECT_LE(MaxDiffFromLibyuv(200, 90, 120, 118, false), 1);     // width shrinks, height grows
}

TEST(Nv12Math, BoxMatchesLibyuvWithinOneLevel) {
  EXPECT_LE(MaxDiffFromLibyuv(1920, 1080, 376, 208, true), 1);
  EXPECT_LE(MaxDiffFromLibyuv(960, 540, 188, 104, true), 1);  // its chroma
  EXPECT_LE(MaxDiffFromLibyuv(1280, 720, 410, 230, true), 1);
  EXPECT_LE(MaxDiffFromLibyuv(1000, 700, 333, 111, true), 1);
}

// Samples of a w x h plane of zeros set in a buffer of 255s: any read outside the plane shows.
TEST(Nv12Math, SamplesNeverReadOutsideTheSourceRect) {
  struct Case {
    int sw, sh, dw, dh;
    bool box;
  };
  const Case cases[] = {{64, 36, 40, 22, false}, {64, 36, 100, 70, false}, {64, 36, 10, 6, true},
                        {64, 36, 64, 36, false}, {2, 2, 50, 50, false},    {64, 36, 2, 2, true},
                        {1, 1, 8, 8, false},     {63, 35, 21, 11, true},   {64, 2, 30, 20, false}};
  for (const Case& c : cases) {
    const int pitch = c.sw + 8;
    std::vector<uint8_t> buffer(static_cast<size_t>(pitch) * (c.sh + 8), 255);
    for (int y = 0; y < c.sh; ++y) {
      for (int x = 0; x < c.sw; ++x) buffer[static_cast<size_t>(y + 4) * pitch + x + 4] = 0;
    }
    const PlaneSource p{buffer.data() + 4 * pitch + 4, pitch, 1};
    const PlaneScale s = PlanPlaneScale(c.sw, c.sh, c.dw, c.dh, c.box);
    for (int j = 0; j < c.dh; ++j) {
      for (int i = 0; i < c.dw; ++i) {
        ASSERT_EQ(SamplePlane(p, s, i, j), 0)
            << c.sw << "x" << c.sh << "->" << c.dw << "x" << c.dh << " at " << i << "," << j;
      }
    }
  }
}

TEST(Nv12Math, InterleavedChromaSamplesOneComponent) {
  // 8x4 chroma samples: U = 10 * x, V = 200 - y.
  std::vector<uint8_t> uv(16 * 4);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 8; ++x) {
      uv[static_cast<size_t>(y) * 16 + 2 * x] = static_cast<uint8_t>(10 * x);
      uv[static_cast<size_t>(y) * 16 + 2 * x + 1] = static_cast<uint8_t>(200 - y);
    }
  }
  const PlaneScale copy = PlanPlaneScale(8, 4, 8, 4, false);
  const PlaneSource u{uv.data(), 16, 2};
  const PlaneSource v{uv.data() + 1, 16, 2};
  EXPECT_EQ(SamplePlane(u, copy, 5, 2), 50);
  EXPECT_EQ(SamplePlane(v, copy, 5, 2), 198);
  const PlaneScale half = PlanPlaneScale(8, 4, 4, 2, false);
  EXPECT_EQ(SamplePlane(u, half, 1, 0), 25);   // mean of columns 2 and 3
  EXPECT_EQ(SamplePlane(v, half, 1, 1), 198);  // rows 2 and 3: 198, 197; halves round up
}

}  // namespace
}  // namespace tessera::kernels
