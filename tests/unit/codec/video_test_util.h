// Synthetic pictures and a quality measure for the video codec tests and benches.
#pragma once

#include <tessera/codec/video_frame.h>

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace tessera::codec::testing {

// A smooth diagonal gradient drifting by one level per frame, with a bright 64x64 square moving
// 4 px right and 2 px down per frame, and a static chroma ramp. pts_90k advances at 30 fps.
// w and h must be at least 65.
inline VideoFrame MovingPattern(int w, int h, int index) {
  VideoFrame f = VideoFrame::Make(w, h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      f.y[static_cast<size_t>(y) * w + x] = static_cast<uint8_t>(32 + (x + y + index) % 160);
    }
  }
  const int bx = (index * 4) % (w - 64);
  const int by = (index * 2) % (h - 64);
  for (int y = by; y < by + 64; ++y) {
    for (int x = bx; x < bx + 64; ++x) f.y[static_cast<size_t>(y) * w + x] = 235;
  }
  for (int y = 0; y < (h + 1) / 2; ++y) {
    for (int x = 0; x < f.stride_u; ++x) {
      f.u[static_cast<size_t>(y) * f.stride_u + x] = static_cast<uint8_t>(96 + x % 64);
      f.v[static_cast<size_t>(y) * f.stride_v + x] = static_cast<uint8_t>(160 - y % 64);
    }
  }
  f.pts_90k = 3000 * static_cast<int64_t>(index);
  return f;
}

// PSNR of the luma planes in dB (99 when identical); a and b have the same size.
inline double PsnrY(const VideoFrame& a, const VideoFrame& b) {
  double se = 0;
  for (size_t i = 0; i < a.y.size() && i < b.y.size(); ++i) {
    const double d = static_cast<double>(a.y[i]) - b.y[i];
    se += d * d;
  }
  const double mse = se / static_cast<double>(a.y.size());
  return mse == 0 ? 99.0 : 10 * std::log10(255.0 * 255.0 / mse);
}

}  // namespace tessera::codec::testing
