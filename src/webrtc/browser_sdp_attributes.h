// The attributes of a browser offer that the answer reads besides codecs: ICE credentials, DTLS
// fingerprints, the browser's SSRCs, rid and simulcast, header extensions and RTCP feedback.
// Malformed lines are skipped (the offer is refused only where a required one is missing).
#pragma once

#include <tessera/rtp/codec.h>
#include <tessera/sip/sdp.h>
#include <tessera/webrtc/browser_sdp.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::webrtc::browser_sdp {

// The value of the first a=<name>:<value>; null when there is none.
const std::string* FindAttribute(const std::vector<sip::SdpAttribute>& attributes,
                                 std::string_view name);
// Whether a=<name> is present, with or without a value.
bool HasAttribute(const std::vector<sip::SdpAttribute>& attributes, std::string_view name);

// RFC 8839 ice-char (ALPHA DIGIT "+" "/"), `min_size` to 256 of them.
bool IsIceCredential(std::string_view s, size_t min_size);

// "sha-256 AB:CD:..." with a hash Tessera knows and as many bytes as it makes; nullopt otherwise.
std::optional<DtlsFingerprint> ParseFingerprint(std::string_view value);

struct RemoteSsrcs {
  std::vector<uint32_t> ssrcs;
  std::vector<SsrcPair> fid;
  std::string cname;
};
// a=ssrc and a=ssrc-group:FID of an m= line.
RemoteSsrcs ParseSsrcs(const sip::MediaDescription& m);

// The a=rid:<id> send lines with a valid, distinct id.
std::vector<RidDescription> ParseSendRids(const sip::MediaDescription& m);
// The send streams of a=simulcast that name rids of `rids`; nullopt when none is left.
std::optional<SimulcastDescription> ParseSimulcastSend(const sip::MediaDescription& m,
                                                       const std::vector<RidDescription>& rids);
// "q;~h;f" (RFC 8853 sc-str-list).
std::string SimulcastText(const SimulcastDescription& simulcast);

// Copies the offer's a=extmap lines that Tessera keeps for `kind` into `answer` (same ids, the
// direction reversed) and returns their ids. transport-wide-cc only when `transport_cc`.
HeaderExtensionIds SelectExtensions(const sip::MediaDescription& offer, rtp::MediaKind kind,
                                    bool transport_cc, sip::MediaDescription& answer);

// The offer's rtcp-fb for `payload_type` (or "*") that Tessera knows.
RtcpFeedbackSet FeedbackOf(const sip::MediaDescription& m, uint8_t payload_type);
RtcpFeedbackSet Intersect(const RtcpFeedbackSet& a, const RtcpFeedbackSet& b);
// Appends a=rtcp-fb lines for `payload_type`.
void AddFeedback(const RtcpFeedbackSet& feedback, uint8_t payload_type,
                 sip::MediaDescription& answer);

}  // namespace tessera::webrtc::browser_sdp
