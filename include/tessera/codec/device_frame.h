// Pictures in GPU memory: the hardware backends' counterpart of codec::VideoFrame. Decoders of a
// hardware backend produce them, the GPU compositor reads and writes them, and hardware encoders
// take them, so a picture crosses to host memory at most once per composed canvas.
#pragma once

#include <cstdint>

namespace tessera::codec {

// Where a room's video work runs. kCpu is always available; the others depend on the machine.
enum class HwBackend {
  kCpu,
  kCuda,  // NVIDIA: NVDEC decode, CUDA kernels, NVENC encode where the GPU has NVENC
  kQsv,   // Intel Quick Sync through oneVPL
};

constexpr const char* HwBackendName(HwBackend backend) {
  switch (backend) {
    case HwBackend::kCpu:
      return "cpu";
    case HwBackend::kCuda:
      return "cuda";
    case HwBackend::kQsv:
      return "qsv";
  }
  return "?";
}

// A view of an NV12 picture (8-bit 4:2:0: a Y plane, then one plane of interleaved U,V pairs) in
// CUDA device memory. The pointers are device pointers valid in the CUDA device's primary context
// (FFmpeg's CUDA device contexts are opened with primary_ctx=1 so that FFmpeg, the runtime API and
// the compositor's kernels share one context). Pitches are in bytes. Width and height are even.
struct Nv12DeviceView {
  uint8_t* y = nullptr;
  int pitch_y = 0;
  uint8_t* uv = nullptr;
  int pitch_uv = 0;
  int width = 0;
  int height = 0;

  bool Valid() const {
    return y != nullptr && uv != nullptr && width > 0 && height > 0 && pitch_y >= width &&
           pitch_uv >= width;
  }
};

}  // namespace tessera::codec
