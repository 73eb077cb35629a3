// RTX (RFC 4588): a retransmission sent on a stream of its own (its SSRC, payload type and
// sequence numbers), the original sequence number (OSN) in front of the original payload. Browsers
// negotiate it (a=rtpmap:<pt> rtx/90000, apt=<payload type>, a=ssrc-group:FID): their own
// retransmissions come that way, and they ask for Tessera's to come that way too.
#pragma once

#include <tessera/rtp/rtp_packet.h>

#include <cstdint>
#include <optional>

namespace tessera::rtp {

// The RTX packet for `original`: payload type rtx_pt, SSRC rtx_ssrc, sequence number rtx_seq,
// the original's timestamp, marker and CSRCs; its payload the OSN then the original payload.
// Header extensions are not carried (a receiver demultiplexes RTX by its signalled SSRC).
RtpPacket WrapRtx(const RtpPacket& original, uint8_t rtx_pt, uint32_t rtx_ssrc, uint16_t rtx_seq);

// The packet an RTX packet carries: payload type apt, SSRC media_ssrc, the OSN as its sequence
// number, the RTX packet's timestamp, marker and CSRCs. nullopt for a payload shorter than the
// OSN: the padding-only packets browsers send on RTX to probe bandwidth carry nothing to deliver.
std::optional<RtpPacket> UnwrapRtx(const RtpPacket& rtx, uint8_t apt, uint32_t media_ssrc);

}  // namespace tessera::rtp
