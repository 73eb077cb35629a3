// Pixel kernels of the text renderer: alpha-blending a coverage mask, or a flat translucent
// colour, into an I420 canvas. Geometry is in 64-bit so boxes near INT_MAX cannot overflow.
#pragma once

#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/frame.h>
#include <tessera/mixer/layout.h>

#include <cstdint>
#include <span>
#include <vector>

namespace tessera::mixer {

// Half-open pixel rectangle [x0, x1) x [y0, y1).
struct Span {
  int64_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;

  static Span Of(const Rect& r) {
    return {r.x, r.y, int64_t{r.x} + r.width, int64_t{r.y} + r.height};
  }
  static Span Canvas(const I420Frame& f) { return {0, 0, f.width, f.height}; }
  bool Empty() const { return x1 <= x0 || y1 <= y0; }
  Span Intersect(const Span& o) const;
  // Bounding box of both; an empty operand is ignored.
  Span Union(const Span& o) const;
  // Only for spans inside a canvas (so every value fits an int); empty spans give an empty Rect.
  Rect ToRect() const;
};

inline constexpr YuvColor kShadowColor = {16, 128, 128};
inline constexpr YuvColor kBackdropColor = {16, 128, 128};
inline constexpr uint8_t kBackdropAlpha = 140;  // of 255

// A coverage mask, row-major, `width` columns; `shadow` is empty or the same size as `text`.
struct CoverageView {
  int width = 0;
  std::span<const uint8_t> text;
  std::span<const uint8_t> shadow;
};

// Buffers reused across calls so blending allocates nothing once warm.
struct BlendScratch {
  std::vector<uint8_t> solid;         // one row of a flat value
  std::vector<uint8_t> chroma_alpha;  // opacity per chroma sample under the area
  std::vector<uint8_t> flat_alpha;    // one row of constant opacity (BlendFill)
};

// Blends the mask, whose top-left lies at (x, y) on the canvas, into the pixels of `area`: the
// shadow towards kShadowColor, then the text towards `color`. `area` must lie inside both the mask
// and the canvas. A U or V sample takes the mean opacity of the luma pixels it covers, counting
// those outside `area` as transparent, so nothing outside it changes beyond that share. Blending
// is libyuv's BlendPlane: (a * src + (255 - a) * dst + 255) >> 8, which leaves dst as is for a = 0.
void BlendCoverage(const CoverageView& mask, int64_t x, int64_t y, const Span& area, YuvColor color,
                   BlendScratch& scratch, I420Frame& canvas);

// Blends `color` with opacity alpha / 255 over `area` (inside the canvas), the same way.
void BlendFill(const Span& area, YuvColor color, uint8_t alpha, BlendScratch& scratch,
               I420Frame& canvas);

}  // namespace tessera::mixer
