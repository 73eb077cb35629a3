#include "mixer/text_blend.h"

#include <algorithm>
#include <cstddef>

namespace tessera::mixer {
namespace {

uint8_t Mix(uint8_t dst, uint8_t src, int alpha) {
  return static_cast<uint8_t>((dst * (255 - alpha) + src * alpha + 127) / 255);
}

// Luma pixels of the canvas that chroma sample (cx, cy) covers: 4, fewer on an odd edge.
int LumaPerChroma(const I420Frame& f, int64_t cx, int64_t cy) {
  return static_cast<int>(std::min<int64_t>(2, f.width - 2 * cx) *
                          std::min<int64_t>(2, f.height - 2 * cy));
}

}  // namespace

Span Span::Intersect(const Span& o) const {
  return {std::max(x0, o.x0), std::max(y0, o.y0), std::min(x1, o.x1), std::min(y1, o.y1)};
}

Span Span::Union(const Span& o) const {
  if (Empty()) return o;
  if (o.Empty()) return *this;
  return {std::min(x0, o.x0), std::min(y0, o.y0), std::max(x1, o.x1), std::max(y1, o.y1)};
}

Rect Span::ToRect() const {
  if (Empty()) return {};
  return Rect{static_cast<int>(x0), static_cast<int>(y0), static_cast<int>(x1 - x0),
              static_cast<int>(y1 - y0)};
}

void BlendCoverage(const CoverageView& mask, int64_t x, int64_t y, const Span& area, YuvColor color,
                   I420Frame& canvas) {
  const bool has_shadow = !mask.shadow.empty();
  auto at = [&](std::span<const uint8_t> plane, int64_t px, int64_t py) -> int {
    return plane[static_cast<size_t>((py - y) * mask.width + (px - x))];
  };
  for (int64_t py = area.y0; py < area.y1; ++py) {
    uint8_t* row = canvas.y.data() + py * canvas.stride_y;
    for (int64_t px = area.x0; px < area.x1; ++px) {
      const int s = has_shadow ? at(mask.shadow, px, py) : 0;
      const int t = at(mask.text, px, py);
      if (s != 0) row[px] = Mix(row[px], kShadowColor.y, s);
      if (t != 0) row[px] = Mix(row[px], color.y, t);
    }
  }
  for (int64_t cy = area.y0 / 2; cy <= (area.y1 - 1) / 2; ++cy) {
    uint8_t* u = canvas.u.data() + cy * canvas.stride_u;
    uint8_t* v = canvas.v.data() + cy * canvas.stride_v;
    for (int64_t cx = area.x0 / 2; cx <= (area.x1 - 1) / 2; ++cx) {
      int s = 0, t = 0;
      for (int64_t py = std::max(2 * cy, area.y0); py < std::min(2 * cy + 2, area.y1); ++py) {
        for (int64_t px = std::max(2 * cx, area.x0); px < std::min(2 * cx + 2, area.x1); ++px) {
          if (has_shadow) s += at(mask.shadow, px, py);
          t += at(mask.text, px, py);
        }
      }
      if (s == 0 && t == 0) continue;
      const int n = LumaPerChroma(canvas, cx, cy);
      s = (s + n / 2) / n;
      t = (t + n / 2) / n;
      if (s != 0) {
        u[cx] = Mix(u[cx], kShadowColor.u, s);
        v[cx] = Mix(v[cx], kShadowColor.v, s);
      }
      if (t != 0) {
        u[cx] = Mix(u[cx], color.u, t);
        v[cx] = Mix(v[cx], color.v, t);
      }
    }
  }
}

void BlendFill(const Span& area, YuvColor color, uint8_t alpha, I420Frame& canvas) {
  for (int64_t py = area.y0; py < area.y1; ++py) {
    uint8_t* row = canvas.y.data() + py * canvas.stride_y;
    for (int64_t px = area.x0; px < area.x1; ++px) row[px] = Mix(row[px], color.y, alpha);
  }
  for (int64_t cy = area.y0 / 2; cy <= (area.y1 - 1) / 2; ++cy) {
    uint8_t* u = canvas.u.data() + cy * canvas.stride_u;
    uint8_t* v = canvas.v.data() + cy * canvas.stride_v;
    const int64_t rows = std::min(2 * cy + 2, area.y1) - std::max(2 * cy, area.y0);
    for (int64_t cx = area.x0 / 2; cx <= (area.x1 - 1) / 2; ++cx) {
      const int64_t cols = std::min(2 * cx + 2, area.x1) - std::max(2 * cx, area.x0);
      const int n = LumaPerChroma(canvas, cx, cy);
      const int a = static_cast<int>(alpha * rows * cols / n);
      u[cx] = Mix(u[cx], color.u, a);
      v[cx] = Mix(v[cx], color.v, a);
    }
  }
}

}  // namespace tessera::mixer
