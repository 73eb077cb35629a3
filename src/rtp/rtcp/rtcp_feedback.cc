#include "rtp/rtcp/rtcp_feedback.h"

#include <tessera/base/byte_io.h>

namespace tessera::rtp {

std::optional<FeedbackView> ParseFeedback(std::span<const uint8_t> packet, RtcpPacketType type,
                                          uint8_t fmt) {
  auto view = ParseRtcpPacketOfType(packet, type);
  if (!view || view->header.count != fmt || view->body.size() < kFeedbackCommonSize) {
    return std::nullopt;
  }
  FeedbackView fb;
  fb.sender_ssrc = ReadBe32(&view->body[0]);
  fb.media_ssrc = ReadBe32(&view->body[4]);
  fb.fci = view->body.subspan(kFeedbackCommonSize);
  return fb;
}

size_t BeginFeedback(std::vector<uint8_t>& out, RtcpPacketType type, uint8_t fmt,
                     uint32_t sender_ssrc, uint32_t media_ssrc) {
  const size_t start = BeginRtcpPacket(out, fmt, type);
  ByteWriter w(out);
  w.U32(sender_ssrc);
  w.U32(media_ssrc);
  return start;
}

ExpMantissa EncodeExpMantissa(uint64_t value, int mantissa_bits) {
  const uint64_t max_mantissa = (uint64_t{1} << mantissa_bits) - 1;
  ExpMantissa em;
  while ((value >> em.exp) > max_mantissa) ++em.exp;
  em.mantissa = static_cast<uint32_t>(value >> em.exp);
  return em;
}

std::optional<uint64_t> DecodeExpMantissa(uint8_t exp, uint32_t mantissa) {
  if (exp >= 64) return std::nullopt;
  const uint64_t value = uint64_t{mantissa} << exp;
  if ((value >> exp) != mantissa) return std::nullopt;
  return value;
}

}  // namespace tessera::rtp
