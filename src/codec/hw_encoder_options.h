// The hardware H.264 encoders' settings as FFmpeg options, built by pure functions so the
// settings are checked (tests/unit/codec/hw_encoder_options_test.cc) on machines without a GPU.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>
#include <tessera/codec/video_encoder.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include <libavutil/dict.h>
}

namespace tessera::codec {

struct CodecOption {
  std::string key;
  std::string value;
  bool operator==(const CodecOption&) const = default;
};

// libavcodec's name of the backend's H.264 encoder: "h264_nvenc", "h264_qsv"; "" for kCpu.
const char* HwH264EncoderName(HwBackend backend);

// The options for avcodec_open2 of HwH264EncoderName(backend): the generic ones (b, maxrate,
// bufsize, g, bf) and the encoder's private ones. Empty for kCpu. The config is assumed valid.
std::vector<CodecOption> HwH264EncoderOptions(HwBackend backend, const VideoEncoderConfig& config);

struct AvDictionaryDeleter {
  void operator()(AVDictionary* d) const { av_dict_free(&d); }
};
using AvDictionaryPtr = std::unique_ptr<AVDictionary, AvDictionaryDeleter>;

AvDictionaryPtr ToAvDictionary(std::span<const CodecOption> options);

// avcodec_open2's failure as a Status: always Unavailable (the caller falls back to the CPU
// encoder), with "no NVENC on this GPU" when NVENC says the device has no encoder (ENOENT: no
// encode device, ENOSYS: unsupported device or codec), and FFmpeg's error text in every case.
Status HwEncoderOpenError(HwBackend backend, int averror);

}  // namespace tessera::codec
