// Picture types of the video mixer.
#pragma once

#include <cstdint>
#include <vector>

namespace tessera::mixer {

// An 8-bit I420 picture with its own planes (the chroma planes are half size, rounded up).
// Plain value type; device-memory frames of the hardware backends are a separate type.
struct I420Frame {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> y;
  std::vector<uint8_t> u;
  std::vector<uint8_t> v;
  int stride_y = 0;  // bytes per row of y
  int stride_u = 0;  // bytes per row of u
  int stride_v = 0;  // bytes per row of v

  // A width x height picture with tightly packed planes, all zero. Negative sizes count as 0.
  static I420Frame Make(int width, int height);

  int ChromaWidth() const { return (width + 1) / 2; }
  int ChromaHeight() const { return (height + 1) / 2; }
  // True when the planes are large enough for the size and strides.
  bool Valid() const;
};

}  // namespace tessera::mixer
