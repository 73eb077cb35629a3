// Signals and measurements for the audio codec tests.
#pragma once

#include <tessera/codec/audio_codec.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <span>
#include <vector>

namespace tessera::codec::testing {

// Peak amplitude of a sine at `dbfs` (peak-referenced: -12 dBFS peaks at 0.251).
inline float AmplitudeOf(double dbfs) { return static_cast<float>(std::pow(10.0, dbfs / 20.0)); }

// A continuous sine, frame `index` of kMixFrameSamples samples at kMixRate.
inline std::vector<float> SineFrame(double hz, float amplitude, int index) {
  std::vector<float> out(kMixFrameSamples);
  for (int i = 0; i < kMixFrameSamples; ++i) {
    const double t = static_cast<double>(index * kMixFrameSamples + i) / kMixRate;
    out[static_cast<size_t>(i)] =
        amplitude * static_cast<float>(std::sin(2 * std::numbers::pi * hz * t));
  }
  return out;
}

// Goertzel power of `hz` in `x` at kMixRate.
inline double Goertzel(std::span<const float> x, double hz) {
  const double coeff = 2 * std::cos(2 * std::numbers::pi * hz / kMixRate);
  double s1 = 0, s2 = 0;
  for (float v : x) {
    const double s = v + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

inline double Rms(std::span<const float> x) {
  double sum = 0;
  for (float v : x) sum += double{v} * v;
  return x.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(x.size()));
}

inline double Db(double ratio) { return 20 * std::log10(ratio); }

inline float MaxAbs(std::span<const float> x) {
  float m = 0;
  for (float v : x) m = std::max(m, std::abs(v));
  return m;
}

// The largest sample-to-sample step: a click shows up here.
inline float MaxStep(std::span<const float> x) {
  float m = 0;
  for (size_t i = 1; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - x[i - 1]));
  return m;
}

// Normalised correlation at lag 0, in [-1, 1].
inline double Correlation(std::span<const float> a, std::span<const float> b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    ab += double{a[i]} * b[i];
    aa += double{a[i]} * a[i];
    bb += double{b[i]} * b[i];
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

}  // namespace tessera::codec::testing
