#include "mixer/nv12_reference_compositor.h"

#include <cstddef>

namespace tessera::mixer {

Nv12Image Nv12Image::Make(int w, int h) {
  Nv12Image image;
  if (w <= 0 || h <= 0 || w % 2 != 0 || h % 2 != 0) return image;
  image.width = w;
  image.height = h;
  image.y.assign(static_cast<size_t>(w) * h, 16);
  image.uv.assign(static_cast<size_t>(w) * (h / 2), 128);
  return image;
}

Nv12Planes Nv12Image::Planes() const {
  return Nv12Planes{.y = y.data(),
                    .pitch_y = width,
                    .uv = uv.data(),
                    .pitch_uv = width,
                    .width = width,
                    .height = height};
}

kernels::Nv12Target Nv12Image::Target() {
  return kernels::Nv12Target{y.data(), width, uv.data(), width, width, height};
}

ComposeStats Nv12ReferenceCompositor::Compose(std::span<const Tile> tiles,
                                              std::span<const Nv12Planes* const> pictures_by_tile,
                                              Nv12Image& canvas, const ComposeOptions& options) {
  const size_t w = static_cast<size_t>(canvas.width);
  const size_t h = static_cast<size_t>(canvas.height);
  if (canvas.width <= 0 || canvas.height <= 0 || canvas.width % 2 != 0 || canvas.height % 2 != 0 ||
      canvas.y.size() < w * h || canvas.uv.size() < w * (h / 2)) {
    return ComposeStats{};
  }
  const ComposeStats stats =
      planner_.Plan(tiles, pictures_by_tile, canvas.width, canvas.height, options);
  const std::span<const kernels::ComposeOp> ops = planner_.ops();
  const kernels::Nv12Target target = canvas.Target();
  const int count = static_cast<int>(ops.size());
  for (int y = 0; y < canvas.height; y += 2) {
    for (int x = 0; x < canvas.width; x += 2) {
      kernels::ComposeQuad(ops.data(), nullptr, count, x, y, target);
    }
  }
  return stats;
}

}  // namespace tessera::mixer
