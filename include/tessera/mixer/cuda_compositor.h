// GPU compositor of the video mixer: the CUDA counterpart of CpuCompositor (cpu_compositor.h).
// Same tiles, same options, same meaning of every field; the pictures and the canvas are NV12 in
// device memory (codec::Nv12DeviceView) and the pixel work is done by the kernels in kernels/.
// Built only where nvcc is found (TESSERA_WITH_CUDA); elsewhere Create() reports why it cannot run.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>
#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/layout.h>

#include <memory>
#include <span>

namespace tessera::mixer {

// Whether a CUDA device with this index can run the compositor's kernels here; the error says why
// not ("built without CUDA", "no CUDA driver", "no CUDA device", "sm_xy not supported", ...).
Status CudaComposeAvailable(int device_index = 0);

// Runs on: the room's video mixing thread (one compositor per canvas). Not thread-safe. Owns one
// CUDA stream (created blocking with respect to the legacy default stream, so work FFmpeg queued
// there, such as NVDEC's output copies, completes first).
class CudaCompositor {
 public:
  // Fails cleanly (never aborts) where CudaComposeAvailable() fails.
  static StatusOr<std::unique_ptr<CudaCompositor>> Create(int device_index = 0);
  virtual ~CudaCompositor() = default;

  // Paints every canvas pixel as CpuCompositor::Compose does: background, tiles in z order,
  // placeholders for tiles without a picture (nullptr or missing entry), borders and the
  // highlight frame. Returns after the canvas is complete in device memory (stream synchronized).
  // A failed CUDA call leaves canvas_valid false and is logged.
  [[nodiscard]] virtual ComposeStats Compose(
      std::span<const Tile> tiles, std::span<const codec::Nv12DeviceView* const> pictures_by_tile,
      const codec::Nv12DeviceView& canvas, const ComposeOptions& options) = 0;
};

}  // namespace tessera::mixer
