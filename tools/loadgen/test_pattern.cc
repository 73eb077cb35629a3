#include "loadgen/test_pattern.h"

#include <cstdlib>

#include "loadgen/frame_code.h"

namespace tessera::loadgen {

codec::VideoFrame MakeTestPicture(int width, int height, int fps, uint32_t index) {
  codec::VideoFrame f = codec::VideoFrame::Make(width, height);
  if (!f.Valid()) return f;
  const int i = static_cast<int>(index);
  // Diagonal stripes drifting right (a triangle wave: smooth, like real texture), colours
  // drifting the other way, and a bright box bouncing across.
  for (int y = 0; y < height; ++y) {
    uint8_t* row = f.y.data() + static_cast<ptrdiff_t>(y) * f.stride_y;
    for (int x = 0; x < width; ++x) {
      const int t = ((x + y / 2 - 5 * i) % 128 + 128) % 128;
      row[x] = static_cast<uint8_t>(40 + std::abs(t - 64) * 5 / 2);
    }
  }
  for (int y = 0; y < f.ChromaHeight(); ++y) {
    for (int x = 0; x < f.ChromaWidth(); ++x) {
      const int t = (2 * x + 3 * i) % 256;
      f.u[static_cast<size_t>(y) * f.stride_u + x] =
          static_cast<uint8_t>(96 + std::abs(t - 128) / 2);
      f.v[static_cast<size_t>(y) * f.stride_v + x] =
          static_cast<uint8_t>(96 + std::abs((2 * y + i) % 256 - 128) / 2);
    }
  }
  const int box = height / 6;
  const int span = width - box;
  const int pos = (7 * i) % (2 * span);
  const int bx = pos < span ? pos : 2 * span - pos;
  const int by = height / 10;
  for (int y = by; y < by + box && y < height; ++y) {
    for (int x = bx; x < bx + box; ++x) f.y[static_cast<size_t>(y) * f.stride_y + x] = 235;
  }
  DrawFrameCode(f, index);
  f.pts_90k = static_cast<int64_t>(index) * 90000 / (fps > 0 ? fps : 30);
  return f;
}

}  // namespace tessera::loadgen
