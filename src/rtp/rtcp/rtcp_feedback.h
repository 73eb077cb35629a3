// The common part of RTCP feedback messages (RFC 4585 6.1): header, sender SSRC, media SSRC, FCI.
#pragma once

#include <tessera/rtp/rtcp/rtcp_common.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

inline constexpr size_t kFeedbackCommonSize = 8;  // sender SSRC + media SSRC

struct FeedbackView {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  std::span<const uint8_t> fci;  // feedback control information, padding removed
};

// Parses one complete feedback packet of the given PT and FMT. nullopt on mismatch or when the
// body is shorter than the two SSRCs.
std::optional<FeedbackView> ParseFeedback(std::span<const uint8_t> packet, RtcpPacketType type,
                                          uint8_t fmt);

// Appends header and both SSRCs; finish with FinishRtcpPacket(out, returned offset).
size_t BeginFeedback(std::vector<uint8_t>& out, RtcpPacketType type, uint8_t fmt,
                     uint32_t sender_ssrc, uint32_t media_ssrc);

// Bitrates in REMB and TMMBR/TMMBN are mantissa * 2^exp with a 6-bit exponent.
struct ExpMantissa {
  uint8_t exp = 0;
  uint32_t mantissa = 0;
};
// The smallest exponent whose mantissa fits mantissa_bits; the value is rounded down.
ExpMantissa EncodeExpMantissa(uint64_t value, int mantissa_bits);
// nullopt when mantissa * 2^exp does not fit 64 bits.
std::optional<uint64_t> DecodeExpMantissa(uint8_t exp, uint32_t mantissa);

// Largest FCI (bytes) that still fits the 16-bit length field.
inline constexpr size_t kMaxFciSize = 4 * 0xFFFF - kFeedbackCommonSize;

}  // namespace tessera::rtp
