#include <tessera/rtp/depacketizer.h>

#include "rtp/audio_depacketizer.h"
#include "rtp/h264_depacketizer.h"
#include "rtp/vp8_depacketizer.h"

namespace tessera::rtp {

std::unique_ptr<Depacketizer> CreateDepacketizer(Codec codec) {
  switch (codec) {
    case Codec::kH264:
      return std::make_unique<H264Depacketizer>();
    case Codec::kVp8:
      return std::make_unique<Vp8Depacketizer>();
    case Codec::kOpus:
    case Codec::kPcmu:
    case Codec::kPcma:
    case Codec::kG722:
      return std::make_unique<AudioDepacketizer>();
  }
  return nullptr;
}

}  // namespace tessera::rtp
