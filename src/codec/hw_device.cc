#include <spdlog/spdlog.h>
#include <tessera/codec/hw_device.h>

extern "C" {
#include <libavutil/buffer.h>
#include <libavutil/dict.h>
#include <libavutil/hwcontext.h>
#include <libavutil/version.h>
}

#include <filesystem>
#include <system_error>

#include "codec/drm_render_nodes.h"
#include "codec/hw_support.h"
#include "codec/nvidia_driver.h"
#include "deps/ffmpeg.h"

namespace tessera::codec {
namespace {

struct AvDictionaryDeleter {
  void operator()(AVDictionary* d) const { av_dict_free(&d); }
};
using AvDictionaryPtr = std::unique_ptr<AVDictionary, AvDictionaryDeleter>;

StatusOr<AvBufferRefPtr> CreateFfmpegDevice(
    AVHWDeviceType type, const std::string& device,
    std::initializer_list<std::pair<const char*, const char*>> options) {
  bool built_in = false;
  for (auto t = av_hwdevice_iterate_types(AV_HWDEVICE_TYPE_NONE); t != AV_HWDEVICE_TYPE_NONE;
       t = av_hwdevice_iterate_types(t)) {
    built_in |= t == type;
  }
  if (!built_in) {
    return UnavailableError(std::string("this FFmpeg (" LIBAVUTIL_IDENT ") was built without ") +
                            av_hwdevice_get_type_name(type) + " support");
  }
  AVDictionary* raw_opts = nullptr;
  for (const auto& [key, value] : options) av_dict_set(&raw_opts, key, value, 0);
  AvDictionaryPtr opts(raw_opts);
  AVBufferRef* ctx = nullptr;
  const int err =
      av_hwdevice_ctx_create(&ctx, type, device.empty() ? nullptr : device.c_str(), opts.get(), 0);
  if (err < 0 || !ctx) {
    return UnavailableError(std::string("av_hwdevice_ctx_create(") +
                            av_hwdevice_get_type_name(type) + ", \"" + device +
                            "\"): " + deps::AvErrorText(err));
  }
  return AvBufferRefPtr(ctx);
}

StatusOr<std::shared_ptr<HwDevice>> OpenCuda(const HwDeviceOptions& options) {
  // The driver is checked step by step before FFmpeg is asked: FFmpeg reports a missing
  // libcuda.so.1 as "Operation not permitted", which tells an operator nothing.
  auto driver = CudaDriver::Load();
  if (!driver.ok()) return driver.status();
  TESSERA_RETURN_IF_ERROR((*driver)->Init());
  const CudaFunctions& fn = (*driver)->fn();
  int count = 0;
  if (CUresult r = fn.cuDeviceGetCount(&count); r != CUDA_SUCCESS) {
    return UnavailableError("cuDeviceGetCount: " + (*driver)->Explain(r));
  }
  if (options.cuda_device < 0 || options.cuda_device >= count) {
    return UnavailableError("CUDA device " + std::to_string(options.cuda_device) +
                            " does not exist (this machine has " + std::to_string(count) +
                            " CUDA device" + (count == 1 ? "" : "s") + ")");
  }
  CUdevice device = 0;
  char name[256] = {};
  if (CUresult r = fn.cuDeviceGet(&device, options.cuda_device); r != CUDA_SUCCESS) {
    return UnavailableError("cuDeviceGet: " + (*driver)->Explain(r));
  }
  if (fn.cuDeviceGetName(name, sizeof(name) - 1, device) != CUDA_SUCCESS) name[0] = '\0';
  // primary_ctx=1: FFmpeg retains the device's primary context instead of creating its own, so
  // decoders, encoders, the CUDA runtime and Tessera's kernels all work in one context and device
  // pointers pass between them without copies.
  auto ctx = CreateFfmpegDevice(HwDeviceTypeOf(HwBackend::kCuda),
                                std::to_string(options.cuda_device), {{"primary_ctx", "1"}});
  if (!ctx.ok()) {
    return UnavailableError(ctx.status().message() +
                            " (the driver sees the GPU but FFmpeg could not retain its CUDA "
                            "context; FFmpeg's log has the CUDA error)");
  }
  std::string description = "CUDA device " + std::to_string(options.cuda_device);
  if (name[0]) description += std::string(" (") + name + ")";
  return std::make_shared<HwDevice>(HwBackend::kCuda, ctx->release(), std::move(description),
                                    options.cuda_device);
}

StatusOr<std::string> FindIntelRenderNode(const HwDeviceOptions& options) {
  if (!options.qsv_device.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(options.qsv_device, ec)) {
      return UnavailableError("qsv device " + options.qsv_device + " does not exist");
    }
    return options.qsv_device;
  }
  const std::vector<RenderNode> nodes = ListRenderNodes();
  std::string others;
  for (const auto& node : nodes) {
    if (node.vendor == kPciVendorIntel) return node.path;
    others += (others.empty() ? "" : ", ") + DescribeRenderNode(node);
  }
  if (nodes.empty()) {
    return UnavailableError(
        "no Intel GPU: no DRM render node (/dev/dri/renderD* absent; in a container, pass "
        "/dev/dri through)");
  }
  return UnavailableError("no Intel GPU: no render node with PCI vendor 0x8086 (found " + others +
                          ")");
}

StatusOr<std::shared_ptr<HwDevice>> OpenQsv(const HwDeviceOptions& options) {
  auto node = FindIntelRenderNode(options);
  if (!node.ok()) return node.status();
  // As FFmpeg 5.1's own QSV device creation on Linux does: a VAAPI child device on the Intel
  // node with the iHD driver, then the QSV (MFX) session derived from it. Done in two steps so a
  // failure says which layer is missing.
  auto vaapi = CreateFfmpegDevice(AV_HWDEVICE_TYPE_VAAPI, *node, {{"driver", "iHD"}});
  if (!vaapi.ok()) {
    return UnavailableError("VAAPI child device on " + *node +
                            " with driver iHD: " + vaapi.status().message() +
                            " (intel-media-va-driver missing, or a GPU the iHD driver does not "
                            "support)");
  }
  AVBufferRef* qsv = nullptr;
  const int err =
      av_hwdevice_ctx_create_derived(&qsv, HwDeviceTypeOf(HwBackend::kQsv), vaapi->get(), 0);
  if (err < 0 || !qsv) {
    return UnavailableError("QSV session on " + *node +
                            ": av_hwdevice_ctx_create_derived(qsv): " + deps::AvErrorText(err) +
                            " (no Intel Media SDK / oneVPL GPU runtime: libmfx1 for GPUs before "
                            "Gen12, libmfx-gen1.2 from Gen12 on)");
  }
  // The QSV context keeps its own reference to the VAAPI child.
  return std::make_shared<HwDevice>(HwBackend::kQsv, qsv,
                                    "QSV on " + *node + " (VAAPI child, driver iHD)");
}

}  // namespace

std::optional<HwBackend> HwBackendFromName(std::string_view name) {
  for (HwBackend b : {HwBackend::kCpu, HwBackend::kCuda, HwBackend::kQsv}) {
    if (name == HwBackendName(b)) return b;
  }
  return std::nullopt;
}

HwDevice::HwDevice(HwBackend backend, AVBufferRef* device_ctx, std::string description, int ordinal)
    : backend_(backend),
      device_ctx_(device_ctx),
      description_(std::move(description)),
      ordinal_(ordinal) {}

void HwDevice::MarkLost(const std::string& reason) {
  {
    std::lock_guard lock(lost_mu_);
    if (lost_.load(std::memory_order_relaxed)) return;
    lost_reason_ = reason;
    lost_.store(true, std::memory_order_release);
  }
  spdlog::error("{}: device lost ({}); its rooms and inputs continue on the CPU until restart",
                description_, reason);
}

std::string HwDevice::lost_reason() const {
  std::lock_guard lock(lost_mu_);
  return lost_reason_;
}

HwDevice::~HwDevice() { av_buffer_unref(&device_ctx_); }

StatusOr<std::shared_ptr<HwDevice>> OpenHwDevice(HwBackend backend,
                                                 const HwDeviceOptions& options) {
  switch (backend) {
    case HwBackend::kCuda:
      return OpenCuda(options);
    case HwBackend::kQsv:
      return OpenQsv(options);
    case HwBackend::kCpu:
      break;
  }
  return InvalidArgumentError("the cpu backend has no hardware device");
}

}  // namespace tessera::codec
