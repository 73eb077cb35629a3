// Compound RTCP packets (RFC 3550 6.1): several RTCP packets back to back in one datagram.
#pragma once

#include <tessera/rtp/rtcp/bye.h>
#include <tessera/rtp/rtcp/fir.h>
#include <tessera/rtp/rtcp/nack.h>
#include <tessera/rtp/rtcp/pli.h>
#include <tessera/rtp/rtcp/receiver_report.h>
#include <tessera/rtp/rtcp/remb.h>
#include <tessera/rtp/rtcp/sdes.h>
#include <tessera/rtp/rtcp/sender_report.h>
#include <tessera/rtp/rtcp/tmmbn.h>
#include <tessera/rtp/rtcp/tmmbr.h>
#include <tessera/rtp/rtcp/transport_feedback.h>

#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

namespace tessera::rtp {

// A packet this parser does not decode (APP, XR, other feedback types, application-layer
// feedback other than REMB), or a packet of a known type whose body is malformed. Receivers skip
// it; body keeps the bytes between header and padding so it can be forwarded unchanged.
struct RtcpUnknown {
  uint8_t pt = 0;
  uint8_t fmt = 0;  // the 5-bit count/FMT field
  std::vector<uint8_t> body;

  void Serialize(std::vector<uint8_t>& out) const;
  bool operator==(const RtcpUnknown&) const = default;
};

using RtcpMessage = std::variant<SenderReport, ReceiverReport, Sdes, Bye, Nack, Pli, Fir, Remb,
                                 Tmmbr, Tmmbn, TransportFeedback, RtcpUnknown>;

// Splits a compound packet and decodes each part, in order. nullopt for an empty input, a header
// with version other than 2, a length running past the end, bad padding, or trailing bytes that
// do not form a packet. Individual packets that are unknown or malformed come back as RtcpUnknown.
// Reduced-size RTCP (RFC 5506) is accepted: the first packet need not be SR or RR.
std::optional<std::vector<RtcpMessage>> ParseRtcpCompound(std::span<const uint8_t> data);

// Serializes messages back to back. Messages that produce no packet (a NACK without sequence
// numbers, a FIR or TMMBR without entries, a transport feedback that fails CanSerialize) are left
// out.
std::vector<uint8_t> SerializeRtcpCompound(std::span<const RtcpMessage> messages);
// Appends one message to out.
void SerializeRtcpMessage(const RtcpMessage& message, std::vector<uint8_t>& out);

}  // namespace tessera::rtp
