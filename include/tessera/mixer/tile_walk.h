// The paint order and visibility of a layout's tiles, decided once for both compositors (the CPU
// one and the GPU one's planner), so they paint the same tiles in the same order.
#pragma once

#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/layout.h>

#include <cstddef>
#include <span>
#include <vector>

namespace tessera::mixer {

// Intersection of `r` with `bounds`, shrunk to even coordinates and sizes (4:2:0 chroma).
Rect ClipEven(const Rect& r, const Rect& bounds);

struct TileWalkStep {
  size_t tile = 0;         // index into the tiles
  bool fill_only = false;  // an empty slot of the lowest layer: fill `region` with the background
  bool paints_background = false;  // the tile paints its own bars (no canvas-wide fill below it)
  Rect region;                     // the tile's region clipped even to the canvas
};

struct TileWalk {
  // The lowest layer does not tile the canvas: fill the whole canvas with the background first.
  // When it does (every grid), each tile paints its own bars and that full pass is saved.
  bool canvas_fill = false;
  std::vector<TileWalkStep> steps;  // in paint order: stable by z
};

// Where one tile's picture lands: the clipping and the choice of pixel operation, made once for
// both compositors so they agree on every rectangle and count the same stats.
struct TilePlacement {
  enum class Kind {
    kNothing,      // the destination is empty: only bars and frames, if any, are painted
    kPlaceholder,  // no picture (or nothing of it to show): dest is filled with the placeholder
    kCopy,         // src is copied 1:1 into dest
    kScale,        // src is scaled into dest
  };
  Kind kind = Kind::kNothing;
  Rect region;              // the tile's region clipped even to the canvas
  Rect dest;                // the picture's rectangle clipped even to the region
  Rect src;                 // the part of the picture shown, clipped even to the picture
  bool box_filter = false;  // kScale: a downscale in both directions with DownscaleFilter::kBox
};

// Places `tile` on a canvas of `bounds` (even) for a picture of picture_width x picture_height
// (0 x 0: no picture). Counts placeholders, copied, scaled and clamped_sources in `stats`.
TilePlacement PlaceTile(const Tile& tile, int picture_width, int picture_height, const Rect& bounds,
                        const ComposeOptions& options, ComposeStats& stats);

// Walks `tiles` over a canvas of `bounds` (even): z order (stable), the canvas fill decision,
// empty slots (counted; filled where they paint the background), empty regions (skipped) and
// tiles covered by a single higher tile (skipped, counted as occluded). `order` is scratch.
void WalkTiles(std::span<const Tile> tiles, const Rect& bounds, ComposeStats& stats,
               std::vector<size_t>& order, TileWalk& walk);

}  // namespace tessera::mixer
