#include "mixer/text_blend.h"

#include <libyuv/planar_functions.h>

#include <algorithm>
#include <cstddef>

namespace tessera::mixer {
namespace {

// The chroma samples that share a luma pixel with `area`.
Span ChromaOf(const Span& area) {
  return {area.x0 / 2, area.y0 / 2, (area.x1 - 1) / 2 + 1, (area.y1 - 1) / 2 + 1};
}

// Fills scratch.chroma_alpha (row-major over ChromaOf(area)) with each chroma sample's mean of
// `alpha` over the luma pixels it covers: 4, fewer on an odd canvas edge; pixels outside `area`
// count as 0. `alpha` addresses luma pixel (area.x0, area.y0); `stride` may be 0 (one row for all).
void SubsampleAlpha(const uint8_t* alpha, int64_t stride, const Span& area, const I420Frame& canvas,
                    BlendScratch& scratch) {
  const Span c = ChromaOf(area);
  const int64_t width = c.x1 - c.x0;
  scratch.chroma_alpha.resize(static_cast<size_t>(width * (c.y1 - c.y0)));
  uint8_t* out = scratch.chroma_alpha.data();
  for (int64_t cy = c.y0; cy < c.y1; ++cy, out += width) {
    auto row = [&](int64_t py) -> const uint8_t* {
      return py >= area.y0 && py < area.y1 ? alpha + (py - area.y0) * stride : nullptr;
    };
    const uint8_t* r0 = row(2 * cy);
    const uint8_t* r1 = row(2 * cy + 1);
    const int64_t luma_rows = std::min<int64_t>(2, canvas.height - 2 * cy);
    // Any sample: sum what lies inside `area`, divide by what lies inside the canvas.
    auto general = [&](int64_t cx) {
      int sum = 0;
      for (int64_t px = std::max(2 * cx, area.x0); px < std::min(2 * cx + 2, area.x1); ++px) {
        sum += (r0 != nullptr ? r0[px - area.x0] : 0) + (r1 != nullptr ? r1[px - area.x0] : 0);
      }
      const int n = static_cast<int>(std::min<int64_t>(2, canvas.width - 2 * cx) * luma_rows);
      out[cx - c.x0] = static_cast<uint8_t>((sum + n / 2) / n);
    };
    // Samples whose four luma pixels all lie inside `area` (so inside the canvas too).
    const int64_t full_x0 = (area.x0 + 1) / 2;
    const int64_t full_x1 = area.x1 / 2;
    if (r0 == nullptr || r1 == nullptr || full_x0 >= full_x1) {
      for (int64_t cx = c.x0; cx < c.x1; ++cx) general(cx);
      continue;
    }
    for (int64_t cx = c.x0; cx < full_x0; ++cx) general(cx);
    const uint8_t* a = r0 + (2 * full_x0 - area.x0);
    const uint8_t* b = r1 + (2 * full_x0 - area.x0);
    uint8_t* o = out + (full_x0 - c.x0);
    for (int64_t i = 0; i < full_x1 - full_x0; ++i) {
      o[i] = static_cast<uint8_t>((a[2 * i] + a[2 * i + 1] + b[2 * i] + b[2 * i + 1] + 2) >> 2);
    }
    for (int64_t cx = full_x1; cx < c.x1; ++cx) general(cx);
  }
}

const uint8_t* SolidRow(uint8_t value, int64_t width, BlendScratch& scratch) {
  if (scratch.solid.size() < static_cast<size_t>(width)) scratch.solid.resize(width);
  std::fill_n(scratch.solid.begin(), width, value);
  return scratch.solid.data();
}

// Blends `color` into the canvas under `area` with the luma opacity `alpha` (as SubsampleAlpha).
void BlendAlpha(const uint8_t* alpha, int64_t stride, const Span& area, YuvColor color,
                BlendScratch& scratch, I420Frame& canvas) {
  const int64_t width = area.x1 - area.x0;
  const int rows = static_cast<int>(area.y1 - area.y0);
  uint8_t* y = canvas.y.data() + area.y0 * canvas.stride_y + area.x0;
  libyuv::BlendPlane(SolidRow(color.y, width, scratch), 0, y, canvas.stride_y, alpha,
                     static_cast<int>(stride), y, canvas.stride_y, static_cast<int>(width), rows);
  SubsampleAlpha(alpha, stride, area, canvas, scratch);
  const Span c = ChromaOf(area);
  const int cw = static_cast<int>(c.x1 - c.x0);
  const int ch = static_cast<int>(c.y1 - c.y0);
  uint8_t* u = canvas.u.data() + c.y0 * canvas.stride_u + c.x0;
  uint8_t* v = canvas.v.data() + c.y0 * canvas.stride_v + c.x0;
  libyuv::BlendPlane(SolidRow(color.u, cw, scratch), 0, u, canvas.stride_u,
                     scratch.chroma_alpha.data(), cw, u, canvas.stride_u, cw, ch);
  libyuv::BlendPlane(SolidRow(color.v, cw, scratch), 0, v, canvas.stride_v,
                     scratch.chroma_alpha.data(), cw, v, canvas.stride_v, cw, ch);
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
                   BlendScratch& scratch, I420Frame& canvas) {
  if (area.Empty()) return;
  const int64_t offset = (area.y0 - y) * mask.width + (area.x0 - x);
  if (!mask.shadow.empty()) {
    BlendAlpha(mask.shadow.data() + offset, mask.width, area, kShadowColor, scratch, canvas);
  }
  BlendAlpha(mask.text.data() + offset, mask.width, area, color, scratch, canvas);
}

void BlendFill(const Span& area, YuvColor color, uint8_t alpha, BlendScratch& scratch,
               I420Frame& canvas) {
  if (area.Empty()) return;
  // One row of constant opacity, read with stride 0.
  scratch.flat_alpha.assign(static_cast<size_t>(area.x1 - area.x0), alpha);
  BlendAlpha(scratch.flat_alpha.data(), 0, area, color, scratch, canvas);
}

}  // namespace tessera::mixer
