// AudioMixer::Mix cost per 20 ms tick: N participants of whom 3 talk (sines) and the rest send
// digital silence. "levels computed": no RFC 6464 header extension, so the mixer measures every
// input; "levels given": the senders' levels are passed in. Budget from the issue: the whole room
// (decode + mix + encode) <= 80 us of CPU per participant per tick; the mixer is a small part.

#include <benchmark/benchmark.h>
#include <tessera/mixer/audio_mixer.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <optional>
#include <vector>

namespace {

using tessera::mixer::AudioMixer;
using tessera::mixer::AudioMixerConfig;
using tessera::mixer::kMixFrameSamples;
using tessera::mixer::kMixSampleRateHz;
using tessera::mixer::MixerInput;
using tessera::mixer::MixOutput;

constexpr int kSpeakers = 3;

std::vector<float> Tone(double freq_hz, float amplitude) {
  std::vector<float> pcm(kMixFrameSamples);
  for (size_t i = 0; i < pcm.size(); ++i) {
    pcm[i] = amplitude * static_cast<float>(std::sin(2 * std::numbers::pi * freq_hz *
                                                     static_cast<double>(i) / kMixSampleRateHz));
  }
  return pcm;
}

void BM_Mix(benchmark::State& state, bool levels_given) {
  const int participants = static_cast<int>(state.range(0));
  std::vector<std::vector<float>> pcm;
  std::vector<MixerInput> inputs;
  for (int i = 0; i < participants; ++i) {
    const bool talks = i < kSpeakers;
    pcm.push_back(talks ? Tone(200.0 + 100.0 * i, 0.3f - 0.05f * static_cast<float>(i))
                        : std::vector<float>(kMixFrameSamples, 0.0f));
  }
  for (int i = 0; i < participants; ++i) {
    MixerInput in{.id = static_cast<uint32_t>(1000 + i), .pcm = pcm[static_cast<size_t>(i)]};
    if (levels_given) in.audio_level = i < kSpeakers ? uint8_t{15} : uint8_t{127};
    inputs.push_back(in);
  }
  AudioMixer mixer(AudioMixerConfig{.max_speakers = 3});
  int64_t now_us = 0;
  size_t mixes = 0;
  for (auto _ : state) {
    MixOutput out = mixer.Mix(inputs, now_us);
    mixes = out.mixes.size();
    benchmark::DoNotOptimize(out.mixes[0].data());
    now_us += 20'000;
  }
  state.counters["mixes"] = static_cast<double>(mixes);
  state.counters["per_participant"] = benchmark::Counter(
      participants, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

BENCHMARK_CAPTURE(BM_Mix, levels_computed, false)
    ->Arg(4)
    ->Arg(30)
    ->Arg(50)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Mix, levels_given, true)
    ->Arg(4)
    ->Arg(30)
    ->Arg(50)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
