// Audio levels of float PCM (full scale = 1.0).
#pragma once

#include <cstdint>
#include <span>

namespace tessera::codec {

// RMS level in dBFS, where a full-scale square wave is 0 dBFS (so a full-scale sine is -3.01).
// Returns -infinity for silence or an empty span.
double RmsDbfs(std::span<const float> pcm);

// The RFC 6464 audio level: -dBov rounded to an integer and clamped to [0, 127], where 0 is the
// loudest (0 dBov = full-scale square wave) and 127 is silence (-127 dBov or quieter).
uint8_t AudioLevelDbov(std::span<const float> pcm);

}  // namespace tessera::codec
