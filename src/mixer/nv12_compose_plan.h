// Turns the layout's tiles into the NV12 compositor's ops (kernels/compose_ops.h), with the meaning
// CpuCompositor::Compose gives them: background where no picture lands, tiles in z order (stable),
// letterbox bars, placeholders, occluded tiles skipped, border / highlight frames, src rects
// clipped to the picture, and the same ComposeStats. The CUDA compositor executes the ops on the
// GPU, Nv12ReferenceCompositor on the CPU.
#pragma once

#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/layout.h>
#include <tessera/mixer/tile_walk.h>

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/compose_ops.h"

namespace tessera::mixer {

// The planes of an NV12 picture to read, in host or device memory (the planner only stores the
// pointers). Width and height even, as codec::Nv12DeviceView.
struct Nv12Planes {
  const uint8_t* y = nullptr;
  int pitch_y = 0;
  const uint8_t* uv = nullptr;
  int pitch_uv = 0;
  int width = 0;
  int height = 0;

  bool Valid() const {
    return y != nullptr && uv != nullptr && width > 0 && height > 0 && pitch_y >= width &&
           pitch_uv >= width;
  }
};

// Runs on: the caller's thread (one planner per compositor). Keeps its buffers between calls.
class Nv12ComposePlanner {
 public:
  // Plans a canvas of canvas_w x canvas_h (> 0; odd sizes are rounded down to even). Pictures are
  // only looked at (size, pointers); nullptr, a missing entry or an invalid picture shows the
  // placeholder. The ops, bottom first, are in ops() until the next call.
  [[nodiscard]] ComposeStats Plan(std::span<const Tile> tiles,
                                  std::span<const Nv12Planes* const> pictures_by_tile, int canvas_w,
                                  int canvas_h, const ComposeOptions& options);

  std::span<const kernels::ComposeOp> ops() const { return ops_; }

 private:
  void PlanTile(const Tile& tile, const Nv12Planes* picture, bool paint_background,
                const Rect& canvas, const ComposeOptions& options, ComposeStats& stats);

  std::vector<size_t> order_;
  TileWalk walk_;
  std::vector<kernels::ComposeOp> ops_;
};

}  // namespace tessera::mixer
