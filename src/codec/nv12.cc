#include "codec/nv12.h"

#include <cstddef>

extern "C" {
#include <libavutil/imgutils.h>
}

namespace tessera::codec {

void Nv12ToI420(const uint8_t* y, int pitch_y, const uint8_t* uv, int pitch_uv, VideoFrame& out) {
  av_image_copy_plane(out.y.data(), out.stride_y, y, pitch_y, out.width, out.height);
  const int cw = out.ChromaWidth();
  const int ch = out.ChromaHeight();
  for (int row = 0; row < ch; ++row) {
    const uint8_t* src = uv + static_cast<ptrdiff_t>(row) * pitch_uv;
    uint8_t* u = out.u.data() + static_cast<size_t>(row) * out.stride_u;
    uint8_t* v = out.v.data() + static_cast<size_t>(row) * out.stride_v;
    for (int x = 0; x < cw; ++x) {
      u[x] = src[2 * x];
      v[x] = src[2 * x + 1];
    }
  }
}

void I420ToNv12(const VideoFrame& in, uint8_t* y, int pitch_y, uint8_t* uv, int pitch_uv) {
  I420ToNv12(in, in.width, in.height, y, pitch_y, uv, pitch_uv);
}

void I420ToNv12(const VideoFrame& in, int width, int height, uint8_t* y, int pitch_y, uint8_t* uv,
                int pitch_uv) {
  av_image_copy_plane(y, pitch_y, in.y.data(), in.stride_y, width, height);
  const int cw = (width + 1) / 2;
  const int ch = (height + 1) / 2;
  for (int row = 0; row < ch; ++row) {
    uint8_t* dst = uv + static_cast<ptrdiff_t>(row) * pitch_uv;
    const uint8_t* u = in.u.data() + static_cast<size_t>(row) * in.stride_u;
    const uint8_t* v = in.v.data() + static_cast<size_t>(row) * in.stride_v;
    for (int x = 0; x < cw; ++x) {
      dst[2 * x] = u[x];
      dst[2 * x + 1] = v[x];
    }
  }
}

}  // namespace tessera::codec
