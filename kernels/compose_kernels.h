// Launchers of the NV12 compositor kernel (compose.cu), callable from host C++ built by g++.
// POD arguments only; the caller owns the stream, the memory and the error handling.
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/compose_ops.h"

namespace tessera::kernels {

// Most ops one launch takes; the host splits longer lists into launches in order on one stream,
// which paints the same canvas (each launch only touches quads its ops paint).
inline constexpr int kMaxComposeOpsPerLaunch = 256;

// Queues on `stream` the painting of `count` ops (1..kMaxComposeOpsPerLaunch) into `canvas`:
// every quad gets the topmost op that paints it, or is left alone. `ops` is in device memory and
// must stay unchanged until the work completes; the canvas planes are device memory. Returns the
// launch error (cudaSuccess when queued); execution errors surface at the next synchronization.
cudaError_t LaunchCompose(const ComposeOp* ops, int count, const Nv12Target& canvas,
                          cudaStream_t stream);

}  // namespace tessera::kernels
