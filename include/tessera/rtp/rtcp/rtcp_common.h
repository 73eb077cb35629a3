// The RTCP common header (RFC 3550 6.4) and helpers shared by every RTCP message type.
//
// Every message type in this folder follows one shape: a plain struct with
//   static std::optional<T> Parse(std::span<const uint8_t> packet);
//   void Serialize(std::vector<uint8_t>& out) const;
// Parse takes exactly one RTCP packet, common header included (as split out of a compound by
// ParseRtcpPacket); it returns nullopt for a wrong packet type/FMT, a body too short for what it
// announces, or bad padding, and never reads out of bounds. Serialize appends one complete packet
// (header, body, length patched) to out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

inline constexpr size_t kRtcpHeaderSize = 4;
// The 5-bit count / FMT field.
inline constexpr uint8_t kRtcpMaxCount = 31;

// RTCP packet types (RFC 3550 12.1, RFC 4585 6.1, RFC 3611).
enum class RtcpPacketType : uint8_t {
  kSenderReport = 200,
  kReceiverReport = 201,
  kSdes = 202,
  kBye = 203,
  kApp = 204,
  kRtpFeedback = 205,
  kPayloadFeedback = 206,
  kExtendedReport = 207,
};

// FMT values of transport-layer feedback (PT 205).
inline constexpr uint8_t kRtpfbNack = 1;   // RFC 4585 6.2.1
inline constexpr uint8_t kRtpfbTmmbr = 3;  // RFC 5104 4.2.1
inline constexpr uint8_t kRtpfbTmmbn = 4;  // RFC 5104 4.2.2
// FMT values of payload-specific feedback (PT 206).
inline constexpr uint8_t kPsfbPli = 1;   // RFC 4585 6.3.1
inline constexpr uint8_t kPsfbFir = 4;   // RFC 5104 4.3.1
inline constexpr uint8_t kPsfbAfb = 15;  // RFC 4585 6.4, carries REMB

struct RtcpCommonHeader {
  uint8_t version = 2;
  bool padding = false;
  uint8_t count = 0;        // RC, SC or FMT (5 bits)
  uint8_t packet_type = 0;  // PT
  uint16_t length = 0;      // packet length in 32-bit words minus one
};

// One RTCP packet located at the start of a buffer.
struct RtcpPacketView {
  RtcpCommonHeader header;
  std::span<const uint8_t> body;  // after the 4-byte header, padding removed
  size_t size = 0;                // bytes on the wire: 4 * (length + 1), padding included
};

// Parses the packet at the start of data (later bytes are ignored). nullopt when the version is
// not 2, the length runs past data, or the padding count is 0 or larger than the body.
std::optional<RtcpPacketView> ParseRtcpPacket(std::span<const uint8_t> data);

// Parses a single packet that must be exactly data.size() bytes long and of the given type;
// message Parse functions use it. nullopt on any mismatch.
std::optional<RtcpPacketView> ParseRtcpPacketOfType(std::span<const uint8_t> data,
                                                    RtcpPacketType type);

// Appends a common header with a placeholder length; returns the packet's start offset for
// FinishRtcpPacket. count is masked to 5 bits.
size_t BeginRtcpPacket(std::vector<uint8_t>& out, uint8_t count, RtcpPacketType type);
size_t BeginRtcpPacket(std::vector<uint8_t>& out, uint8_t count, uint8_t packet_type);
// Pads the packet that starts at start to a 32-bit boundary (with RTCP padding, P bit set, when
// the body is not already aligned) and writes its length field. A packet too long for the 16-bit
// length field (over 262144 bytes) is removed from out again and false is returned.
bool FinishRtcpPacket(std::vector<uint8_t>& out, size_t start);
inline constexpr size_t kRtcpMaxPacketSize = 4 * (size_t{0xFFFF} + 1);

}  // namespace tessera::rtp
