// G.711 (mu-law, A-law) and G.722 through libavcodec, resampled to and from the mixer's 48 kHz
// float by libswresample.
#pragma once

#include <tessera/codec/audio_codec.h>

namespace tessera::codec {

// codec: kPcmu, kPcma or kG722; InvalidArgument for any other.
StatusOr<std::unique_ptr<AudioDecoder>> CreateLibavAudioDecoder(rtp::Codec codec);
StatusOr<std::unique_ptr<AudioEncoder>> CreateLibavAudioEncoder(rtp::Codec codec);

}  // namespace tessera::codec
