// Hardware device contexts: one FFmpeg AVHWDeviceContext per (backend, device), shared by a room's
// decoders, compositor and encoders. Opening checks the machine step by step first (driver
// library, device present, runtime), so a failure says what is missing, not only FFmpeg's error
// code. Choosing a backend among several is hw_selector.h.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

struct AVBufferRef;

namespace tessera::codec {

// Parses "cpu", "cuda", "qsv" (the names HwBackendName gives).
std::optional<HwBackend> HwBackendFromName(std::string_view name);

struct HwDeviceOptions {
  // CUDA: the device ordinal (as nvidia-smi and CUDA_VISIBLE_DEVICES number them).
  int cuda_device = 0;
  // QSV: the DRM render node of the Intel GPU (e.g. "/dev/dri/renderD129"); empty: the first
  // render node whose PCI vendor is Intel (0x8086).
  std::string qsv_device;
};

// One opened hardware device. Owns one reference to its AVHWDeviceContext; users that outlive it
// (decoders, encoders, frame pools) take their own with av_buffer_ref(av_device_ctx()).
// Runs on: any thread; immutable after construction (FFmpeg device contexts are thread-safe to
// reference).
class HwDevice {
 public:
  // Adopts `device_ctx` (one reference, released by the destructor). device_ctx may be null only
  // for devices made by tests (fake openers).
  // ordinal: the CUDA device number (kCuda); 0 otherwise.
  HwDevice(HwBackend backend, AVBufferRef* device_ctx, std::string description, int ordinal = 0);
  ~HwDevice();
  HwDevice(const HwDevice&) = delete;
  HwDevice& operator=(const HwDevice&) = delete;

  HwBackend backend() const { return backend_; }
  // The AVHWDeviceContext (AV_HWDEVICE_TYPE_CUDA or _QSV). Borrowed: av_buffer_ref it to keep it.
  // For CUDA it wraps the device's primary context (primary_ctx=1), which the CUDA runtime API
  // and Tessera's kernels use too.
  AVBufferRef* av_device_ctx() const { return device_ctx_; }
  // For logs and summaries, e.g. "CUDA device 0 (NVIDIA H100 80GB HBM3)" or "QSV on
  // /dev/dri/renderD128 (VAAPI child, driver iHD)".
  const std::string& description() const { return description_; }
  // The CUDA device number the context belongs to (kCuda): the runtime API (the compositor's
  // kernels) must run on this device, whose memory the decoders' and encoders' pictures are in.
  int ordinal() const { return ordinal_; }

  // A sticky device error (a corrupted CUDA context, a lost GPU): every user of the device moves
  // to the CPU and stays there until Tessera restarts. Runs on: any thread; the first reason is
  // kept and logged once.
  void MarkLost(const std::string& reason);
  bool lost() const { return lost_.load(std::memory_order_acquire); }
  std::string lost_reason() const;

 private:
  HwBackend backend_;
  AVBufferRef* device_ctx_;
  std::string description_;
  int ordinal_ = 0;
  std::atomic<bool> lost_{false};
  mutable std::mutex lost_mu_;
  std::string lost_reason_;
};

// Opens a device of `backend` (kCuda or kQsv; kCpu has no device and is InvalidArgument).
// Unavailable with a precise reason when the machine cannot: e.g. "no CUDA driver (libcuda.so.1:
// cannot open shared object file ...)", "cuInit: CUDA_ERROR_NO_DEVICE (no NVIDIA GPU visible to
// this process)", "no Intel GPU render node (/dev/dri/renderD*: none with PCI vendor 0x8086)", or
// FFmpeg's av_err2str with what it means. Never crashes, whatever the machine lacks.
// Runs on: any thread (control plane; may take hundreds of milliseconds on a GPU machine).
StatusOr<std::shared_ptr<HwDevice>> OpenHwDevice(HwBackend backend, const HwDeviceOptions& options);

}  // namespace tessera::codec
