// RFC 6464 audio level of a block of float PCM. Private to the mixer until the codec module
// provides tessera::codec::AudioLevelDbov (include/tessera/codec/audio_level.h); then this helper
// should forward to it or be removed.
#pragma once

#include <cstdint>
#include <span>

namespace tessera::mixer {

// The RFC 6464 level of `pcm` (samples in [-1, 1], 1.0 = overload point): -dBov of the RMS,
// rounded and clamped to 0..127, where 0 is the loudest and 127 means silence (-127 dBov or
// less, or an empty block). A full-scale sine is 3. Pure function; any thread.
uint8_t ComputeAudioLevel(std::span<const float> pcm);

}  // namespace tessera::mixer
