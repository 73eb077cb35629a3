// Shared by the NV12 compositor tests and benches: textured test pictures in I420 and NV12, the
// conversions between them, PSNR, and the grid scenes compared between the CPU compositor and
// the NV12 (CUDA and reference) compositors.
#pragma once

#include <libyuv/convert.h>
#include <libyuv/convert_from.h>
#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/layout.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "mixer/nv12_reference_compositor.h"

namespace tessera::mixer::testing {

// A picture of colour (y, u, v) with a smooth texture on every plane (so scalers do real work and
// a misplaced source shows), different for every seed.
inline I420Frame TexturedPicture(int w, int h, YuvColor base, int seed) {
  I420Frame f = I420Frame::Make(w, h);
  const double fx = 0.05 + 0.01 * (seed % 5);
  const double fy = 0.04 + 0.01 * (seed % 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const double t = 24 * std::sin(x * fx + seed) * std::cos(y * fy) + 0.02 * (x - y);
      f.y[static_cast<size_t>(y) * f.stride_y + x] =
          static_cast<uint8_t>(std::clamp(base.y + t, 16.0, 235.0));
    }
  }
  for (int y = 0; y < f.ChromaHeight(); ++y) {
    for (int x = 0; x < f.ChromaWidth(); ++x) {
      const double t = 10 * std::sin(x * fy * 2 + y * 0.03 + seed);
      f.u[static_cast<size_t>(y) * f.stride_u + x] =
          static_cast<uint8_t>(std::clamp(base.u + t, 16.0, 240.0));
      f.v[static_cast<size_t>(y) * f.stride_v + x] =
          static_cast<uint8_t>(std::clamp(base.v - t, 16.0, 240.0));
    }
  }
  return f;
}

inline Nv12Image ToNv12(const I420Frame& f) {
  Nv12Image n = Nv12Image::Make(f.width, f.height);
  libyuv::I420ToNV12(f.y.data(), f.stride_y, f.u.data(), f.stride_u, f.v.data(), f.stride_v,
                     n.y.data(), n.width, n.uv.data(), n.width, f.width, f.height);
  return n;
}

inline I420Frame ToI420(const Nv12Image& n) {
  I420Frame f = I420Frame::Make(n.width, n.height);
  libyuv::NV12ToI420(n.y.data(), n.width, n.uv.data(), n.width, f.y.data(), f.stride_y, f.u.data(),
                     f.stride_u, f.v.data(), f.stride_v, n.width, n.height);
  return f;
}

// PSNR in dB of two equally sized planes; 99 when identical.
inline double Psnr(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size() || a.empty()) return 0;
  double sse = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    sse += d * d;
  }
  if (sse == 0) return 99;
  return 10 * std::log10(255.0 * 255.0 * static_cast<double>(a.size()) / sse);
}

struct MeanColor {
  double y = 0, u = 0, v = 0;
};

// Mean of `r` (even) of an I420 frame.
inline MeanColor MeanOf(const I420Frame& f, const Rect& r) {
  MeanColor m;
  for (int row = r.y; row < r.y + r.height; ++row) {
    for (int col = r.x; col < r.x + r.width; ++col) m.y += f.y[row * f.stride_y + col];
  }
  for (int row = r.y / 2; row < (r.y + r.height) / 2; ++row) {
    for (int col = r.x / 2; col < (r.x + r.width) / 2; ++col) {
      m.u += f.u[row * f.stride_u + col];
      m.v += f.v[row * f.stride_v + col];
    }
  }
  m.y /= static_cast<double>(r.width) * r.height;
  m.u /= static_cast<double>(r.width / 2) * (r.height / 2);
  m.v /= static_cast<double>(r.width / 2) * (r.height / 2);
  return m;
}

// A room: tiles, I420 pictures for the CPU compositor, the same pictures in NV12.
struct Scene {
  std::vector<Tile> tiles;
  std::vector<I420Frame> i420;  // by participant id - 1; empty frame = no picture this tick
  std::vector<Nv12Image> nv12;
  int canvas_w = 0;
  int canvas_h = 0;

  // Per tile: the picture or nullptr.
  std::vector<const I420Frame*> I420ByTile() const;
  std::vector<Nv12Planes> PlanesByParticipant() const;
};

inline std::vector<const I420Frame*> Scene::I420ByTile() const {
  std::vector<const I420Frame*> out;
  for (const Tile& t : tiles) {
    const bool has = t.participant_id != 0 && i420[t.participant_id - 1].width > 0;
    out.push_back(has ? &i420[t.participant_id - 1] : nullptr);
  }
  return out;
}

inline std::vector<Nv12Planes> Scene::PlanesByParticipant() const {
  std::vector<Nv12Planes> out;
  for (const Nv12Image& n : nv12) out.push_back(n.width > 0 ? n.Planes() : Nv12Planes{});
  return out;
}

// A grid of `count` inputs on a canvas: sizes cycle through 640x360 (scaled), 1920x1080 (box
// downscale), 320x180 (upscale) and 640x480 (letterboxed); input 3 has no video (placeholder),
// input 5 no picture this tick (placeholder), input 2 is the active speaker (highlight).
inline Scene GridScene(int count, int canvas_w, int canvas_h, int border_px) {
  static constexpr int kSizes[][2] = {{640, 360}, {1920, 1080}, {320, 180}, {640, 480}};
  Scene s;
  s.canvas_w = canvas_w;
  s.canvas_h = canvas_h;
  std::vector<LayoutInput> inputs;
  for (int i = 0; i < count; ++i) {
    const int* size = kSizes[i % 4];
    const bool no_video = i == 2;
    inputs.push_back(
        LayoutInput{static_cast<uint32_t>(i + 1), no_video ? 0 : size[0], no_video ? 0 : size[1]});
    const YuvColor color{static_cast<uint8_t>(50 + (i * 37) % 160),
                         static_cast<uint8_t>(40 + (i * 71) % 180),
                         static_cast<uint8_t>(200 - (i * 53) % 160)};
    if (no_video || i == 4) {
      s.i420.emplace_back();
      s.nv12.emplace_back();
    } else {
      s.i420.push_back(TexturedPicture(size[0], size[1], color, i));
      s.nv12.push_back(ToNv12(s.i420.back()));
    }
  }
  s.tiles = ComputeLayout(LayoutSpec{.border_px = border_px}, canvas_w, canvas_h, inputs, 2u);
  return s;
}

}  // namespace tessera::mixer::testing
