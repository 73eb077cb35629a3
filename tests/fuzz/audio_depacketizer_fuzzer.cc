// Parses arbitrary bytes as Opus, G.711 and G.722 RTP payloads and packetizes them as frames.
#include <tessera/rtp/depacketizer.h>
#include <tessera/rtp/packetizer.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera::rtp;
  const std::span<const uint8_t> input(data, size);
  for (Codec codec : {Codec::kOpus, Codec::kPcmu, Codec::kPcma, Codec::kG722}) {
    auto out = CreateDepacketizer(codec)->Parse(input);
    if (out.has_value() != (size > 0)) __builtin_trap();
    if (out && (!std::equal(out->data.begin(), out->data.end(), input.begin(), input.end()) ||
                !out->frame_start || !out->keyframe)) {
      __builtin_trap();
    }
    const auto payloads = CreatePacketizer(codec)->Packetize(input, true);
    const bool fits = size > 0 && size <= kDefaultMtu - kRtpOverhead;
    if (payloads.size() != (fits ? 1u : 0u)) __builtin_trap();
  }
  return 0;
}
