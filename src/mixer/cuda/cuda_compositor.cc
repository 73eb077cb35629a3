// The CUDA compositor: plans on the host with Nv12ComposePlanner (CpuCompositor's meaning), copies
// the ops to the device and runs kernels/compose.cu on the compositor's own stream.
#include <cuda_runtime_api.h>
#include <tessera/base/clock.h>
#include <tessera/base/logging.h>
#include <tessera/codec/device_frame_pool.h>
#include <tessera/codec/hw_transfer.h>
#include <tessera/mixer/cuda_compositor.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernels/compose_kernels.h"
#include "mixer/nv12_compose_plan.h"

namespace tessera::mixer {
namespace {

// Turing is the oldest architecture the kernels are built for (CMAKE_CUDA_ARCHITECTURES).
constexpr int kMinComputeCapability = 75;
constexpr size_t kInitialOpCapacity = 64;

std::string CudaText(cudaError_t err) {
  return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
}

struct StreamDeleter {
  void operator()(cudaStream_t stream) const { (void)cudaStreamDestroy(stream); }
};
using StreamPtr = std::unique_ptr<CUstream_st, StreamDeleter>;

struct DeviceDeleter {
  void operator()(kernels::ComposeOp* p) const { (void)cudaFree(p); }
};
struct PinnedDeleter {
  void operator()(kernels::ComposeOp* p) const { (void)cudaFreeHost(p); }
};
using DeviceOps = std::unique_ptr<kernels::ComposeOp, DeviceDeleter>;
using PinnedOps = std::unique_ptr<kernels::ComposeOp, PinnedDeleter>;

// A host picture's copy on the device, kept while the same picture is shown.
struct Upload {
  std::shared_ptr<const codec::VideoFrame> source;  // keeps the key's address unique
  std::shared_ptr<codec::DeviceVideoFrame> copy;
  bool used = false;  // by the current Compose call
};

class CudaCompositorImpl final : public CudaCompositor {
 public:
  CudaCompositorImpl(int device, StreamPtr stream, AVBufferRef* device_ctx)
      : device_(device), stream_(std::move(stream)), device_ctx_(device_ctx) {}

  ComposeStats Compose(std::span<const Tile> tiles,
                       std::span<const codec::Nv12DeviceView* const> pictures_by_tile,
                       const codec::Nv12DeviceView& canvas, const ComposeOptions& options) override;

  ComposeStats Compose(std::span<const Tile> tiles,
                       std::span<const codec::Picture* const> pictures_by_tile,
                       const ComposeTarget& canvas, const ComposeOptions& options) override;

 private:
  // The device copy of a host picture: the kept one, or a new upload (counted in `uploads`).
  // Null when it cannot be made (logged; `error` says what failed).
  const codec::DeviceVideoFrame* DeviceCopy(const codec::Picture& picture, int& uploads,
                                            std::string& error);
  // Room for `count` ops in the pinned staging buffer and in device memory.
  cudaError_t Reserve(size_t count);
  // Logs a failed CUDA call (rate-limited) and returns the stats of a canvas not drawn.
  ComposeStats Fail(const char* what, cudaError_t err);

  int device_;
  StreamPtr stream_;
  DeviceOps device_ops_;
  PinnedOps pinned_ops_;
  size_t capacity_ = 0;
  Nv12ComposePlanner planner_;
  std::vector<Nv12Planes> planes_;
  std::vector<const Nv12Planes*> plane_ptrs_;
  LogRateLimiter error_log_;
  AVBufferRef* device_ctx_;  // borrowed from the room's codec::HwDevice, which outlives it
  std::vector<Upload> uploads_;
  std::vector<std::unique_ptr<codec::DeviceFramePool>> upload_pools_;  // one per picture size
  std::vector<codec::Nv12DeviceView> views_;
  std::vector<const codec::Nv12DeviceView*> view_ptrs_;
};

const codec::DeviceVideoFrame* CudaCompositorImpl::DeviceCopy(const codec::Picture& picture,
                                                              int& uploads, std::string& error) {
  const std::shared_ptr<const codec::VideoFrame>& host = picture.shared_host();
  for (Upload& u : uploads_) {
    if (u.source == host) {
      u.used = true;
      return u.copy.get();
    }
  }
  // NV12 surfaces are even: an odd picture loses its last column or row.
  const int w = host->width & ~1;
  const int h = host->height & ~1;
  if (w < 2 || h < 2 || device_ctx_ == nullptr) return nullptr;
  codec::DeviceFramePool* pool = nullptr;
  for (auto& p : upload_pools_) {
    if (p->width() == w && p->height() == h) pool = p.get();
  }
  if (pool == nullptr) {
    auto made = codec::DeviceFramePool::Create(codec::HwBackend::kCuda, device_ctx_, w, h);
    if (!made.ok()) {
      error = "upload pool: " + made.status().message();
      return nullptr;
    }
    upload_pools_.push_back(std::move(*made));
    pool = upload_pools_.back().get();
  }
  auto frame = pool->Acquire();
  if (!frame.ok()) {
    error = "upload surface: " + frame.status().message();
    return nullptr;
  }
  if (const Status s = codec::UploadI420(*host, **frame); !s.ok()) {
    error = "upload: " + s.message();
    return nullptr;
  }
  ++uploads;
  uploads_.push_back(Upload{.source = host, .copy = std::move(*frame), .used = true});
  return uploads_.back().copy.get();
}

ComposeStats CudaCompositorImpl::Compose(std::span<const Tile> tiles,
                                         std::span<const codec::Picture* const> pictures_by_tile,
                                         const ComposeTarget& canvas,
                                         const ComposeOptions& options) {
  if (canvas.device == nullptr) return ComposeStats{};
  const std::optional<codec::Nv12DeviceView> target = canvas.device->cuda_view();
  if (!target) return ComposeStats{};
  for (Upload& u : uploads_) u.used = false;
  views_.assign(pictures_by_tile.size(), codec::Nv12DeviceView{});
  view_ptrs_.assign(pictures_by_tile.size(), nullptr);
  int uploads = 0;
  int unreadable = 0;
  std::string error;
  for (size_t i = 0; i < pictures_by_tile.size(); ++i) {
    const codec::Picture* p = pictures_by_tile[i];
    if (p == nullptr || !*p) continue;
    const codec::DeviceVideoFrame* device = p->device();
    if (device == nullptr && p->host() != nullptr) device = DeviceCopy(*p, uploads, error);
    if (!error.empty()) break;
    const std::optional<codec::Nv12DeviceView> view =
        device != nullptr ? device->cuda_view() : std::nullopt;
    if (!view) {
      ++unreadable;
      continue;
    }
    views_[i] = *view;
    view_ptrs_[i] = &views_[i];
  }
  // Copies of pictures no longer shown go back to their pools.
  std::erase_if(uploads_, [](const Upload& u) { return !u.used; });
  if (!error.empty()) {
    if (error_log_.Allow(SystemClock().NowUs())) {
      spdlog::error("cuda compositor: {} on device {} ({} similar errors suppressed)", error,
                    device_, error_log_.suppressed());
    }
    return ComposeStats{};
  }
  ComposeStats stats = Compose(tiles, view_ptrs_, *target, options);
  stats.uploads = uploads;
  stats.unreadable = unreadable;
  return stats;
}

cudaError_t CudaCompositorImpl::Reserve(size_t count) {
  if (count <= capacity_) return cudaSuccess;
  const size_t capacity = std::max(count, std::max(kInitialOpCapacity, 2 * capacity_));
  device_ops_.reset();
  pinned_ops_.reset();
  capacity_ = 0;
  void* device = nullptr;
  cudaError_t err = cudaMalloc(&device, capacity * sizeof(kernels::ComposeOp));
  if (err != cudaSuccess) return err;
  device_ops_.reset(static_cast<kernels::ComposeOp*>(device));
  void* pinned = nullptr;
  err = cudaMallocHost(&pinned, capacity * sizeof(kernels::ComposeOp));
  if (err != cudaSuccess) return err;
  pinned_ops_.reset(static_cast<kernels::ComposeOp*>(pinned));
  capacity_ = capacity;
  return cudaSuccess;
}

ComposeStats CudaCompositorImpl::Fail(const char* what, cudaError_t err) {
  if (error_log_.Allow(SystemClock().NowUs())) {
    spdlog::error("cuda compositor: {} failed on device {}: {} ({} similar errors suppressed)",
                  what, device_, CudaText(err), error_log_.suppressed());
  }
  return ComposeStats{};
}

ComposeStats CudaCompositorImpl::Compose(
    std::span<const Tile> tiles, std::span<const codec::Nv12DeviceView* const> pictures_by_tile,
    const codec::Nv12DeviceView& canvas, const ComposeOptions& options) {
  if (!canvas.Valid() || canvas.width % 2 != 0 || canvas.height % 2 != 0) return ComposeStats{};
  planes_.assign(pictures_by_tile.size(), Nv12Planes{});
  plane_ptrs_.assign(pictures_by_tile.size(), nullptr);
  for (size_t i = 0; i < pictures_by_tile.size(); ++i) {
    const codec::Nv12DeviceView* p = pictures_by_tile[i];
    if (p == nullptr) continue;
    planes_[i] = Nv12Planes{.y = p->y,
                            .pitch_y = p->pitch_y,
                            .uv = p->uv,
                            .pitch_uv = p->pitch_uv,
                            .width = p->width,
                            .height = p->height};
    plane_ptrs_[i] = &planes_[i];
  }
  const ComposeStats stats =
      planner_.Plan(tiles, plane_ptrs_, canvas.width, canvas.height, options);
  const std::span<const kernels::ComposeOp> ops = planner_.ops();
  if (ops.empty()) return stats;

  // The calling thread may have used another device since the last call.
  cudaError_t err = cudaSetDevice(device_);
  if (err != cudaSuccess) return Fail("cudaSetDevice", err);
  err = Reserve(ops.size());
  if (err != cudaSuccess) return Fail("allocating the op buffers", err);
  // The previous call synchronized the stream, so the staging buffer is free.
  std::copy(ops.begin(), ops.end(), pinned_ops_.get());
  err = cudaMemcpyAsync(device_ops_.get(), pinned_ops_.get(), ops.size_bytes(),
                        cudaMemcpyHostToDevice, stream_.get());
  const kernels::Nv12Target target{canvas.y,        canvas.pitch_y, canvas.uv,
                                   canvas.pitch_uv, canvas.width,   canvas.height};
  const char* failed = err != cudaSuccess ? "copying the ops" : nullptr;
  for (size_t first = 0; failed == nullptr && first < ops.size();
       first += kernels::kMaxComposeOpsPerLaunch) {
    const size_t count =
        std::min(ops.size() - first, static_cast<size_t>(kernels::kMaxComposeOpsPerLaunch));
    err = kernels::LaunchCompose(device_ops_.get() + first, static_cast<int>(count), target,
                                 stream_.get());
    if (err != cudaSuccess) failed = "launching the compose kernel";
  }
  // Always wait, even after a failed launch: the staging buffer and the caller's pictures must not
  // be in use once Compose() returns.
  const cudaError_t sync = cudaStreamSynchronize(stream_.get());
  if (failed != nullptr) return Fail(failed, err);
  if (sync != cudaSuccess) return Fail("composing (cudaStreamSynchronize)", sync);
  return stats;
}

}  // namespace

Status CudaComposeAvailable(int device_index) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaErrorNoDevice || (err == cudaSuccess && count == 0)) {
    return UnavailableError("no CUDA device");
  }
  if (err != cudaSuccess) return UnavailableError("no usable CUDA driver: " + CudaText(err));
  if (device_index < 0 || device_index >= count) {
    return UnavailableError("no CUDA device " + std::to_string(device_index) + " (" +
                            std::to_string(count) + " present)");
  }
  int major = 0;
  int minor = 0;
  cudaError_t attr =
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device_index);
  if (attr == cudaSuccess) {
    attr = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device_index);
  }
  if (attr != cudaSuccess) {
    return UnavailableError("CUDA device " + std::to_string(device_index) +
                            " not queryable: " + CudaText(attr));
  }
  if (major * 10 + minor < kMinComputeCapability) {
    return UnavailableError("sm_" + std::to_string(major) + std::to_string(minor) +
                            " not supported (the kernels need sm_75 or newer)");
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<CudaCompositor>> CudaCompositor::Create(int device_index,
                                                                 AVBufferRef* device_ctx) {
  Status available = CudaComposeAvailable(device_index);
  if (!available.ok()) return available;
  cudaError_t err = cudaSetDevice(device_index);
  if (err != cudaSuccess) return UnavailableError("cudaSetDevice: " + CudaText(err));
  // Blocking with respect to the legacy default stream, so NVDEC's output copies that FFmpeg
  // queued there are complete before the kernels read the pictures.
  cudaStream_t stream = nullptr;
  err = cudaStreamCreate(&stream);
  if (err != cudaSuccess) return UnavailableError("cudaStreamCreate: " + CudaText(err));
  return std::unique_ptr<CudaCompositor>(
      std::make_unique<CudaCompositorImpl>(device_index, StreamPtr(stream), device_ctx));
}

}  // namespace tessera::mixer
