// RAII for libopus's encoder and decoder states.
#pragma once

#include <opus.h>

#include <memory>

namespace tessera::codec {

struct OpusEncoderDeleter {
  void operator()(OpusEncoder* e) const { opus_encoder_destroy(e); }
};
using OpusEncoderPtr = std::unique_ptr<OpusEncoder, OpusEncoderDeleter>;

struct OpusDecoderDeleter {
  void operator()(OpusDecoder* d) const { opus_decoder_destroy(d); }
};
using OpusDecoderPtr = std::unique_ptr<OpusDecoder, OpusDecoderDeleter>;

}  // namespace tessera::codec
