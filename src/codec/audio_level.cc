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
  const double dbfs = RmsDbfs(pcm);
  if (!(dbfs > -127.0)) return 127;  // also catches -inf
  return static_cast<uint8_t>(std::clamp(std::lround(-dbfs), 0L, 127L));
}

}  // namespace tessera::codec
