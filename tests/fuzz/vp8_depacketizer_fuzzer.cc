// Parses arbitrary bytes as a VP8 RTP payload, and checks that packetizing arbitrary bytes as a
// VP8 frame round-trips through the depacketizer within the payload budget.
#include <tessera/rtp/depacketizer.h>
#include <tessera/rtp/packetizer.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "rtp/vp8_depacketizer.h"

namespace {

using namespace tessera::rtp;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  auto out = CreateDepacketizer(Codec::kVp8)->Parse(input);
  auto descriptor = ParseVp8Descriptor(input);
  if (out.has_value() && !descriptor.has_value()) __builtin_trap();
  if (out && out->data.size() + descriptor->size != size) __builtin_trap();
  if (out && !out->frame_start && (out->keyframe || out->width || out->height)) __builtin_trap();

  if (size > 0) {
    PacketizerConfig config;
    config.mtu = kRtpOverhead + 1 + data[0] * 4u;
    const auto frame = input.subspan(1);
    const auto payloads = CreatePacketizer(Codec::kVp8, config)->Packetize(frame, false);
    auto depacketizer = CreateDepacketizer(Codec::kVp8);
    std::vector<uint8_t> joined;
    for (size_t i = 0; i < payloads.size(); ++i) {
      if (payloads[i].size() > config.mtu - kRtpOverhead) __builtin_trap();
      auto part = depacketizer->Parse(payloads[i]);
      if (!part || part->frame_start != (i == 0)) __builtin_trap();
      joined.insert(joined.end(), part->data.begin(), part->data.end());
    }
    if (!payloads.empty() &&
        !std::equal(joined.begin(), joined.end(), frame.begin(), frame.end())) {
      __builtin_trap();
    }
  }
  return 0;
}
