#include <tessera/mixer/audio_mixer.h>
#include <tessera/mixer/notice_tone.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tessera::mixer {
namespace {

int64_t Samples(int ms) { return int64_t{std::max(ms, 0)} * kMixSampleRateHz / 1000; }

}  // namespace

NoticeTone::NoticeTone(NoticeToneConfig config)
    : config_(config),
      amplitude_(std::pow(10.0, config.level_dbfs / 20)),
      beep_samples_(std::max<int64_t>(Samples(config.beep_ms), 1)),
      gap_samples_(Samples(config.gap_ms)),
      period_samples_(std::max(Samples(config.period_ms), 2 * beep_samples_ + gap_samples_)),
      ramp_samples_(std::min(Samples(config.ramp_ms), beep_samples_ / 2)) {}

bool NoticeTone::Sounding(int64_t n) const { return Envelope(n) > 0; }

float NoticeTone::Envelope(int64_t n) const {
  const int64_t t = n % period_samples_;
  int64_t in_beep = -1;
  if (t < beep_samples_) {
    in_beep = t;
  } else if (t >= beep_samples_ + gap_samples_ && t < 2 * beep_samples_ + gap_samples_) {
    in_beep = t - beep_samples_ - gap_samples_;
  }
  if (in_beep < 0) return 0;
  const int64_t edge = std::min(in_beep, beep_samples_ - 1 - in_beep);
  if (ramp_samples_ == 0 || edge >= ramp_samples_) return 1;
  // Raised cosine over the ramp; the edge sample itself is not silent.
  const double x = static_cast<double>(edge + 1) / static_cast<double>(ramp_samples_ + 1);
  return static_cast<float>(0.5 - 0.5 * std::cos(std::numbers::pi * x));
}

void NoticeTone::AddTo(std::span<float> pcm) {
  const double step = 2 * std::numbers::pi * config_.frequency_hz / kMixSampleRateHz;
  for (float& s : pcm) {
    const float e = Envelope(position_);
    if (e > 0) {
      // The phase from the pattern's start: each beep is the same waveform.
      const auto phase = static_cast<double>(position_ % period_samples_) * step;
      s = std::clamp(s + static_cast<float>(amplitude_ * e * std::sin(phase)), -1.0f, 1.0f);
    }
    ++position_;
  }
}

}  // namespace tessera::mixer
