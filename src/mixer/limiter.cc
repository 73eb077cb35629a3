#include "mixer/limiter.h"

#include <algorithm>
#include <cmath>

namespace tessera::mixer {
namespace {

constexpr float kSampleRateHz = 48000.0f;
constexpr float kAttackSeconds = 0.001f;
constexpr float kReleaseSeconds = 0.100f;
// One-pole coefficients: the gain moves 1 - 1/e of the way to its target in one time constant.
const double kAttackCoeff = std::exp(-1.0 / (kAttackSeconds * kSampleRateHz));
const double kReleaseCoeff = std::exp(-1.0 / (kReleaseSeconds * kSampleRateHz));
// This close to unity the gain snaps to 1, so an idle limiter costs one scan of the block.
constexpr double kUnityEpsilon = 1e-6;

}  // namespace

Limiter::Limiter(float ceiling) : ceiling_(ceiling) {}

void Limiter::set_gain(float gain) { gain_ = std::clamp(gain, 1e-6f, 1.0f); }

void Limiter::Process(std::span<float> pcm) {
  if (gain_ >= 1.0f) {
    // Fast path: nothing to release and nothing over the ceiling (NaN fails the comparison).
    bool within = true;
    for (float s : pcm) within &= std::fabs(s) <= ceiling_;
    if (within) return;
  }
  // The gain recursion runs in double: in float, a 100 ms release near unity moves less than
  // half an ulp per sample and stalls short of 1.
  double g = gain_;
  for (float& s : pcm) {
    const float magnitude = std::fabs(s);
    if (!std::isfinite(magnitude)) {
      s = 0;
      continue;
    }
    const double needed = magnitude > ceiling_ ? double{ceiling_} / magnitude : 1.0;
    const double coeff = needed < g ? kAttackCoeff : kReleaseCoeff;
    g = needed + coeff * (g - needed);
    s = static_cast<float>(s * std::min(g, needed));
    // ceiling / |x| * x can round one ulp past the ceiling.
    if (std::fabs(s) > ceiling_) s = std::copysign(ceiling_, s);
  }
  gain_ = g > 1.0 - kUnityEpsilon ? 1.0f : static_cast<float>(g);
}

}  // namespace tessera::mixer
