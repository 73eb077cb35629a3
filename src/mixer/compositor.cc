#include <tessera/mixer/compositor.h>
#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/cuda_compositor.h>

#include <string>
#include <utility>

namespace tessera::mixer {

CompositorChoice CreateCompositor(const codec::HwDevice* device) {
  CompositorChoice out;
  if (device != nullptr && device->backend() == codec::HwBackend::kCuda) {
    if (device->lost()) {
      out.fallback = "device lost: " + device->lost_reason();
    } else {
      auto cuda = CudaCompositor::Create(device->ordinal(), device->av_device_ctx());
      if (cuda.ok()) {
        out.compositor = std::move(*cuda);
        return out;
      }
      out.fallback = "CUDA compositor unavailable (" + cuda.status().message() + ")";
    }
  } else if (device != nullptr && device->backend() != codec::HwBackend::kCpu) {
    out.fallback = std::string(codec::HwBackendName(device->backend())) +
                   ": composition on this backend is not built";
  }
  out.compositor = std::make_unique<CpuCompositor>();
  return out;
}

}  // namespace tessera::mixer
