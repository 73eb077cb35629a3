// Peak limiter for one mix: smooth gain reduction that keeps every output sample within
// +-ceiling without clipping wrap-around.
#pragma once

#include <span>

namespace tessera::mixer {

// Runs on: the room strand (owned by AudioMixer). Not thread-safe. Sample rate fixed at 48 kHz.
//
// The gain follows the gain each sample needs (ceiling / |x|, at most 1) with a ~1 ms attack and
// a ~100 ms release. A transient faster than the attack is caught by taking, for that sample, the
// smaller of the smoothed and the needed gain, so the bound holds on every sample. The gain is
// always positive, so a sample never changes sign. Non-finite samples become 0.
class Limiter {
 public:
  static constexpr float kDefaultCeiling = 0.98f;

  explicit Limiter(float ceiling = kDefaultCeiling);

  // Limits `pcm` in place; the gain carries over to the next call.
  void Process(std::span<float> pcm);

  // Current smoothed gain in (0, 1]; 1 = no reduction.
  float gain() const { return gain_; }
  // Starts from `gain` (for continuity when a mix takes over from another one).
  void set_gain(float gain);

 private:
  float ceiling_;
  float gain_ = 1.0f;
};

}  // namespace tessera::mixer
