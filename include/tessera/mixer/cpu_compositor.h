// CPU compositor of the video mixer: draws the participants' pictures into the room's canvas
// following the tiles of the layout engine (layout.h), with libyuv doing the pixel work.
#pragma once

#include <tessera/mixer/compositor.h>
#include <tessera/mixer/frame.h>
#include <tessera/mixer/layout.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace tessera::mixer {

class ComposeWorkers;
struct TileWalk;

// 1280x720: below this the hand-off to other threads costs more than it saves.
inline constexpr int64_t kParallelComposeMinPixels = 1280 * 720;

// Runs on: the room's video mixing thread (one compositor per canvas). Not thread-safe. With
// ComposeOptions::threads > 1 it owns threads - 1 helper threads (started on first use, joined by
// the destructor) that work only inside Compose().
//
// Compose() paints every canvas pixel: background where no picture lands, then the tiles in z order
// (stable: equal z keeps tile order), each opaque over its whole region. When the lowest layer
// tiles the canvas (grids), the tiles paint their own bars instead of a canvas-wide fill. The
// pixel work is first planned as a list of operations (fills, copies, scales into canvas
// rectangles) and then executed. In parallel, ops are grouped in levels (an op goes one level
// above every earlier op it overlaps, so z order holds); within a level fills and copies are cut
// into bands of even canvas rows, and scales into their Y, U and V planes, each plane whole:
// libyuv cannot scale a band of destination rows with the same pixels as the whole scale.
class CpuCompositor final : public Compositor {
 public:
  CpuCompositor();
  ~CpuCompositor() override;
  CpuCompositor(CpuCompositor&&) noexcept;
  CpuCompositor& operator=(CpuCompositor&&) noexcept;

  // `pictures_by_tile[i]` is the current picture of tiles[i]; nullptr (or a missing entry) shows
  // the placeholder. Pictures are read only during the call. Tile rects are clipped to the canvas;
  // src rects are clipped to the picture.
  [[nodiscard]] ComposeStats Compose(std::span<const Tile> tiles,
                                     std::span<const I420Frame* const> pictures_by_tile,
                                     I420Frame& canvas, const ComposeOptions& options);

  // Compositor: host pictures are drawn as above; device pictures cannot be read here and show
  // the placeholder (counted in ComposeStats::unreadable). Draws into canvas.host.
  [[nodiscard]] ComposeStats Compose(std::span<const Tile> tiles,
                                     std::span<const codec::Picture* const> pictures_by_tile,
                                     const ComposeTarget& canvas,
                                     const ComposeOptions& options) override;
  codec::HwBackend backend() const override { return codec::HwBackend::kCpu; }

 private:
  struct Op {
    enum class Kind { kFill, kCopy, kScale };
    Kind kind = Kind::kFill;
    Rect dest = {};  // on the canvas
    YuvColor color = {};
    const I420Frame* picture = nullptr;
    Rect src = {};  // in the picture
    bool box_filter = false;
  };

  void PlanTile(const Tile& tile, const I420Frame* picture, bool paint_background,
                const Rect& canvas, const ComposeOptions& options, ComposeStats& stats);
  // One piece of an op for a worker: plane -1 = all three planes; rows [row0, row1) of the
  // canvas (even).
  struct Item {
    int op = 0;
    int plane = -1;
    int row0 = 0;
    int row1 = 0;
    int level = 0;
    int64_t cost = 0;
  };

  void PlanFrame(const Rect& region, int px, YuvColor color, const Rect& canvas);
  static void Execute(const Op& op, I420Frame& canvas);
  void ExecuteParallel(I420Frame& canvas, int threads);
  void PlanItems(const I420Frame& canvas, int bands);
  static void ExecuteItem(const Op& op, const Item& item, I420Frame& canvas);

  std::vector<const I420Frame*> host_pictures_;  // Compositor::Compose's, by tile
  std::vector<size_t> order_;
  std::unique_ptr<TileWalk> walk_;  // the tiles' paint order (tile_walk.h), reused
  std::vector<Op> ops_;
  std::vector<int> op_levels_;
  std::vector<Item> items_;
  std::vector<int> level_ends_;
  std::unique_ptr<ComposeWorkers> workers_;
  int failed_threads_ = 0;  // a thread count whose threads could not be started
};

}  // namespace tessera::mixer
