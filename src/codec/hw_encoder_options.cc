#include "codec/hw_encoder_options.h"

#include <cerrno>

#include "codec/video_rate.h"
#include "deps/ffmpeg.h"

namespace tessera::codec {
namespace {

// What both encoders share with the CPU encoder's rate control (video_encoder.cc): CBR at the
// target with a half-second buffer, an IDR every keyframe_interval_s, no B-frames.
void AddRateOptions(const VideoEncoderConfig& c, std::vector<CodecOption>& out) {
  const std::string rate = std::to_string(c.bitrate_bps);
  out.push_back({"b", rate});
  out.push_back({"maxrate", rate});
  out.push_back({"bufsize", std::to_string(VbvBits(c.bitrate_bps))});
  out.push_back({"g", std::to_string(c.fps * c.keyframe_interval_s)});
  out.push_back({"bf", "0"});
}

}  // namespace

const char* HwH264EncoderName(HwBackend backend) {
  switch (backend) {
    case HwBackend::kCuda:
      return "h264_nvenc";
    case HwBackend::kQsv:
      return "h264_qsv";
    case HwBackend::kCpu:
      break;
  }
  return "";
}

std::vector<CodecOption> HwH264EncoderOptions(HwBackend backend, const VideoEncoderConfig& config) {
  std::vector<CodecOption> out;
  if (backend == HwBackend::kCpu) return out;
  AddRateOptions(config, out);
  if (backend == HwBackend::kCuda) {
    out.insert(out.end(), {
                              // p3 with the low-latency tuning: libx264's veryfast counterpart.
                              {"preset", "p3"},
                              {"tune", "ll"},
                              {"rc", "cbr"},
                              // Baseline without B-frames and with CAVLC is constrained baseline.
                              {"profile", "baseline"},
                              {"coder", "cavlc"},
                              // A frame in gives its packet out from the same call.
                              {"delay", "0"},
                              {"zerolatency", "1"},
                              {"rc-lookahead", "0"},
                              {"no-scenecut", "1"},
                              // pict_type I on the input frame makes an IDR, not a plain I-frame.
                              {"forced-idr", "1"},
                          });
  } else {
    out.insert(out.end(), {
                              {"preset", "veryfast"},
                              {"profile", "baseline"},
                              {"cavlc", "1"},
                              // One frame in flight, and no lookahead rate control.
                              {"async_depth", "1"},
                              {"look_ahead", "0"},
                              {"forced_idr", "1"},
                              // Every I-frame of the GOP an IDR, so receivers can join at it.
                              {"idr_interval", "0"},
                          });
  }
  return out;
}

AvDictionaryPtr ToAvDictionary(std::span<const CodecOption> options) {
  AVDictionary* dict = nullptr;
  for (const CodecOption& o : options) av_dict_set(&dict, o.key.c_str(), o.value.c_str(), 0);
  return AvDictionaryPtr(dict);
}

Status HwEncoderOpenError(HwBackend backend, int averror) {
  const std::string name = HwH264EncoderName(backend);
  const std::string text = deps::AvErrorText(averror);
  if (backend == HwBackend::kCuda && (averror == AVERROR(ENOENT) || averror == AVERROR(ENOSYS))) {
    return UnavailableError("no NVENC on this GPU (" + name + ": " + text + ")");
  }
  return UnavailableError(name + ": " + text);
}

}  // namespace tessera::codec
