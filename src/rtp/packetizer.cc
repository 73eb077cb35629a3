#include <tessera/rtp/packetizer.h>

#include "rtp/audio_packetizer.h"
#include "rtp/av1_packetizer.h"
#include "rtp/h264_packetizer.h"
#include "rtp/vp8_packetizer.h"
#include "rtp/vp9_packetizer.h"

namespace tessera::rtp {

std::unique_ptr<Packetizer> CreatePacketizer(Codec codec, const PacketizerConfig& config) {
  switch (codec) {
    case Codec::kH264:
      return std::make_unique<H264Packetizer>(config);
    case Codec::kVp8:
      return std::make_unique<Vp8Packetizer>(config);
    case Codec::kVp9:
      return std::make_unique<Vp9Packetizer>(config);
    case Codec::kAv1:
      return std::make_unique<Av1Packetizer>(config);
    case Codec::kOpus:
    case Codec::kPcmu:
    case Codec::kPcma:
    case Codec::kG722:
      return std::make_unique<AudioPacketizer>(config);
  }
  return nullptr;
}

}  // namespace tessera::rtp
