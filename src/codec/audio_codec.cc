#include <tessera/codec/audio_codec.h>

#include <string>

#include "codec/libav_audio_codec.h"
#include "codec/opus_codec.h"

namespace tessera::codec {

StatusOr<std::unique_ptr<AudioDecoder>> CreateAudioDecoder(rtp::Codec codec, int channels) {
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
      return CreateLibavAudioDecoder(codec);
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
      return CreateLibavAudioEncoder(codec);
    default:
      return InvalidArgumentError(std::string("not an audio codec: ") + rtp::CodecName(codec));
  }
}

}  // namespace tessera::codec
