// Where a decoder or an encoder runs is decided once, here, when it is made: on the room's device
// where the device can take the job, else on the CPU, with the reason kept for logs and stats.
// Callers then use the VideoDecoder / VideoEncoder interface alone and never branch on the
// backend (the fallback policies are in hw_video_decoder.h and hw_video_encoder.h).
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/hw_device.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/codec/video_encoder.h>
#include <tessera/rtp/codec.h>

#include <memory>
#include <string>

namespace tessera::codec {

template <typename T>
struct BackendChoice {
  std::unique_ptr<T> instance;  // never null
  // Why it is on the CPU although a device was given ("" when it is on the device, or when no
  // device was given).
  std::string fallback;
};

// device: null or a kCpu device: the CPU decoder. Otherwise the device's decoder (NVDEC, Quick
// Sync), or the CPU's where the device is lost or cannot open one for this codec. Errors are the
// CPU decoder's: a bad config (CheckVideoDecoderConfig) or a libavcodec without the decoder.
// Runs on: any thread (the decoder then belongs to the caller's strand).
StatusOr<BackendChoice<VideoDecoder>> CreateVideoDecoderFor(const HwDevice* device,
                                                            rtp::Codec codec,
                                                            const VideoDecoderConfig& config);

// device: null or a kCpu device: the CPU encoder. Otherwise H.264 goes to the device's encoder
// (NVENC, Quick Sync) and stays on the CPU where the device is lost or cannot open one (a GPU
// without NVENC), as do VP8 and VP9 (no hardware VP8 or VP9 encoder is built: NVENC has none, and
// a small VP9 composite for weak links is cheap on the CPU) and H.264 with max_nal_bytes (the
// slice size cap for packetization-mode 0 receivers is x264's). Errors are the CPU encoder's.
// Runs on: any thread (the encoder then belongs to the caller's strand).
StatusOr<BackendChoice<VideoEncoder>> CreateVideoEncoderFor(const HwDevice* device,
                                                            rtp::Codec codec,
                                                            const VideoEncoderConfig& config);

}  // namespace tessera::codec
