#include <tessera/mixer/frame.h>

#include <algorithm>
#include <cstddef>

namespace tessera::mixer {

I420Frame I420Frame::Make(int width, int height) {
  I420Frame frame;
  frame.width = std::max(width, 0);
  frame.height = std::max(height, 0);
  frame.stride_y = frame.width;
  frame.stride_u = frame.ChromaWidth();
  frame.stride_v = frame.ChromaWidth();
  frame.y.assign(static_cast<size_t>(frame.stride_y) * static_cast<size_t>(frame.height), 0);
  frame.u.assign(static_cast<size_t>(frame.stride_u) * static_cast<size_t>(frame.ChromaHeight()),
                 0);
  frame.v.assign(static_cast<size_t>(frame.stride_v) * static_cast<size_t>(frame.ChromaHeight()),
                 0);
  return frame;
}

bool I420Frame::Valid() const {
  if (width <= 0 || height <= 0) return false;
  if (stride_y < width || stride_u < ChromaWidth() || stride_v < ChromaWidth()) return false;
  const auto rows = [](int stride, int count) {
    return static_cast<size_t>(stride) * static_cast<size_t>(count);
  };
  return y.size() >= rows(stride_y, height) && u.size() >= rows(stride_u, ChromaHeight()) &&
         v.size() >= rows(stride_v, ChromaHeight());
}

}  // namespace tessera::mixer
