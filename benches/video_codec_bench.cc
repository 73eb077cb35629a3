// Per-frame cost of the CPU video codecs, one iteration = one picture, single-threaded:
// H.264 decode of 640x360 (a participant's thumbnail stream), H.264 encode of 1280x720 at
// 1.5 Mbit/s and VP8 encode of 1280x720 at 1.5 Mbit/s (the MCU's composite output).
// The input is tests/unit/codec/video_test_util.h's moving pattern, replayed.

#include <benchmark/benchmark.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/codec/video_encoder.h>

#include <vector>

#include "unit/codec/video_test_util.h"

namespace {

using tessera::codec::VideoEncoderConfig;
using tessera::codec::VideoFrame;
using tessera::rtp::Codec;

constexpr int kFrames = 60;  // two seconds at 30 fps, replayed

std::vector<VideoFrame> Pictures(int w, int h) {
  std::vector<VideoFrame> out;
  for (int i = 0; i < kFrames; ++i) out.push_back(tessera::codec::testing::MovingPattern(w, h, i));
  return out;
}

void BM_Encode(benchmark::State& state, Codec codec, int w, int h) {
  const auto pictures = Pictures(w, h);
  auto enc = tessera::codec::CreateVideoEncoder(
                 codec, VideoEncoderConfig{.width = w, .height = h, .bitrate_bps = 1'500'000})
                 .value();
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    auto pic = enc->Encode(pictures[i++ % kFrames], false);
    if (!pic) {
      state.SkipWithError("encode failed");
      break;
    }
    bytes += pic->data.size();
    benchmark::DoNotOptimize(pic->data.data());
  }
  state.counters["kbit_s_at_30fps"] =
      static_cast<double>(bytes) * 8 * 30 / 1000 / static_cast<double>(state.iterations());
}

// The stream starts with an IDR and has none after (60-frame loop < 10 s keyframe interval), so
// each replay of the loop costs one IDR in 60 frames.
void BM_Decode(benchmark::State& state, Codec codec, int w, int h) {
  std::vector<tessera::rtp::EncodedFrame> frames;
  {
    auto enc =
        tessera::codec::CreateVideoEncoder(codec, VideoEncoderConfig{.width = w, .height = h})
            .value();
    for (const auto& p : Pictures(w, h)) {
      auto pic = enc->Encode(p, false).value();
      tessera::rtp::EncodedFrame f;
      f.data = std::move(pic.data);
      f.codec = codec;
      f.keyframe = pic.keyframe;
      f.rtp_timestamp = static_cast<uint32_t>(pic.pts_90k);
      frames.push_back(std::move(f));
    }
  }
  auto dec = tessera::codec::CreateVideoDecoder(codec).value();
  size_t i = 0;
  for (auto _ : state) {
    auto r = dec->Decode(frames[i++ % kFrames]);
    if (!r.picture) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(r.picture.host()->y.data());
  }
}

BENCHMARK_CAPTURE(BM_Decode, h264_640x360, Codec::kH264, 640, 360)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, vp8_640x360, Codec::kVp8, 640, 360)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, h264_1280x720_1500k, Codec::kH264, 1280, 720)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, vp8_1280x720_1500k, Codec::kVp8, 1280, 720)
    ->Unit(benchmark::kMillisecond);

}  // namespace
