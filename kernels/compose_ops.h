// The NV12 compositor's operations: plain data planned on the host (src/mixer/nv12_compose_plan.h)
// from the layout's tiles, and the per-quad function that executes them. The CUDA kernel
// (compose.cu) and the CPU reference compositor call the same ComposeQuad().
//
// Every rect of an op is even (x, y, width, height), so a 2x2 luma quad and the U,V pair that
// covers it always belong to the same part of the same op: the unit of work is the quad.
#pragma once

#include <cstdint>

#include "kernels/nv12_math.h"

namespace tessera::kernels {

struct ComposeColor {
  uint8_t y;
  uint8_t u;
  uint8_t v;
};

// One painted region. Within its region an op paints, from top to bottom: the frame (border or
// highlight, frame_width wide), then `dest` (the picture scaled from the source rect, or the
// placeholder colour when there is no picture), then, when paint_bars, the rest of the region in
// the bar colour. Pixels of the region it does not paint show the ops below it. A plain fill is
// an op with an empty dest and paint_bars set.
struct ComposeOp {
  PixelRect region;  // on the canvas
  PixelRect dest;    // inside region; empty = none
  int32_t frame_width;
  int32_t paint_bars;
  ComposeColor bar_color;
  ComposeColor frame_color;
  ComposeColor placeholder_color;
  // The picture, at its source rect's top-left sample; null: dest shows placeholder_color.
  const uint8_t* src_y;
  const uint8_t* src_uv;
  int32_t pitch_y;
  int32_t pitch_uv;
  PlaneScale luma;    // source rect -> dest, in luma pixels
  PlaneScale chroma;  // the same in chroma pixels (half of each)
};

// An NV12 picture being written: Y plane and interleaved U,V plane; width and height even.
struct Nv12Target {
  uint8_t* y;
  int32_t pitch_y;
  uint8_t* uv;
  int32_t pitch_uv;
  int32_t width;
  int32_t height;
};

enum QuadPart : int32_t {
  kQuadNotPainted = 0,  // the op leaves this quad to the ops below
  kQuadFrame,
  kQuadPicture,
  kQuadPlaceholder,
  kQuadBar,
};

// What `op` paints on the quad whose top-left luma pixel is (x, y) (both even).
TESSERA_HD inline QuadPart ClassifyQuad(const ComposeOp& op, int x, int y) {
  if (!RectContains(op.region, x, y)) return kQuadNotPainted;
  if (op.frame_width > 0 && InFrame(op.region, op.frame_width, x, y)) return kQuadFrame;
  if (RectContains(op.dest, x, y)) return op.src_y != nullptr ? kQuadPicture : kQuadPlaceholder;
  return op.paint_bars != 0 ? kQuadBar : kQuadNotPainted;
}

TESSERA_HD inline void FillQuad(const Nv12Target& t, int x, int y, ComposeColor c) {
  uint8_t* y0 = t.y + static_cast<int64_t>(y) * t.pitch_y + x;
  uint8_t* y1 = y0 + t.pitch_y;
  uint8_t* uv = t.uv + static_cast<int64_t>(y / 2) * t.pitch_uv + x;
  y0[0] = c.y;
  y0[1] = c.y;
  y1[0] = c.y;
  y1[1] = c.y;
  uv[0] = c.u;
  uv[1] = c.v;
}

// Paints `part` of `op` on the quad at (x, y).
TESSERA_HD inline void PaintQuad(const ComposeOp& op, QuadPart part, int x, int y,
                                 const Nv12Target& t) {
  switch (part) {
    case kQuadFrame:
      FillQuad(t, x, y, op.frame_color);
      return;
    case kQuadPlaceholder:
      FillQuad(t, x, y, op.placeholder_color);
      return;
    case kQuadBar:
      FillQuad(t, x, y, op.bar_color);
      return;
    case kQuadPicture:
      break;
    default:
      return;
  }
  const int i = x - op.dest.x;
  const int j = y - op.dest.y;
  const PlaneSource luma{op.src_y, op.pitch_y, 1};
  uint8_t* y0 = t.y + static_cast<int64_t>(y) * t.pitch_y + x;
  uint8_t* y1 = y0 + t.pitch_y;
  y0[0] = SamplePlane(luma, op.luma, i, j);
  y0[1] = SamplePlane(luma, op.luma, i + 1, j);
  y1[0] = SamplePlane(luma, op.luma, i, j + 1);
  y1[1] = SamplePlane(luma, op.luma, i + 1, j + 1);
  const PlaneSource u{op.src_uv, op.pitch_uv, 2};
  const PlaneSource v{op.src_uv + 1, op.pitch_uv, 2};
  uint8_t* uv = t.uv + static_cast<int64_t>(y / 2) * t.pitch_uv + x;
  uv[0] = SamplePlane(u, op.chroma, i / 2, j / 2);
  uv[1] = SamplePlane(v, op.chroma, i / 2, j / 2);
}

// Paints the quad at (x, y) with the topmost op (last in `ops`) that paints it; leaves it alone
// when none does. `list`, when not null, holds the indices into `ops` to consider, in order.
TESSERA_HD inline void ComposeQuad(const ComposeOp* ops, const int* list, int count, int x, int y,
                                   const Nv12Target& t) {
  for (int k = count - 1; k >= 0; --k) {
    const ComposeOp& op = ops[list != nullptr ? list[k] : k];
    const QuadPart part = ClassifyQuad(op, x, y);
    if (part != kQuadNotPainted) {
      PaintQuad(op, part, x, y, t);
      return;
    }
  }
}

}  // namespace tessera::kernels
