#include "mixer/nv12_compose_plan.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tessera::mixer {
namespace {

kernels::PixelRect ToPixel(const Rect& r) { return {r.x, r.y, r.width, r.height}; }

kernels::ComposeColor ToColor(const YuvColor& c) { return {c.y, c.u, c.v}; }

kernels::ComposeOp FillOp(const Rect& region, const YuvColor& color) {
  kernels::ComposeOp op{};
  op.region = ToPixel(region);
  op.paint_bars = 1;
  op.bar_color = ToColor(color);
  return op;
}

}  // namespace

ComposeStats Nv12ComposePlanner::Plan(std::span<const Tile> tiles,
                                      std::span<const Nv12Planes* const> pictures_by_tile,
                                      int canvas_w, int canvas_h, const ComposeOptions& options) {
  ComposeStats stats;
  ops_.clear();
  const Rect bounds{0, 0, std::max(0, canvas_w) & ~1, std::max(0, canvas_h) & ~1};
  if (bounds.Empty()) return stats;
  stats.canvas_valid = true;

  WalkTiles(tiles, bounds, stats, order_, walk_);
  if (walk_.canvas_fill) ops_.push_back(FillOp(bounds, options.background));
  for (const TileWalkStep& step : walk_.steps) {
    if (step.fill_only) {
      ops_.push_back(FillOp(step.region, options.background));
      continue;
    }
    const Nv12Planes* picture =
        step.tile < pictures_by_tile.size() ? pictures_by_tile[step.tile] : nullptr;
    PlanTile(tiles[step.tile], picture, step.paints_background, bounds, options, stats);
  }
  return stats;
}

void Nv12ComposePlanner::PlanTile(const Tile& tile, const Nv12Planes* picture,
                                  bool paint_background, const Rect& canvas,
                                  const ComposeOptions& options, ComposeStats& stats) {
  const bool has_picture = picture != nullptr && picture->Valid();
  const TilePlacement place = PlaceTile(tile, has_picture ? picture->width : 0,
                                        has_picture ? picture->height : 0, canvas, options, stats);
  const Rect& region = place.region;
  const Rect& dest = place.dest;
  kernels::ComposeOp op{};
  op.region = ToPixel(region);
  op.dest = ToPixel(dest);
  op.paint_bars = paint_background ? 1 : 0;
  op.bar_color = ToColor(options.background);
  op.placeholder_color = ToColor(options.placeholder);
  if (tile.highlight && options.highlight_px > 0) {
    op.frame_width = kernels::FrameWidth(op.region, options.highlight_px);
    op.frame_color = ToColor(options.highlight);
  } else if (options.border_px > 0) {
    op.frame_width = kernels::FrameWidth(op.region, options.border_px);
    op.frame_color = ToColor(options.border);
  }

  if (place.kind == TilePlacement::Kind::kCopy || place.kind == TilePlacement::Kind::kScale) {
    const Rect& src = place.src;
    op.src_y = picture->y + static_cast<ptrdiff_t>(src.y) * picture->pitch_y + src.x;
    // src.x is even: the U,V pair of chroma column src.x / 2 starts at byte src.x.
    op.src_uv = picture->uv + static_cast<ptrdiff_t>(src.y / 2) * picture->pitch_uv + src.x;
    op.pitch_y = picture->pitch_y;
    op.pitch_uv = picture->pitch_uv;
    op.luma =
        kernels::PlanPlaneScale(src.width, src.height, dest.width, dest.height, place.box_filter);
    op.chroma = kernels::PlanPlaneScale(src.width / 2, src.height / 2, dest.width / 2,
                                        dest.height / 2, place.box_filter);
  }
  // An op that paints nothing (no bars, no dest, no frame) is left out.
  if (op.paint_bars != 0 || !dest.Empty() || op.frame_width > 0) ops_.push_back(op);
}

}  // namespace tessera::mixer
