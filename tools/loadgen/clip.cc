#include "loadgen/clip.h"

#include <tessera/codec/audio_codec.h>

#include <cmath>
#include <numbers>
#include <string>

#include "loadgen/frame_code.h"
#include "loadgen/test_pattern.h"

namespace tessera::loadgen {

StatusOr<VideoClip> EncodeVideoClip(const VideoClipConfig& config) {
  if (config.width < 64 || config.height < 36 || config.width % 2 || config.height % 2 ||
      config.fps <= 0 || config.frames <= 0 ||
      static_cast<uint32_t>(config.frames) > kFrameCodeValues || config.keyframe_interval <= 0) {
    return InvalidArgumentError("video clip: bad size, rate or length");
  }
  codec::VideoEncoderConfig ec;
  ec.width = config.width;
  ec.height = config.height;
  ec.fps = config.fps;
  ec.bitrate_bps = config.bitrate_bps;
  // Keyframes are forced where the clip wants them; the encoder's own period never comes.
  ec.keyframe_interval_s = 3600;
  auto encoder = codec::CreateVideoEncoder(config.codec, ec);
  if (!encoder.ok()) return encoder.status();
  VideoClip clip;
  clip.config = config;
  for (int i = 0; i < config.frames; ++i) {
    const auto picture =
        MakeTestPicture(config.width, config.height, config.fps, static_cast<uint32_t>(i));
    auto encoded = (*encoder)->Encode(picture, i % config.keyframe_interval == 0);
    if (!encoded || encoded->data.empty()) {
      return InternalError("video clip: the encoder gave no frame for picture " +
                           std::to_string(i));
    }
    clip.bytes += encoded->data.size();
    clip.frames.push_back(std::move(*encoded));
  }
  return clip;
}

StatusOr<AudioClip> EncodeAudioClip(const AudioClipConfig& config) {
  if (config.packets <= 0) return InvalidArgumentError("audio clip: no packets");
  codec::AudioEncoderConfig ec;
  ec.bitrate_bps = config.bitrate_bps;
  auto encoder = codec::CreateAudioEncoder(config.codec, ec);
  if (!encoder.ok()) return encoder.status();
  AudioClip clip;
  clip.config = config;
  clip.timestamp_increment = (*encoder)->RtpTimestampIncrement();
  std::vector<float> pcm(codec::kMixFrameSamples);
  int64_t n = 0;
  for (int p = 0; p < config.packets; ++p) {
    for (float& s : pcm) {
      s = static_cast<float>(config.amplitude *
                             std::sin(2 * std::numbers::pi * config.frequency_hz *
                                      static_cast<double>(n++) / codec::kMixRate));
    }
    clip.payloads.push_back((*encoder)->Encode(pcm));
    if (clip.payloads.back().empty()) {
      return InternalError("audio clip: the encoder gave no payload");
    }
  }
  return clip;
}

}  // namespace tessera::loadgen
