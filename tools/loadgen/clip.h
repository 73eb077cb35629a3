// The pre-encoded media the load generator loops: one video clip per codec (the test pattern with
// its frame code) and one audio clip (a tone). Encoded once at start with Tessera's own encoders,
// so the senders only packetize.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/video_encoder.h>
#include <tessera/rtp/codec.h>

#include <cstdint>
#include <vector>

namespace tessera::loadgen {

struct VideoClipConfig {
  rtp::Codec codec = rtp::Codec::kH264;
  int width = 640;  // even, at least 64x36
  int height = 360;
  int fps = 30;
  int bitrate_bps = 600'000;
  // Frames in the loop (at most kFrameCodeValues): frame i shows code i.
  int frames = 128;
  // A keyframe every this many frames, starting with frame 0; `frames` should be a multiple of it
  // so the loop restarts on a keyframe.
  int keyframe_interval = 32;
};

struct VideoClip {
  VideoClipConfig config;
  std::vector<codec::EncodedPicture> frames;  // frames[i] shows frame code i
  uint64_t bytes = 0;
};

// InvalidArgument for a bad size, rate or length; the encoder's error when it fails.
StatusOr<VideoClip> EncodeVideoClip(const VideoClipConfig& config);

struct AudioClipConfig {
  rtp::Codec codec = rtp::Codec::kOpus;
  double frequency_hz = 440;
  double amplitude = 0.3;  // of full scale
  // 20 ms packets in the loop; with 50 (one second) every whole-hertz tone loops without a click.
  int packets = 50;
  int bitrate_bps = 32'000;
};

struct AudioClip {
  AudioClipConfig config;
  std::vector<std::vector<uint8_t>> payloads;  // one 20 ms RTP payload each
  uint32_t timestamp_increment = 960;          // RTP timestamp units per payload
};

StatusOr<AudioClip> EncodeAudioClip(const AudioClipConfig& config);

}  // namespace tessera::loadgen
