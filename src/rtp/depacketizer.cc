#include <tessera/rtp/depacketizer.h>

#include "rtp/audio_depacketizer.h"
#include "rtp/av1_depacketizer.h"
#include "rtp/h264_depacketizer.h"
#include "rtp/vp8_depacketizer.h"
#include "rtp/vp9_depacketizer.h"

namespace tessera::rtp {

std::unique_ptr<Depacketizer> CreateDepacketizer(Codec codec) {
  switch (codec) {
    case Codec::kH264:
      return std::make_unique<H264Depacketizer>();
    case Codec::kVp8:
      return std::make_unique<Vp8Depacketizer>();
    case Codec::kVp9:
      return std::make_unique<Vp9Depacketizer>();
    case Codec::kAv1:
      return std::make_unique<Av1Depacketizer>();
    case Codec::kOpus:
    case Codec::kPcmu:
    case Codec::kPcma:
    case Codec::kG722:
      return std::make_unique<AudioDepacketizer>();
  }
  return nullptr;
}

std::vector<uint8_t> AssembleFrame(Codec codec,
                                   std::span<const DepacketizedPayload* const> packets) {
  if (codec == Codec::kVp9) return AssembleVp9Frame(packets);
  if (codec == Codec::kAv1) return AssembleAv1Frame(packets);
  std::vector<uint8_t> data;
  size_t bytes = 0;
  for (const DepacketizedPayload* p : packets) bytes += p->data.size();
  data.reserve(bytes);
  for (const DepacketizedPayload* p : packets)
    data.insert(data.end(), p->data.begin(), p->data.end());
  return data;
}

}  // namespace tessera::rtp
