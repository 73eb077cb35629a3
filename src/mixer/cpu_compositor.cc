#include <libyuv/planar_functions.h>
#include <libyuv/scale.h>
#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/tile_walk.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <system_error>
#include <type_traits>

#include "mixer/compose_workers.h"

namespace tessera::mixer {
namespace {

int AlignDown2(int v) { return v & ~1; }
int AlignUp2(int v) { return (v + 1) & ~1; }

uint8_t* PlaneAt(std::vector<uint8_t>& plane, int stride, int x, int y) {
  return plane.data() + static_cast<ptrdiff_t>(y) * stride + x;
}
const uint8_t* PlaneAt(const std::vector<uint8_t>& plane, int stride, int x, int y) {
  return plane.data() + static_cast<ptrdiff_t>(y) * stride + x;
}

// More helpers than this buy nothing for one canvas and only cost memory bandwidth.
constexpr int kMaxThreads = 16;

// One plane of a frame at its subsampling: shift 0 for Y, 1 for U and V.
template <typename Byte>
struct PlaneRef {
  Byte* data;
  int stride;
  int shift;
  Byte* At(int x, int y) const {
    return data + static_cast<ptrdiff_t>(y >> shift) * stride + (x >> shift);
  }
};

// Frame: I420Frame or const I420Frame.
template <typename Frame>
auto PlaneOf(Frame& f, int plane) {
  using Byte = std::remove_pointer_t<decltype(f.y.data())>;
  if (plane == 0) return PlaneRef<Byte>{f.y.data(), f.stride_y, 0};
  if (plane == 1) return PlaneRef<Byte>{f.u.data(), f.stride_u, 1};
  return PlaneRef<Byte>{f.v.data(), f.stride_v, 1};
}

uint8_t PlaneValue(const YuvColor& c, int plane) {
  return plane == 0 ? c.y : plane == 1 ? c.u : c.v;
}

}  // namespace

CpuCompositor::CpuCompositor() = default;
CpuCompositor::~CpuCompositor() = default;
CpuCompositor::CpuCompositor(CpuCompositor&&) noexcept = default;
CpuCompositor& CpuCompositor::operator=(CpuCompositor&&) noexcept = default;

ComposeStats CpuCompositor::Compose(std::span<const Tile> tiles,
                                    std::span<const I420Frame* const> pictures_by_tile,
                                    I420Frame& canvas, const ComposeOptions& options) {
  ComposeStats stats;
  if (!canvas.Valid()) return stats;
  stats.canvas_valid = true;
  const Rect bounds{0, 0, AlignDown2(canvas.width), AlignDown2(canvas.height)};

  ops_.clear();
  if (!walk_) walk_ = std::make_unique<TileWalk>();
  WalkTiles(tiles, bounds, stats, order_, *walk_);
  if (walk_->canvas_fill) {
    ops_.push_back(Op{.kind = Op::Kind::kFill, .dest = bounds, .color = options.background});
  }
  for (const TileWalkStep& step : walk_->steps) {
    if (step.fill_only) {
      ops_.push_back(Op{.kind = Op::Kind::kFill, .dest = step.region, .color = options.background});
      continue;
    }
    const I420Frame* picture =
        step.tile < pictures_by_tile.size() ? pictures_by_tile[step.tile] : nullptr;
    PlanTile(tiles[step.tile], picture, step.paints_background, bounds, options, stats);
  }
  const int threads = std::clamp(options.threads, 1, kMaxThreads);
  if (threads > 1 &&
      static_cast<int64_t>(bounds.width) * bounds.height >= kParallelComposeMinPixels) {
    ExecuteParallel(canvas, threads);
  } else {
    for (const Op& op : ops_) Execute(op, canvas);
  }
  return stats;
}

ComposeStats CpuCompositor::Compose(std::span<const Tile> tiles,
                                    std::span<const codec::Picture* const> pictures_by_tile,
                                    const ComposeTarget& canvas, const ComposeOptions& options) {
  if (canvas.host == nullptr) return ComposeStats{};
  host_pictures_.assign(pictures_by_tile.size(), nullptr);
  int unreadable = 0;
  for (size_t i = 0; i < pictures_by_tile.size(); ++i) {
    const codec::Picture* p = pictures_by_tile[i];
    if (p == nullptr || !*p) continue;
    if (p->host() == nullptr) {
      ++unreadable;
      continue;
    }
    host_pictures_[i] = p->host();
  }
  ComposeStats stats = Compose(tiles, host_pictures_, *canvas.host, options);
  stats.unreadable = unreadable;
  return stats;
}

void CpuCompositor::PlanTile(const Tile& tile, const I420Frame* picture, bool paint_background,
                             const Rect& canvas, const ComposeOptions& options,
                             ComposeStats& stats) {
  const bool has_picture = picture != nullptr && picture->Valid();
  const TilePlacement place = PlaceTile(tile, has_picture ? picture->width : 0,
                                        has_picture ? picture->height : 0, canvas, options, stats);
  const Rect& region = place.region;
  const Rect& dest = place.dest;
  // A tile drawn over others hides them in its letterbox bars too.
  if (paint_background) {
    if (dest.Empty()) {
      ops_.push_back(Op{.kind = Op::Kind::kFill, .dest = region, .color = options.background});
    } else {
      const Rect bars[] = {
          {region.x, region.y, region.width, dest.y - region.y},
          {region.x, dest.y + dest.height, region.width,
           region.y + region.height - dest.y - dest.height},
          {region.x, dest.y, dest.x - region.x, dest.height},
          {dest.x + dest.width, dest.y, region.x + region.width - dest.x - dest.width, dest.height},
      };
      for (const Rect& bar : bars) {
        if (!bar.Empty()) {
          ops_.push_back(Op{.kind = Op::Kind::kFill, .dest = bar, .color = options.background});
        }
      }
    }
  }
  switch (place.kind) {
    case TilePlacement::Kind::kNothing:
      break;
    case TilePlacement::Kind::kPlaceholder:
      ops_.push_back(Op{.kind = Op::Kind::kFill, .dest = dest, .color = options.placeholder});
      break;
    case TilePlacement::Kind::kCopy:
      ops_.push_back(
          Op{.kind = Op::Kind::kCopy, .dest = dest, .picture = picture, .src = place.src});
      break;
    case TilePlacement::Kind::kScale:
      ops_.push_back(Op{.kind = Op::Kind::kScale,
                        .dest = dest,
                        .picture = picture,
                        .src = place.src,
                        .box_filter = place.box_filter});
      break;
  }
  if (tile.highlight && options.highlight_px > 0) {
    PlanFrame(region, options.highlight_px, options.highlight, canvas);
  } else if (options.border_px > 0) {
    PlanFrame(region, options.border_px, options.border, canvas);
  }
}

void CpuCompositor::PlanFrame(const Rect& region, int px, YuvColor color, const Rect& canvas) {
  const int w = std::min(AlignUp2(px), std::min(region.width, region.height) / 2);
  if (w <= 0) return;
  const Rect sides[] = {
      {region.x, region.y, region.width, w},
      {region.x, region.y + region.height - w, region.width, w},
      {region.x, region.y + w, w, region.height - 2 * w},
      {region.x + region.width - w, region.y + w, w, region.height - 2 * w},
  };
  for (const Rect& side : sides) {
    const Rect clipped = ClipEven(side, canvas);
    if (!clipped.Empty()) {
      ops_.push_back(Op{.kind = Op::Kind::kFill, .dest = clipped, .color = color});
    }
  }
}

void CpuCompositor::Execute(const Op& op, I420Frame& canvas) {
  const Rect& d = op.dest;
  uint8_t* dy = PlaneAt(canvas.y, canvas.stride_y, d.x, d.y);
  uint8_t* du = PlaneAt(canvas.u, canvas.stride_u, d.x / 2, d.y / 2);
  uint8_t* dv = PlaneAt(canvas.v, canvas.stride_v, d.x / 2, d.y / 2);
  if (op.kind == Op::Kind::kFill) {
    libyuv::I420Rect(dy, canvas.stride_y, du, canvas.stride_u, dv, canvas.stride_v, 0, 0, d.width,
                     d.height, op.color.y, op.color.u, op.color.v);
    return;
  }
  const I420Frame& p = *op.picture;
  const Rect& s = op.src;
  const uint8_t* sy = PlaneAt(p.y, p.stride_y, s.x, s.y);
  const uint8_t* su = PlaneAt(p.u, p.stride_u, s.x / 2, s.y / 2);
  const uint8_t* sv = PlaneAt(p.v, p.stride_v, s.x / 2, s.y / 2);
  if (op.kind == Op::Kind::kCopy) {
    libyuv::I420Copy(sy, p.stride_y, su, p.stride_u, sv, p.stride_v, dy, canvas.stride_y, du,
                     canvas.stride_u, dv, canvas.stride_v, d.width, d.height);
    return;
  }
  libyuv::I420Scale(sy, p.stride_y, su, p.stride_u, sv, p.stride_v, s.width, s.height, dy,
                    canvas.stride_y, du, canvas.stride_u, dv, canvas.stride_v, d.width, d.height,
                    op.box_filter ? libyuv::kFilterBox : libyuv::kFilterBilinear);
}

void CpuCompositor::ExecuteParallel(I420Frame& canvas, int threads) {
  if (!workers_ || workers_->participants() != threads) {
    workers_.reset();  // joins the old threads first
    if (threads == failed_threads_) {
      for (const Op& op : ops_) Execute(op, canvas);
      return;
    }
    // Compose() does not throw: without threads it composes on the caller, and does not try the
    // same count again.
    try {
      workers_ = std::make_unique<ComposeWorkers>(threads);
    } catch (const std::system_error&) {
      failed_threads_ = threads;
      for (const Op& op : ops_) Execute(op, canvas);
      return;
    }
  }
  PlanItems(canvas, threads);
  auto run = [this, &canvas](int i) {
    const Item& item = items_[static_cast<size_t>(i)];
    ExecuteItem(ops_[static_cast<size_t>(item.op)], item, canvas);
  };
  workers_->Run(level_ends_, run);
}

void CpuCompositor::PlanItems(const I420Frame& canvas, int bands) {
  // Levels keep the painter's order where it matters: an op runs after every earlier op it
  // overlaps. Ops on one level are disjoint; with even rects their chroma is disjoint too.
  const size_t n = ops_.size();
  op_levels_.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (op_levels_[j] >= op_levels_[i] && ops_[j].dest.Intersects(ops_[i].dest)) {
        op_levels_[i] = op_levels_[j] + 1;
      }
    }
  }
  items_.clear();
  const int height = AlignDown2(canvas.height);
  for (size_t i = 0; i < n; ++i) {
    const Op& op = ops_[i];
    const Rect& d = op.dest;
    const int op_index = static_cast<int>(i);
    const int level = op_levels_[i];
    if (op.kind == Op::Kind::kScale) {
      // Rows read by libyuv's filters: every source row for the box filter, two per output row
      // for bilinear; plus the writes.
      const int64_t work =
          static_cast<int64_t>(op.box_filter ? op.src.height : 2 * d.height) * op.src.width +
          static_cast<int64_t>(d.width) * d.height;
      for (int plane = 0; plane < 3; ++plane) {
        items_.push_back(Item{.op = op_index,
                              .plane = plane,
                              .row0 = d.y,
                              .row1 = d.y + d.height,
                              .level = level,
                              .cost = plane == 0 ? work : work / 4});
      }
      continue;
    }
    const int64_t per_row = static_cast<int64_t>(d.width) * (op.kind == Op::Kind::kCopy ? 3 : 2);
    for (int b = 0; b < bands; ++b) {
      const int band0 = AlignDown2(static_cast<int>(static_cast<int64_t>(b) * height / bands));
      const int band1 =
          b + 1 == bands
              ? height
              : AlignDown2(static_cast<int>(static_cast<int64_t>(b + 1) * height / bands));
      const int row0 = std::max(d.y, band0);
      const int row1 = std::min(d.y + d.height, band1);
      if (row1 <= row0) continue;
      items_.push_back(Item{.op = op_index,
                            .plane = -1,
                            .row0 = row0,
                            .row1 = row1,
                            .level = level,
                            .cost = per_row * (row1 - row0)});
    }
  }
  // Largest first within a level, so the last items to be claimed are short.
  std::sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) {
    return a.level != b.level ? a.level < b.level : a.cost > b.cost;
  });
  level_ends_.clear();
  for (size_t i = 0; i < items_.size(); ++i) {
    if (i + 1 == items_.size() || items_[i + 1].level != items_[i].level) {
      level_ends_.push_back(static_cast<int>(i + 1));
    }
  }
}

void CpuCompositor::ExecuteItem(const Op& op, const Item& item, I420Frame& canvas) {
  const Rect& d = op.dest;
  const int rows = item.row1 - item.row0;
  const int first = item.plane < 0 ? 0 : item.plane;
  const int last = item.plane < 0 ? 2 : item.plane;
  for (int plane = first; plane <= last; ++plane) {
    const auto dst = PlaneOf(canvas, plane);
    const int sh = dst.shift;
    uint8_t* out = dst.At(d.x, item.row0);
    if (op.kind == Op::Kind::kFill) {
      libyuv::SetPlane(out, dst.stride, d.width >> sh, rows >> sh, PlaneValue(op.color, plane));
      continue;
    }
    const auto src = PlaneOf(*op.picture, plane);
    const Rect& s = op.src;
    if (op.kind == Op::Kind::kCopy) {
      libyuv::CopyPlane(src.At(s.x, s.y + item.row0 - d.y), src.stride, out, dst.stride,
                        d.width >> sh, rows >> sh);
      continue;
    }
    // The whole plane, as I420Scale does it: it calls ScalePlane once per plane with these sizes.
    libyuv::ScalePlane(src.At(s.x, s.y), src.stride, s.width >> sh, s.height >> sh,
                       dst.At(d.x, d.y), dst.stride, d.width >> sh, d.height >> sh,
                       op.box_filter ? libyuv::kFilterBox : libyuv::kFilterBilinear);
  }
}

}  // namespace tessera::mixer
