// G.711 (mu-law, A-law) and G.722 through libavcodec, resampled to and from the mixer's 48 kHz
// float by libswresample.
#pragma once

#include <tessera/codec/audio_codec.h>

namespace tessera::codec {

// codec: kPcmu, kPcma or kG722; InvalidArgument for any other. g722_pcm: the peer's G.722 PCM
// convention (G722Pcm); ignored for G.711.
StatusOr<std::unique_ptr<AudioDecoder>> CreateLibavAudioDecoder(rtp::Codec codec,
                                                                G722Pcm g722_pcm = G722Pcm::k16Bit);
StatusOr<std::unique_ptr<AudioEncoder>> CreateLibavAudioEncoder(rtp::Codec codec,
                                                                G722Pcm g722_pcm = G722Pcm::k16Bit);

}  // namespace tessera::codec
