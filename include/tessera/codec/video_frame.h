// An owned I420 (YUV 4:2:0, 8-bit, three planes) picture: the decoded and to-be-encoded video
// frame of the codec module.
#pragma once

#include <cstdint>
#include <vector>

namespace tessera::codec {

struct VideoFrame {
  int width = 0;
  int height = 0;
  // Plane rows are tightly packed: stride_y = width, stride_u = stride_v = (width + 1) / 2; the
  // chroma planes have (height + 1) / 2 rows.
  std::vector<uint8_t> y, u, v;
  int stride_y = 0;
  int stride_u = 0;
  int stride_v = 0;
  // Presentation time on the 90 kHz RTP video clock.
  int64_t pts_90k = 0;

  // A black picture of w x h (w, h > 0; other sizes give an empty frame).
  static VideoFrame Make(int w, int h);

  int ChromaWidth() const { return (width + 1) / 2; }
  int ChromaHeight() const { return (height + 1) / 2; }
  // True when the planes are large enough for the size and strides.
  bool Valid() const;
};

}  // namespace tessera::codec
