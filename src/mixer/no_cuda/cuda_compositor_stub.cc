// The CUDA compositor's stand-in in builds without CUDA (TESSERA_WITH_CUDA off).
#include <tessera/mixer/cuda_compositor.h>

namespace tessera::mixer {
namespace {

Status BuiltWithoutCuda() {
  return UnavailableError(
      "built without CUDA (nvcc not found at configure time, or TESSERA_WITH_CUDA=OFF)");
}

}  // namespace

Status CudaComposeAvailable(int /*device_index*/) { return BuiltWithoutCuda(); }

StatusOr<std::unique_ptr<CudaCompositor>> CudaCompositor::Create(int /*device_index*/,
                                                                 AVBufferRef* /*device_ctx*/) {
  return BuiltWithoutCuda();
}

}  // namespace tessera::mixer
