// SDP (RFC 4566) as SIP endpoints send it in offers and answers (RFC 3264): the session
// description, its media sections and the attributes Tessera negotiates, with everything else kept
// verbatim so it can be ignored safely. Control plane: ParseSdp returns a Status with a short
// reason (the text of a 400 response) and never throws; WriteSdp produces canonical SDP with CRLF
// line endings.
//
// What the parser accepts (RFC 4566 section 5 with the tolerance real phones need):
//  - v=0 must come first and o= must be present (every device sends it, and re-offers are told
//    apart by its version). s= and t= may be missing (some PBXs omit them); they default to "-"
//    and "0 0". An empty "s=" is accepted.
//  - Lines end in CRLF or LF; trailing spaces and tabs are trimmed; blank lines are skipped.
//  - A type letter other than v o s i u e p c b t r z k a m is an error (RFC 4566 says a parser
//    must not use such a description). i u e p r z k lines are accepted and dropped.
//  - Known attributes with malformed values (rtpmap, fmtp, rtcp-fb, rtcp, ptime, maxptime, extmap)
//    are errors; unknown attributes are kept verbatim. a=crypto values are kept verbatim and parsed
//    by the negotiator with srtp::ParseSdesCrypto, so an unknown suite only makes that line
//    unacceptable.
//  - For RTP protos (RTP/..., UDP/TLS/RTP/...) every format must be a payload type 0..127.
//  - ParseLimits bound lines, m= sections, formats per m= line, line length and total size.
#pragma once

#include <tessera/base/status.h>
#include <tessera/sip/limits.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::sip {

enum class SdpDirection : uint8_t { kSendRecv, kSendOnly, kRecvOnly, kInactive };

// "sendrecv", "sendonly", "recvonly", "inactive".
std::string_view SdpDirectionName(SdpDirection direction);
// The direction the other side of the stream sees: sendonly <-> recvonly, the others unchanged.
SdpDirection ReverseDirection(SdpDirection direction);

// c= and the address part of o= and a=rtcp: "IN IP4 192.0.2.1". The address is kept verbatim
// (a multicast "/ttl" suffix included).
struct SdpConnection {
  std::string nettype = "IN";
  std::string addrtype = "IP4";
  std::string address;
  // "0.0.0.0" (RFC 2543 hold) or "::".
  bool IsUnspecified() const;
  bool operator==(const SdpConnection&) const = default;
};

struct SdpOrigin {
  std::string username = "-";
  std::string session_id = "0";  // Digits, kept as text: some devices send more than 64 bits.
  uint64_t session_version = 0;
  SdpConnection connection;
  bool operator==(const SdpOrigin&) const = default;
};

// b=<type>:<value>. AS and CT in kbit/s, TIAS in bit/s (RFC 3890); other types kept.
struct SdpBandwidth {
  std::string type;
  uint64_t value = 0;
  bool operator==(const SdpBandwidth&) const = default;
};

// An attribute without special handling: "a=name" or "a=name:value", kept verbatim.
struct SdpAttribute {
  std::string name;
  std::optional<std::string> value;
  bool operator==(const SdpAttribute&) const = default;
};

// a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>].
struct SdpRtpMap {
  uint8_t payload_type = 0;
  std::string encoding;  // As sent ("opus", "H264", "telephone-event"); compare case-insensitively.
  uint32_t clock_rate = 0;
  uint32_t channels = 0;  // 0 when not given.
  bool operator==(const SdpRtpMap&) const = default;
};

// a=fmtp:<pt> <parameters>, the parameters verbatim.
struct SdpFmtp {
  uint8_t payload_type = 0;
  std::string parameters;
  bool operator==(const SdpFmtp&) const = default;
};

// a=rtcp-fb:<pt or *> <type> [<parameter>] (RFC 4585, 5104): "nack", "nack pli", "ccm fir",
// "goog-remb", "ccm tmmbr".
struct SdpRtcpFb {
  static constexpr int kAnyPayloadType = -1;  // "*"
  int payload_type = kAnyPayloadType;
  std::string type;
  std::string parameter;  // Empty when absent; further tokens are kept here, space-separated.
  bool operator==(const SdpRtcpFb&) const = default;
};

// a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605).
struct SdpRtcp {
  uint16_t port = 0;
  std::optional<SdpConnection> connection;
  bool operator==(const SdpRtcp&) const = default;
};

// a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285).
struct SdpExtmap {
  uint16_t id = 0;
  std::optional<SdpDirection> direction;
  std::string uri;
  std::string attributes;
  bool operator==(const SdpExtmap&) const = default;
};

struct MediaDescription {
  std::string media;  // "audio", "video", or anything else verbatim ("application", "image").
  uint16_t port = 0;  // 0: the stream is rejected (or disabled).
  uint16_t port_count = 1;
  std::string proto;                 // "RTP/AVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVPF", "udp", ...
  std::vector<std::string> formats;  // Payload type numbers for RTP protos, verbatim otherwise.
  std::optional<SdpConnection> connection;
  std::vector<SdpBandwidth> bandwidths;
  std::vector<SdpRtpMap> rtpmaps;
  std::vector<SdpFmtp> fmtps;
  std::vector<SdpRtcpFb> rtcp_fbs;
  std::optional<SdpRtcp> rtcp;
  bool rtcp_mux = false;
  std::vector<std::string> crypto;  // a=crypto values (RFC 4568), verbatim.
  std::optional<SdpDirection> direction;
  std::optional<uint32_t> ptime_ms;
  std::optional<uint32_t> maxptime_ms;
  std::vector<SdpExtmap> extmaps;
  std::vector<SdpAttribute> attributes;  // Everything else, in order.

  bool operator==(const MediaDescription&) const = default;

  // The proto carries RTP: it starts with "RTP/" or contains "/RTP/".
  bool IsRtp() const;
  const SdpRtpMap* FindRtpMap(uint8_t payload_type) const;
  const SdpFmtp* FindFmtp(uint8_t payload_type) const;
};

struct SessionDescription {
  SdpOrigin origin;
  std::string session_name = "-";
  std::optional<SdpConnection> connection;
  std::vector<SdpBandwidth> bandwidths;
  std::string timing = "0 0";  // The first t= value; further t=, r= and z= lines are dropped.
  std::optional<SdpDirection> direction;
  std::vector<SdpAttribute> attributes;  // Other session attributes (group, ice-*, ...).
  std::vector<MediaDescription> media;

  bool operator==(const SessionDescription&) const = default;

  // The media section's direction, else the session's, else sendrecv (RFC 3264 section 5.1).
  SdpDirection DirectionOf(const MediaDescription& m) const;
  // The media section's c=, else the session's; null when neither is present.
  const SdpConnection* ConnectionOf(const MediaDescription& m) const;
};

// Parses an SDP body. Fails with INVALID_ARGUMENT and a short reason ("line 4: bad m= line") for
// malformed input, RESOURCE_EXHAUSTED past `limits`.
StatusOr<SessionDescription> ParseSdp(std::string_view text,
                                      const ParseLimits& limits = DefaultParseLimits());

// Canonical SDP with CRLF line endings: v o s c b t a at session level, then per m= section
// m c b and the attributes (rtpmap, fmtp, rtcp-fb, rtcp, rtcp-mux, crypto, ptime, maxptime,
// extmap, direction, the others), each group in the order of its vector, so that
// ParseSdp(WriteSdp(x)) == x for every x that ParseSdp produced.
std::string WriteSdp(const SessionDescription& sdp);

}  // namespace tessera::sip
