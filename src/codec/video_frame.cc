#include <tessera/codec/video_frame.h>

#include <cstddef>

namespace tessera::codec {

VideoFrame VideoFrame::Make(int w, int h) {
  VideoFrame f;
  if (w <= 0 || h <= 0) return f;
  f.width = w;
  f.height = h;
  f.stride_y = w;
  f.stride_u = f.stride_v = (w + 1) / 2;
  const int ch = (h + 1) / 2;
  f.y.assign(static_cast<std::size_t>(w) * h, 16);
  f.u.assign(static_cast<std::size_t>(f.stride_u) * ch, 128);
  f.v.assign(static_cast<std::size_t>(f.stride_v) * ch, 128);
  return f;
}

bool VideoFrame::Valid() const {
  if (width <= 0 || height <= 0) return false;
  if (stride_y < width || stride_u < ChromaWidth() || stride_v < ChromaWidth()) return false;
  const auto rows = [](int stride, int count) {
    return static_cast<std::size_t>(stride) * static_cast<std::size_t>(count);
  };
  return y.size() >= rows(stride_y, height) && u.size() >= rows(stride_u, ChromaHeight()) &&
         v.size() >= rows(stride_v, ChromaHeight());
}

}  // namespace tessera::codec
