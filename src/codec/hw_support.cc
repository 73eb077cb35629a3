#include "codec/hw_support.h"

#include <string>

namespace tessera::codec {

AVHWDeviceType HwDeviceTypeOf(HwBackend backend) {
  switch (backend) {
    case HwBackend::kCuda:
      return AV_HWDEVICE_TYPE_CUDA;
    case HwBackend::kQsv:
      return AV_HWDEVICE_TYPE_QSV;
    case HwBackend::kCpu:
      break;
  }
  return AV_HWDEVICE_TYPE_NONE;
}

AVPixelFormat HwPixelFormatOf(HwBackend backend) {
  switch (backend) {
    case HwBackend::kCuda:
      return AV_PIX_FMT_CUDA;
    case HwBackend::kQsv:
      return AV_PIX_FMT_QSV;
    case HwBackend::kCpu:
      break;
  }
  return AV_PIX_FMT_NONE;
}

std::optional<HwBackend> Nv12HwFrameBackend(const AVFrame& frame) {
  std::optional<HwBackend> backend;
  if (frame.format == AV_PIX_FMT_CUDA) backend = HwBackend::kCuda;
  if (frame.format == AV_PIX_FMT_QSV) backend = HwBackend::kQsv;
  if (!backend || !frame.hw_frames_ctx || frame.width <= 0 || frame.height <= 0) {
    return std::nullopt;
  }
  const auto* frames = reinterpret_cast<const AVHWFramesContext*>(frame.hw_frames_ctx->data);
  if (frames->format != frame.format || frames->sw_format != AV_PIX_FMT_NV12) return std::nullopt;
  return backend;
}

std::span<const AVPixelFormat> PixelFormatList(const AVPixelFormat* formats) {
  if (!formats) return {};
  size_t n = 0;
  while (formats[n] != AV_PIX_FMT_NONE) ++n;
  return {formats, n};
}

AVPixelFormat SelectHwPixelFormat(std::span<const AVPixelFormat> offered, AVPixelFormat wanted) {
  if (wanted == AV_PIX_FMT_NONE) return AV_PIX_FMT_NONE;
  for (AVPixelFormat f : offered) {
    if (f == wanted) return f;
  }
  return AV_PIX_FMT_NONE;
}

bool DecoderTakesHwDevice(const AVCodec* decoder, AVHWDeviceType type) {
  if (!decoder || type == AV_HWDEVICE_TYPE_NONE) return false;
  for (int i = 0;; ++i) {
    const AVCodecHWConfig* config = avcodec_get_hw_config(decoder, i);
    if (!config) return false;
    if (config->device_type == type &&
        (config->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX)) {
      return true;
    }
  }
}

Status CheckHwDevice(HwBackend backend, const AVBufferRef* device) {
  const AVHWDeviceType want = HwDeviceTypeOf(backend);
  if (want == AV_HWDEVICE_TYPE_NONE) {
    return InvalidArgumentError("the cpu backend has no hardware device");
  }
  if (!device) {
    return UnavailableError(std::string("no ") + HwBackendName(backend) + " device");
  }
  const auto* ctx = reinterpret_cast<const AVHWDeviceContext*>(device->data);
  if (ctx->type != want) {
    const char* got = av_hwdevice_get_type_name(ctx->type);
    return InvalidArgumentError(std::string("a ") + (got ? got : "?") + " device for the " +
                                HwBackendName(backend) + " backend");
  }
  return Status::Ok();
}

}  // namespace tessera::codec
