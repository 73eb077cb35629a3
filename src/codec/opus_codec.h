// Opus through libopus directly (RFC 6716, RTP payload per RFC 7587).
#pragma once

#include <tessera/codec/audio_codec.h>

namespace tessera::codec {

// channels: what the stream carries (1 or 2); the decoder always outputs mono (libopus downmixes).
StatusOr<std::unique_ptr<AudioDecoder>> CreateOpusDecoder(int channels);
StatusOr<std::unique_ptr<AudioEncoder>> CreateOpusEncoder(const AudioEncoderConfig& config);

}  // namespace tessera::codec
