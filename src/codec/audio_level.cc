#include <tessera/codec/audio_level.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tessera::codec {

double RmsDbfs(std::span<const float> pcm) {
  if (pcm.empty()) return -std::numeric_limits<double>::infinity();
  double sum = 0;
  for (float s : pcm) sum += static_cast<double>(s) * s;
  const double mean_square = sum / static_cast<double>(pcm.size());
  if (mean_square <= 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(mean_square);
}

uint8_t AudioLevelDbov(std::span<const float> pcm) {
  if (pcm.empty()) return 127;
  // Runs for every input on every mixer tick. Eight independent float accumulators let the
  // compiler vectorise the loop (one double accumulator is a serial dependency); the precision is
  // ample for a level in whole dB.
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
  return static_cast<uint8_t>(std::clamp(std::lround(-10.0 * std::log10(mean_square)), 0L, 127L));
}

}  // namespace tessera::codec
