// RTX unwrapping (RFC 4588) of any RTP packet a browser could send on its RTX payload type, and
// wrapping back. Checks: what unwraps parses, carries the payload type and SSRC asked for, the
// OSN as its sequence number and the RTX payload less two bytes; wrapping it again gives the
// same payload as the RTX packet's.
#include <tessera/rtp/rtx.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>

using namespace tessera::rtp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto rtx = RtpPacket::Parse(std::span<const uint8_t>(data, size));
  if (!rtx) return 0;
  auto original = UnwrapRtx(*rtx, 96, 0x11111111);
  if (!original) {
    if (rtx->payload().size() >= 2) std::abort();
    return 0;
  }
  auto reparsed = RtpPacket::Parse(original->data());
  if (!reparsed || reparsed->payload_type() != 96 || reparsed->ssrc() != 0x11111111u) std::abort();
  const auto p = rtx->payload();
  if (reparsed->sequence_number() != static_cast<uint16_t>((p[0] << 8) | p[1])) std::abort();
  if (reparsed->payload().size() != p.size() - 2 ||
      !std::equal(p.begin() + 2, p.end(), reparsed->payload().begin())) {
    std::abort();
  }
  const RtpPacket again = WrapRtx(*reparsed, rtx->payload_type(), rtx->ssrc(), 1);
  if (!std::equal(again.payload().begin(), again.payload().end(), p.begin(), p.end())) std::abort();
  return 0;
}
