#include <tessera/codec/audio_codec.h>

#include <string>

#include "codec/libav_audio_codec.h"
#include "codec/opus_codec.h"

namespace tessera::codec {

int G722PcmBits(G722Pcm pcm) { return pcm == G722Pcm::k14Bit ? 14 : 16; }

std::optional<G722Pcm> G722PcmFromBits(uint64_t bits) {
  if (bits == 14) return G722Pcm::k14Bit;
  if (bits == 16) return G722Pcm::k16Bit;
  return std::nullopt;
}

StatusOr<std::unique_ptr<AudioDecoder>> CreateAudioDecoder(rtp::Codec codec, int channels,
                                                           G722Pcm g722_pcm) {
  switch (codec) {
    case rtp::Codec::kOpus:
      return CreateOpusDecoder(channels);
    case rtp::Codec::kPcmu:
    case rtp::Codec::kPcma:
    case rtp::Codec::kG722:
      if (channels != 1) {
        return InvalidArgumentError(std::string(rtp::CodecName(codec)) + ": " +
                                    std::to_string(channels) + " channels");
      }
      return CreateLibavAudioDecoder(codec, g722_pcm);
    default:
      return InvalidArgumentError(std::string("not an audio codec: ") + rtp::CodecName(codec));
  }
}

StatusOr<std::unique_ptr<AudioEncoder>> CreateAudioEncoder(rtp::Codec codec,
                                                           const AudioEncoderConfig& config) {
  switch (codec) {
    case rtp::Codec::kOpus:
      return CreateOpusEncoder(config);
    case rtp::Codec::kPcmu:
    case rtp::Codec::kPcma:
    case rtp::Codec::kG722:
      if (config.channels != 1) {
        return InvalidArgumentError(std::string(rtp::CodecName(codec)) + ": " +
                                    std::to_string(config.channels) + " channels");
      }
      return CreateLibavAudioEncoder(codec, config.g722_pcm);
    default:
      return InvalidArgumentError(std::string("not an audio codec: ") + rtp::CodecName(codec));
  }
}

}  // namespace tessera::codec
