// Per-pixel maths of the NV12 compositor, shared by the CUDA kernels (kernels/compose.cu) and the
// CPU reference compositor (src/mixer/nv12_reference_compositor.cc), so the reference checks the
// very functions the GPU runs. Plain C++ that nvcc and g++ both compile; no allocation, no state.
//
// Scaling follows libyuv's ScalePlane (what CpuCompositor uses), in the same 16.16 fixed point:
// - bilinear, per axis: downscale (or same size) maps centres, src = (dst + 0.5) * src/dst - 0.5;
//   upscale maps the corners, src = dst * (src - 1) / (dst - 1). The vertical weight has 8 bits
//   and the horizontal 16, as libyuv's InterpolateRow and ScaleFilterCols. Vertical then
//   horizontal when the height shrinks, horizontal then vertical when it grows.
// - box ("area"): each output pixel averages the source pixels between floor(i * step) and
//   floor((i + 1) * step) on each axis. libyuv uses it only when both axes shrink by more than
//   half; otherwise it scales bilinearly, and so does PlanPlaneScale().
// libyuv's fast paths for exact 1/2, 3/4, 3/8 and 1/4 ratios and its SIMD rows round slightly
// differently; the result stays within a level or two of it.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define TESSERA_HD __host__ __device__
#else
#define TESSERA_HD
#endif

namespace tessera::kernels {

// A rectangle in pixels of a plane or canvas (same meaning as mixer::Rect).
struct PixelRect {
  int x;
  int y;
  int width;
  int height;
};

TESSERA_HD inline int AlignDown2(int v) { return v & ~1; }
TESSERA_HD inline int AlignUp2(int v) { return (v + 1) & ~1; }
TESSERA_HD inline int MinInt(int a, int b) { return a < b ? a : b; }
TESSERA_HD inline int MaxInt(int a, int b) { return a > b ? a : b; }

TESSERA_HD inline bool RectEmpty(const PixelRect& r) { return r.width <= 0 || r.height <= 0; }

TESSERA_HD inline bool RectContains(const PixelRect& r, int x, int y) {
  return x >= r.x && y >= r.y && x < r.x + r.width && y < r.y + r.height;
}

TESSERA_HD inline bool RectsIntersect(const PixelRect& a, const PixelRect& b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

// Intersection of `r` with `bounds`, shrunk to even coordinates and sizes; {0,0,0,0} when empty.
TESSERA_HD inline PixelRect ClipEven(const PixelRect& r, const PixelRect& bounds) {
  const int x0 = AlignUp2(MaxInt(r.x, bounds.x));
  const int y0 = AlignUp2(MaxInt(r.y, bounds.y));
  const int x1 = AlignDown2(MinInt(r.x + r.width, bounds.x + bounds.width));
  const int y1 = AlignDown2(MinInt(r.y + r.height, bounds.y + bounds.height));
  if (x1 <= x0 || y1 <= y0) return PixelRect{0, 0, 0, 0};
  return PixelRect{x0, y0, x1 - x0, y1 - y0};
}

// Width of the border or highlight frame drawn inside `region` for a requested `px`: rounded up to
// even, at most half the region's smaller side. 0 = no frame.
TESSERA_HD inline int FrameWidth(const PixelRect& region, int px) {
  if (px <= 0) return 0;
  return MaxInt(0, MinInt(AlignUp2(px), MinInt(region.width, region.height) / 2));
}

// Side `side` (0 top, 1 bottom, 2 left, 3 right) of a frame `w` (FrameWidth()) wide inside
// `region`, clipped to even pixels as CpuCompositor's fills are.
TESSERA_HD inline PixelRect FrameSide(const PixelRect& region, int w, int side) {
  const PixelRect& r = region;
  PixelRect s{0, 0, 0, 0};
  switch (side) {
    case 0:
      s = PixelRect{r.x, r.y, r.width, w};
      break;
    case 1:
      s = PixelRect{r.x, r.y + r.height - w, r.width, w};
      break;
    case 2:
      s = PixelRect{r.x, r.y + w, w, r.height - 2 * w};
      break;
    default:
      s = PixelRect{r.x + r.width - w, r.y + w, w, r.height - 2 * w};
      break;
  }
  return ClipEven(s, region);
}

// True when pixel (x, y) belongs to the frame `w` wide inside `region`.
TESSERA_HD inline bool InFrame(const PixelRect& region, int w, int x, int y) {
  if (w <= 0 || !RectContains(region, x, y)) return false;
  for (int side = 0; side < 4; ++side) {
    if (RectContains(FrameSide(region, w, side), x, y)) return true;
  }
  return false;
}

// How one plane of a source rect maps onto one plane of a destination rect.
enum PlaneFilter : int32_t {
  kPlaneCopy = 0,        // same size
  kPlaneBilinear = 1,    // vertical, then horizontal (height shrinks or stays)
  kPlaneBilinearUp = 2,  // horizontal, then vertical (height grows)
  kPlaneBox = 3,
};

struct PlaneScale {
  int32_t filter;
  int32_t src_width;  // the source rect in this plane's pixels
  int32_t src_height;
  int32_t x0;  // 16.16 source coordinate of destination column 0, and the step per column
  int32_t dx;
  int32_t y0;  // same for rows
  int32_t dy;
};

// (num << 16) / div, as libyuv's FixedDiv.
TESSERA_HD inline int32_t FixedDiv(int num, int div) {
  return static_cast<int32_t>((static_cast<int64_t>(num) << 16) / div);
}
// ((num << 16) - 0x10001) / (div - 1): the upscale step that lands the last pixel on the last.
TESSERA_HD inline int32_t FixedDiv1(int num, int div) {
  return static_cast<int32_t>(((static_cast<int64_t>(num) << 16) - 0x00010001) / (div - 1));
}

// Start and step of one bilinear axis (libyuv's ScaleSlope for kFilterBilinear).
TESSERA_HD inline void BilinearAxis(int src, int dst, int32_t* start, int32_t* step) {
  *start = 0;
  *step = 0;
  if (dst <= src) {
    *step = FixedDiv(src, dst);
    *start = (*step >> 1) - 32768;  // centre of the first destination pixel, less half a pixel
  } else if (src > 1 && dst > 1) {
    *step = FixedDiv1(src, dst);
  }
}

// The mapping of a src_w x src_h plane onto dst_w x dst_h (all > 0). `box` asks for the box
// filter; as in libyuv it applies only when both axes shrink by more than half.
TESSERA_HD inline PlaneScale PlanPlaneScale(int src_w, int src_h, int dst_w, int dst_h, bool box) {
  PlaneScale s{kPlaneCopy, src_w, src_h, 0, 65536, 0, 65536};
  if (src_w == dst_w && src_h == dst_h) return s;
  if (box && dst_w * 2 < src_w && dst_h * 2 < src_h) {
    s.filter = kPlaneBox;
    s.dx = FixedDiv(src_w, dst_w);
    s.dy = FixedDiv(src_h, dst_h);
    return s;
  }
  s.filter = dst_h > src_h ? kPlaneBilinearUp : kPlaneBilinear;
  BilinearAxis(src_w, dst_w, &s.x0, &s.dx);
  BilinearAxis(src_h, dst_h, &s.y0, &s.dy);
  return s;
}

// A source plane: `data` points at the source rect's top-left sample; samples of a row are `step`
// bytes apart (1 for Y, 2 for NV12's interleaved U or V); rows are `pitch` bytes apart.
struct PlaneSource {
  const uint8_t* data;
  int pitch;
  int step;
};

TESSERA_HD inline uint8_t At(const PlaneSource& p, int x, int y) {
  return p.data[static_cast<int64_t>(y) * p.pitch + static_cast<int64_t>(x) * p.step];
}

// a + (b - a) * f / 256, rounded (libyuv's InterpolateRow).
TESSERA_HD inline int Lerp8(int a, int b, int f) { return (a * (256 - f) + b * f + 128) >> 8; }
// a + (b - a) * f / 65536, rounded (libyuv's ScaleFilterCols).
TESSERA_HD inline int Lerp16(int a, int b, int f) { return a + ((f * (b - a) + 0x8000) >> 16); }

// Destination pixel (i, j) of a bilinear scale. Source indices are clamped to the plane, so a
// sample never reads outside the source rect.
TESSERA_HD inline uint8_t SampleBilinear(const PlaneSource& p, const PlaneScale& s, int i, int j) {
  const int64_t max_y = static_cast<int64_t>(s.src_height - 1) << 16;
  int64_t y = static_cast<int64_t>(s.y0) + static_cast<int64_t>(j) * s.dy;
  if (y > max_y) y = max_y;
  if (y < 0) y = 0;
  const int64_t x = static_cast<int64_t>(s.x0) + static_cast<int64_t>(i) * s.dx;
  const int yi = static_cast<int>(y >> 16);
  const int yf = static_cast<int>((y >> 8) & 255);
  const int xi = MinInt(static_cast<int>(x >> 16), s.src_width - 1);
  const int xf = static_cast<int>(x & 0xffff);
  const int yi1 = MinInt(yi + 1, s.src_height - 1);
  const int xi1 = MinInt(xi + 1, s.src_width - 1);
  const int a = At(p, xi, yi);
  const int b = xf != 0 ? At(p, xi1, yi) : a;
  if (yf == 0) return static_cast<uint8_t>(Lerp16(a, b, xf));
  const int c = At(p, xi, yi1);
  const int d = xf != 0 ? At(p, xi1, yi1) : c;
  if (s.filter == kPlaneBilinearUp) {
    return static_cast<uint8_t>(Lerp8(Lerp16(a, b, xf), Lerp16(c, d, xf), yf));
  }
  return static_cast<uint8_t>(Lerp16(Lerp8(a, c, yf), Lerp8(b, d, yf), xf));
}

// Destination pixel (i, j) of a box downscale: the truncated mean of the source box, as libyuv's
// ScalePlaneBox (sum * (65536 / count) >> 16).
TESSERA_HD inline uint8_t SampleBox(const PlaneSource& p, const PlaneScale& s, int i, int j) {
  const int64_t max_y = static_cast<int64_t>(s.src_height) << 16;
  int64_t y0 = static_cast<int64_t>(j) * s.dy;
  int64_t y1 = y0 + s.dy;
  if (y0 > max_y) y0 = max_y;
  if (y1 > max_y) y1 = max_y;
  const int row0 = MinInt(static_cast<int>(y0 >> 16), s.src_height - 1);
  const int rows = MaxInt(1, static_cast<int>(y1 >> 16) - static_cast<int>(y0 >> 16));
  const int64_t x0 = static_cast<int64_t>(i) * s.dx;
  const int col0 = MinInt(static_cast<int>(x0 >> 16), s.src_width - 1);
  const int cols = MaxInt(1, static_cast<int>((x0 + s.dx) >> 16) - static_cast<int>(x0 >> 16));
  const int row_end = MinInt(row0 + rows, s.src_height);
  const int col_end = MinInt(col0 + cols, s.src_width);
  int sum = 0;
  for (int row = row0; row < row_end; ++row) {
    for (int col = col0; col < col_end; ++col) sum += At(p, col, row);
  }
  return static_cast<uint8_t>((sum * (65536 / (rows * cols))) >> 16);
}

// Destination pixel (i, j) of the plane mapping `s`.
TESSERA_HD inline uint8_t SamplePlane(const PlaneSource& p, const PlaneScale& s, int i, int j) {
  switch (s.filter) {
    case kPlaneCopy:
      return At(p, MinInt(i, s.src_width - 1), MinInt(j, s.src_height - 1));
    case kPlaneBox:
      return SampleBox(p, s, i, j);
    default:
      return SampleBilinear(p, s, i, j);
  }
}

}  // namespace tessera::kernels
