#include "mixer/audio_level.h"

#include <algorithm>
#include <cmath>

namespace tessera::mixer {

uint8_t ComputeAudioLevel(std::span<const float> pcm) {
  if (pcm.empty()) return 127;
  double energy = 0;
  for (float s : pcm) energy += double{s} * s;
  const double mean_square = energy / static_cast<double>(pcm.size());
  // Below -127 dBov (and for NaN) the block counts as silence.
  if (!(mean_square > 1.9952623e-13)) return 127;
  if (!std::isfinite(mean_square)) return 0;
  const double dbov = 10.0 * std::log10(mean_square);
  return static_cast<uint8_t>(std::clamp(std::lround(-dbov), 0L, 127L));
}

}  // namespace tessera::mixer
