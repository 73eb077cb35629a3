#include "kernels/compose_kernels.h"

namespace tessera::kernels {
namespace {

// One thread per 2x2 luma quad; a block covers 64x16 canvas pixels. The first warp keeps the ops
// whose region meets the block's pixels (in order), so each thread walks only those.
constexpr int kBlockQuadsX = 32;
constexpr int kBlockQuadsY = 8;

__global__ void ComposeKernel(const ComposeOp* __restrict__ ops, int count, Nv12Target canvas) {
  __shared__ int list[kMaxComposeOpsPerLaunch];
  __shared__ int list_count;
  const PixelRect block_px{static_cast<int>(blockIdx.x) * kBlockQuadsX * 2,
                           static_cast<int>(blockIdx.y) * kBlockQuadsY * 2, kBlockQuadsX * 2,
                           kBlockQuadsY * 2};
  const int lane = static_cast<int>(threadIdx.x);
  if (threadIdx.y == 0) {
    int kept = 0;
    for (int base = 0; base < count; base += 32) {
      const int k = base + lane;
      const bool hit = k < count && RectsIntersect(ops[k].region, block_px);
      const unsigned mask = __ballot_sync(0xffffffffu, hit);
      if (hit) list[kept + __popc(mask & ((1u << lane) - 1u))] = k;
      kept += __popc(mask);
    }
    if (lane == 0) list_count = kept;
  }
  __syncthreads();
  const int x = block_px.x + lane * 2;
  const int y = block_px.y + static_cast<int>(threadIdx.y) * 2;
  if (x + 1 >= canvas.width || y + 1 >= canvas.height) return;
  ComposeQuad(ops, list, list_count, x, y, canvas);
}

}  // namespace

cudaError_t LaunchCompose(const ComposeOp* ops, int count, const Nv12Target& canvas,
                          cudaStream_t stream) {
  if (ops == nullptr || count <= 0 || count > kMaxComposeOpsPerLaunch) return cudaErrorInvalidValue;
  if (canvas.y == nullptr || canvas.uv == nullptr || canvas.width < 2 || canvas.height < 2) {
    return cudaErrorInvalidValue;
  }
  const int quads_x = canvas.width / 2;
  const int quads_y = canvas.height / 2;
  const dim3 block(kBlockQuadsX, kBlockQuadsY);
  const dim3 grid((quads_x + kBlockQuadsX - 1) / kBlockQuadsX,
                  (quads_y + kBlockQuadsY - 1) / kBlockQuadsY);
  ComposeKernel<<<grid, block, 0, stream>>>(ops, count, canvas);
  return cudaGetLastError();
}

}  // namespace tessera::kernels
