#include "codec/waveform_concealer.h"

#include <algorithm>
#include <cmath>

namespace tessera::codec {
namespace {

// Pitch search range at 48 kHz: 2 ms (500 Hz) to 15 ms (66 Hz), as in G.711 Appendix I.
constexpr size_t kMinPeriod = 96;
constexpr size_t kMaxPeriod = 720;
// Correlation window: the last 10 ms.
constexpr size_t kWindow = 480;
constexpr size_t kHistory = kMaxPeriod + kWindow;
// The cross-fade from concealment back into decoded audio: 4 ms.
constexpr size_t kCrossFade = 192;

}  // namespace

void WaveformConcealer::OnDecoded(std::span<float> frame) {
  if (period_ != 0) {
    // Coming out of a loss: cross-fade from the faded extension into the decoded signal.
    const size_t n = std::min(kCrossFade, frame.size());
    for (size_t i = 0; i < n; ++i) {
      const float gain =
          concealed_ >= kFadeSamples ? 0.0f : 1.0f - static_cast<float>(concealed_) / kFadeSamples;
      const float synthetic = NextSynthetic() * gain;
      const float w = static_cast<float>(i + 1) / static_cast<float>(n + 1);
      frame[i] = (1.0f - w) * synthetic + w * frame[i];
    }
    period_ = 0;
    concealed_ = 0;
  }
  history_.insert(history_.end(), frame.begin(), frame.end());
  if (history_.size() > kHistory) history_.erase(history_.begin(), history_.end() - kHistory);
}

std::vector<float> WaveformConcealer::Conceal(size_t samples) {
  std::vector<float> out(samples, 0.0f);
  if (history_.size() < kMinPeriod * 2) return out;
  if (period_ == 0) {
    period_ = FindPeriod();
    phase_ = 0;
  }
  for (float& s : out) {
    const float gain =
        concealed_ >= kFadeSamples ? 0.0f : 1.0f - static_cast<float>(concealed_) / kFadeSamples;
    s = NextSynthetic() * gain;
    ++concealed_;
  }
  return out;
}

float WaveformConcealer::NextSynthetic() {
  // history_ ends where the loss began; repeat its last period_ samples.
  const float s = history_[history_.size() - period_ + phase_];
  phase_ = (phase_ + 1) % period_;
  return s;
}

size_t WaveformConcealer::FindPeriod() const {
  const size_t n = history_.size();
  const size_t max_period = std::min(kMaxPeriod, n / 2);
  const size_t window = std::min(kWindow, n - max_period);
  const float* tail = history_.data() + n - window;
  double energy_tail = 0;
  for (size_t i = 0; i < window; ++i) energy_tail += double{tail[i]} * tail[i];
  size_t best = max_period;
  double best_score = -2.0;
  for (size_t p = kMinPeriod; p <= max_period; ++p) {
    const float* lag = tail - p;
    double dot = 0, energy_lag = 0;
    for (size_t i = 0; i < window; ++i) {
      dot += double{tail[i]} * lag[i];
      energy_lag += double{lag[i]} * lag[i];
    }
    const double denom = std::sqrt(energy_tail * energy_lag);
    const double score = denom > 0 ? dot / denom : 0.0;
    if (score > best_score + 1e-9) {
      best_score = score;
      best = p;
    }
  }
  return best;
}

}  // namespace tessera::codec
