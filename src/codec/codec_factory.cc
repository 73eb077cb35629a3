#include <tessera/codec/codec_factory.h>
#include <tessera/codec/hw_video_decoder.h>
#include <tessera/codec/hw_video_encoder.h>

#include <string>
#include <utility>

namespace tessera::codec {
namespace {

// Why the device cannot be asked at all; "" when it can.
std::string DeviceUnusable(const HwDevice& device) {
  if (device.lost()) return "device lost: " + device.lost_reason();
  return "";
}

bool OnDevice(const HwDevice* device) {
  return device != nullptr && device->backend() != HwBackend::kCpu;
}

}  // namespace

StatusOr<BackendChoice<VideoDecoder>> CreateVideoDecoderFor(const HwDevice* device,
                                                            rtp::Codec codec,
                                                            const VideoDecoderConfig& config) {
  BackendChoice<VideoDecoder> out;
  if (OnDevice(device)) {
    out.fallback = DeviceUnusable(*device);
    if (out.fallback.empty()) {
      auto hw = CreateHwVideoDecoder(codec, device->backend(), device->av_device_ctx(), config);
      if (hw.ok()) {
        out.instance = std::move(*hw);
        return out;
      }
      out.fallback = hw.status().message();
    }
  }
  auto cpu = CreateVideoDecoder(codec, config);
  if (!cpu.ok()) return cpu.status();
  out.instance = std::move(*cpu);
  return out;
}

StatusOr<BackendChoice<VideoEncoder>> CreateVideoEncoderFor(const HwDevice* device,
                                                            rtp::Codec codec,
                                                            const VideoEncoderConfig& config) {
  BackendChoice<VideoEncoder> out;
  if (OnDevice(device)) {
    out.fallback = DeviceUnusable(*device);
    if (!out.fallback.empty()) {
      // As it says.
    } else if (codec == rtp::Codec::kVp9) {
      out.fallback = "no hardware VP9 encoder is built (NVENC has none; libvpx-vp9 realtime)";
    } else if (codec != rtp::Codec::kH264) {
      out.fallback = std::string("no hardware ") + rtp::CodecName(codec) + " encoder is built";
    } else if (config.max_nal_bytes > 0) {
      out.fallback = "single NAL units for packetization-mode 0 are x264's (slice-max-size)";
    } else {
      auto hw = CreateHwVideoEncoder(device->backend(), device->av_device_ctx(), config);
      if (hw.ok()) {
        out.instance = std::move(*hw);
        return out;
      }
      out.fallback = hw.status().message();
    }
  }
  auto cpu = CreateVideoEncoder(codec, config);
  if (!cpu.ok()) return cpu.status();
  out.instance = std::move(*cpu);
  return out;
}

}  // namespace tessera::codec
