// GPU compositor of the video mixer: the CUDA counterpart of CpuCompositor (cpu_compositor.h),
// behind the same Compositor interface (compositor.h). Same tiles, same options, same meaning of
// every field; the canvas is NV12 in device memory and the pixel work is done by the kernels in
// kernels/. Built only where nvcc is found (TESSERA_WITH_CUDA); elsewhere Create() reports why it
// cannot run.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>
#include <tessera/mixer/compositor.h>
#include <tessera/mixer/layout.h>

#include <memory>
#include <span>

struct AVBufferRef;

namespace tessera::mixer {

// Whether a CUDA device with this index can run the compositor's kernels here; the error says why
// not ("built without CUDA", "no CUDA driver", "no CUDA device", "sm_xy not supported", ...).
Status CudaComposeAvailable(int device_index = 0);

// Runs on: the room's video mixing thread (one compositor per canvas). Not thread-safe. Owns one
// CUDA stream (created blocking with respect to the legacy default stream, so work FFmpeg queued
// there, such as NVDEC's output copies and uploads, completes first).
class CudaCompositor : public Compositor {
 public:
  // Fails cleanly (never aborts) where CudaComposeAvailable() fails. device_ctx: the FFmpeg CUDA
  // device context of the same device (codec::HwDevice::av_device_ctx), through which host
  // pictures are uploaded; without one, host pictures show the placeholder (counted unreadable).
  static StatusOr<std::unique_ptr<CudaCompositor>> Create(int device_index = 0,
                                                          AVBufferRef* device_ctx = nullptr);
  ~CudaCompositor() override = default;

  // Paints every canvas pixel as CpuCompositor::Compose does: background, tiles in z order,
  // placeholders for tiles without a picture (nullptr or missing entry), borders and the
  // highlight frame. Returns after the canvas is complete in device memory (stream synchronized).
  // A failed CUDA call leaves canvas_valid false and is logged.
  [[nodiscard]] virtual ComposeStats Compose(
      std::span<const Tile> tiles, std::span<const codec::Nv12DeviceView* const> pictures_by_tile,
      const codec::Nv12DeviceView& canvas, const ComposeOptions& options) = 0;

  // Compositor: CUDA pictures are read in place; host pictures are uploaded once per new picture
  // (the copy is kept while the same picture is shown); QSV pictures show the placeholder. Draws
  // into canvas.device, a CUDA surface.
  using Compositor::Compose;
  codec::HwBackend backend() const override { return codec::HwBackend::kCuda; }
};

}  // namespace tessera::mixer
