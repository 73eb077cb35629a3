// Signal helpers for the mixer tests: phase-continuous sines and Goertzel tone power.
#pragma once

#include <tessera/mixer/audio_mixer.h>

#include <cmath>
#include <numbers>
#include <span>
#include <vector>

namespace tessera::mixer::testing {

// kMixFrameSamples samples of amplitude * sin(2 pi f t), t counted from sample `first_sample`.
inline std::vector<float> Sine(double freq_hz, float amplitude, int64_t first_sample = 0) {
  std::vector<float> out(kMixFrameSamples);
  for (size_t i = 0; i < out.size(); ++i) {
    const double t = static_cast<double>(first_sample + static_cast<int64_t>(i)) / kMixSampleRateHz;
    out[i] = amplitude * static_cast<float>(std::sin(2 * std::numbers::pi * freq_hz * t));
  }
  return out;
}

// Power of `freq_hz` in `pcm` (Goertzel), normalised so a unit-amplitude sine gives about 1.
inline double TonePower(std::span<const float> pcm, double freq_hz) {
  const double w = 2 * std::numbers::pi * freq_hz / kMixSampleRateHz;
  const double coeff = 2 * std::cos(w);
  double s1 = 0, s2 = 0;
  for (float x : pcm) {
    const double s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  const double n = static_cast<double>(pcm.size());
  return power * 4 / (n * n);
}

inline double ToneDb(std::span<const float> pcm, double freq_hz) {
  return 10 * std::log10(TonePower(pcm, freq_hz) + 1e-30);
}

}  // namespace tessera::mixer::testing
