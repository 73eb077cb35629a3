// Per-frame cost of the mixer's audio codecs: one iteration is one 20 ms mono frame at 48 kHz.
// Opus at 32 kbit/s (VOIP, FEC on, default complexity); G.711 and G.722 including the
// swresample conversion between 48 kHz float and 8/16 kHz s16. Budget (mixer issue): 0.4% of a
// core per participant, i.e. 80 us per 20 ms for decode + encode.

#include <benchmark/benchmark.h>
#include <tessera/codec/audio_codec.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

namespace {

using tessera::codec::AudioEncoderConfig;
using tessera::codec::kMixFrameSamples;
using tessera::codec::kMixRate;
using tessera::rtp::Codec;

constexpr int kFrames = 50;  // one second, replayed

// A voiced-speech-like test signal: a 150 Hz fundamental with decaying harmonics, a slow pitch
// glide and a little noise, at about -18 dBFS RMS.
std::vector<std::vector<float>> SpeechLikeFrames() {
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.0f, 0.01f);
  std::vector<std::vector<float>> frames(kFrames, std::vector<float>(kMixFrameSamples));
  double phase = 0;
  for (int f = 0; f < kFrames; ++f) {
    for (int i = 0; i < kMixFrameSamples; ++i) {
      const double t = static_cast<double>(f * kMixFrameSamples + i) / kMixRate;
      phase +=
          2 * std::numbers::pi * (150 + 30 * std::sin(2 * std::numbers::pi * 0.7 * t)) / kMixRate;
      double s = 0;
      for (int h = 1; h <= 12; ++h) s += std::sin(h * phase) / h;
      frames[f][i] = static_cast<float>(0.08 * s) + noise(rng);
    }
  }
  return frames;
}

std::vector<std::vector<uint8_t>> Encoded(Codec codec, const AudioEncoderConfig& config) {
  auto enc = tessera::codec::CreateAudioEncoder(codec, config).value();
  std::vector<std::vector<uint8_t>> out;
  for (const auto& frame : SpeechLikeFrames()) out.push_back(enc->Encode(frame));
  return out;
}

void BM_Encode(benchmark::State& state, Codec codec) {
  const auto frames = SpeechLikeFrames();
  auto enc = tessera::codec::CreateAudioEncoder(codec, AudioEncoderConfig{}).value();
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    auto payload = enc->Encode(frames[i++ % kFrames]);
    bytes += payload.size();
    benchmark::DoNotOptimize(payload.data());
  }
  state.counters["bytes_per_frame"] =
      static_cast<double>(bytes) / static_cast<double>(state.iterations());
}

void BM_Decode(benchmark::State& state, Codec codec) {
  const auto payloads = Encoded(codec, AudioEncoderConfig{});
  auto dec = tessera::codec::CreateAudioDecoder(codec).value();
  size_t i = 0;
  for (auto _ : state) {
    auto pcm = dec->Decode(payloads[i++ % kFrames]);
    benchmark::DoNotOptimize(pcm->data());
  }
}

// One lost frame in every `state.range(0)`: the cost of concealment (pitch search for G.711) on
// top of decoding.
void BM_DecodeWithLoss(benchmark::State& state, Codec codec) {
  const auto payloads = Encoded(codec, AudioEncoderConfig{});
  auto dec = tessera::codec::CreateAudioDecoder(codec).value();
  const auto every = static_cast<size_t>(state.range(0));
  size_t i = 0;
  for (auto _ : state) {
    const size_t n = i++;
    if (n % every == every - 1) {
      auto pcm = dec->Conceal(kMixFrameSamples, std::nullopt);
      benchmark::DoNotOptimize(pcm.data());
    } else {
      auto pcm = dec->Decode(payloads[n % kFrames]);
      benchmark::DoNotOptimize(pcm->data());
    }
  }
}

// Opus encode by complexity (the argument); the encoder's default is AudioEncoderConfig{}.
void BM_OpusEncodeComplexity(benchmark::State& state) {
  const auto frames = SpeechLikeFrames();
  AudioEncoderConfig config;
  config.complexity = static_cast<int>(state.range(0));
  auto enc = tessera::codec::CreateAudioEncoder(Codec::kOpus, config).value();
  size_t i = 0;
  for (auto _ : state) {
    auto payload = enc->Encode(frames[i++ % kFrames]);
    benchmark::DoNotOptimize(payload.data());
  }
}

BENCHMARK_CAPTURE(BM_Encode, opus_32k, Codec::kOpus)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OpusEncodeComplexity)
    ->Arg(10)
    ->Arg(8)
    ->Arg(5)
    ->Arg(3)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Decode, opus_32k, Codec::kOpus)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_DecodeWithLoss, opus_32k, Codec::kOpus)
    ->Arg(10)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Encode, pcmu, Codec::kPcmu)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Decode, pcmu, Codec::kPcmu)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_DecodeWithLoss, pcmu, Codec::kPcmu)->Arg(10)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Encode, g722, Codec::kG722)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Decode, g722, Codec::kG722)->Unit(benchmark::kMicrosecond);

}  // namespace
