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

}  // namespace tessera::codec
