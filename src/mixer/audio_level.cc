#include "mixer/audio_level.h"

#include <algorithm>
#include <cmath>

namespace tessera::mixer {

uint8_t ComputeAudioLevel(std::span<const float> pcm) {
  if (pcm.empty()) return 127;
  // Eight independent float accumulators let the compiler vectorise the loop (a single double
  // accumulator is a serial dependency); the precision is ample for a level in whole dB.
  constexpr size_t kLanes = 8;
  float lanes[kLanes] = {};
  const size_t whole = pcm.size() - pcm.size() % kLanes;
  for (size_t i = 0; i < whole; i += kLanes) {
    for (size_t j = 0; j < kLanes; ++j) lanes[j] += pcm[i + j] * pcm[i + j];
  }
  double energy = 0;
  for (size_t i = whole; i < pcm.size(); ++i) energy += double{pcm[i]} * pcm[i];
  for (float lane : lanes) energy += lane;
  const double mean_square = energy / static_cast<double>(pcm.size());
  // Below -127 dBov (and for NaN) the block counts as silence.
  if (!(mean_square > 1.9952623e-13)) return 127;
  if (!std::isfinite(mean_square)) return 0;
  const double dbov = 10.0 * std::log10(mean_square);
  return static_cast<uint8_t>(std::clamp(std::lround(-dbov), 0L, 127L));
}

}  // namespace tessera::mixer
