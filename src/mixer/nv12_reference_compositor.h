// CPU reference of the CUDA compositor: plans with Nv12ComposePlanner and runs every quad through
// kernels/compose_ops.h's ComposeQuad(), the function the CUDA kernel runs, on host NV12 buffers.
// For verification (tests, benches): it checks the GPU's maths against CpuCompositor on machines
// without a GPU. One thread, no SIMD; not meant for rooms.
#pragma once

#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/layout.h>

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/compose_ops.h"
#include "mixer/nv12_compose_plan.h"

namespace tessera::mixer {

// An owned NV12 picture in host memory (tightly packed: pitches = width).
struct Nv12Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> y;
  std::vector<uint8_t> uv;  // height / 2 rows of width bytes: U,V pairs

  // A black picture of w x h (w, h even and > 0; other sizes give an empty image).
  static Nv12Image Make(int w, int h);
  Nv12Planes Planes() const;
  kernels::Nv12Target Target();
};

// Runs on: the caller's thread. Not thread-safe.
class Nv12ReferenceCompositor {
 public:
  // As CudaCompositor::Compose (same tiles, options, stats), into a host canvas.
  [[nodiscard]] ComposeStats Compose(std::span<const Tile> tiles,
                                     std::span<const Nv12Planes* const> pictures_by_tile,
                                     Nv12Image& canvas, const ComposeOptions& options);

 private:
  Nv12ComposePlanner planner_;
};

}  // namespace tessera::mixer
