// The SDP answer Tessera gives a browser's offer: WHIP (RFC 9725, the browser publishes its camera
// and microphone) and WHEP (the browser views the room's composite and hears its mix). Pure
// control-plane functions: the offer is parsed with sip::ParseSdp (BrowserSdpLimits) and the answer
// written with sip::WriteSdp; nothing here does I/O. The only side effect is the random o= session
// id when AnswerParams::session_id is empty.
//
// What an offer must have (else AnswerOffer fails, and nothing is answered):
//  - a=group:BUNDLE at session level: Tessera serves one ICE/DTLS transport per browser. Only m=
//    lines whose a=mid is in the first BUNDLE group can be accepted. (FAILED_PRECONDITION)
//  - on the bundled audio and video m= lines: proto UDP/TLS/RTP/SAVPF (INVALID_ARGUMENT),
//    a=rtcp-mux (FAILED_PRECONDITION) and a codec in common (FAILED_PRECONDITION, the message
//    made of DescribeOfferCodecs and what Tessera serves). The first such failure of a kind fails
//    the offer unless another m= line of that kind is accepted.
//  - a=ice-ufrag and a=ice-pwd (RFC 8839 lengths and characters), a=fingerprint with a hash Tessera
//    can check (sha-1/224/256/384/512; every such line is kept), a=setup of actpass, active (both
//    answered passive: the browser is the DTLS client) or passive (answered active), each at
//    session level or on the accepted m= lines. (INVALID_ARGUMENT)
//  Mistakes in AnswerParams are ours: INTERNAL.
//
// What is answered:
//  - One audio and one video m= line: the first of each kind that is bundled, not disabled (port 0
//    without a=bundle-only), sends what we take (publish: sendonly or sendrecv, answered recvonly;
//    view: recvonly or sendrecv, answered sendonly). Any other m= line (application/datachannel,
//    a second video, a wrong direction) is rejected with port 0 and left out of the BUNDLE group,
//    which is not an error; AnswerOffer fails only when nothing is accepted.
//  - One codec per m= line with the offer's payload type, plus its RTX format (apt=) when offered.
//    Publish takes video in the order of AnswerParams::video_codecs (H.264 first by default: any
//    constrained baseline, baseline, main, high or constrained high format, packetization-mode 1
//    before 0, else in the offer's order); view sends exactly the room's codec(s), and for H.264
//    needs a constrained baseline or baseline decoder of at least h264_send_level_idc.
//    H.264 is answered with the offer's profile (RFC 6184 section 8.2.2 keeps it), our level and
//    level-asymmetry-allowed=1; VP9 and AV1 only in profile 0. Opus is answered
//    "minptime=10;useinbandfec=1" (and usedtx=1 where the offer has it).
//  - rtcp-fb: what the offer has for the chosen payload type (or "*") of nack, nack pli, ccm fir,
//    transport-cc and goog-remb, less what AnswerParams::feedback turns off. a=extmap with the
//    offer's ids (1-14: one-byte headers) for mid, ssrc-audio-level (audio), transport-wide-cc
//    (only with transport-cc feedback), abs-send-time, rtp-stream-id and repaired-rtp-stream-id
//    (video). a=rtcp-rsize when offered.
//  - Publish video with a=rid ... send and a=simulcast:send (RFC 8851, 8853): answered with
//    a=rid:<id> recv and a=simulcast:recv with the same streams, when rtp-stream-id is kept.
//  - Session level: o= with a random session id, c= with the first candidate's address (else
//    0.0.0.0), a=ice-lite and a=group:BUNDLE with the accepted mids (in the offer's group order).
//    Each accepted m= line: the first UDP candidate's port (else 9), a=mid, a=ice-ufrag,
//    a=ice-pwd, a=fingerprint, a=setup, a=rtcp-mux, the candidates (host, component 1, TCP ones
//    "tcptype passive") and a=end-of-candidates; for view a=msid and our SSRCs (a=ssrc
//    cname/msid, and a=ssrc-group:FID with the RTX SSRC when RTX is negotiated). Rejected m=
//    lines keep their a=mid. No a=extmap-allow-mixed, no a=ice-options (we are lite).
#pragma once

#include <tessera/base/status.h>
#include <tessera/rtp/codec.h>
#include <tessera/sip/limits.h>
#include <tessera/sip/sdp.h>
#include <tessera/webrtc/dtls_result.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::webrtc {

// WHIP: the browser publishes, Tessera receives. WHEP: the browser views, Tessera sends.
enum class BrowserSessionKind : uint8_t { kPublish, kView };

// RTP header extensions Tessera keeps (RFC 8285 URIs).
inline constexpr std::string_view kMidExtensionUri = "urn:ietf:params:rtp-hdrext:sdes:mid";
inline constexpr std::string_view kAudioLevelExtensionUri =
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
inline constexpr std::string_view kTransportCcExtensionUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
inline constexpr std::string_view kAbsSendTimeExtensionUri =
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
inline constexpr std::string_view kRtpStreamIdExtensionUri =
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
inline constexpr std::string_view kRepairedRtpStreamIdExtensionUri =
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";

// One of our ICE candidates (host only: Tessera is ICE-lite).
struct IceCandidate {
  enum class Transport : uint8_t { kUdp, kTcp };
  Transport transport = Transport::kUdp;
  std::string address;  // IPv4 or IPv6 literal.
  uint16_t port = 0;
  // 0: computed (RFC 8445 5.1.2.1 host type preference 126, UDP candidates before TCP ones, then
  // in list order).
  uint32_t priority = 0;
};

// RTCP feedback (RFC 4585, 5104, draft-holmer-rmcat-transport-wide-cc,
// draft-alvestrand-rmcat-remb).
struct RtcpFeedbackSet {
  bool nack = false;          // "nack"
  bool pli = false;           // "nack pli"
  bool fir = false;           // "ccm fir"
  bool transport_cc = false;  // "transport-cc"
  bool remb = false;          // "goog-remb"
  bool operator==(const RtcpFeedbackSet&) const = default;
};

// The ids the answer kept for each header extension; 0: not negotiated.
struct HeaderExtensionIds {
  uint8_t mid = 0;
  uint8_t audio_level = 0;
  uint8_t transport_cc = 0;
  uint8_t abs_send_time = 0;
  uint8_t rtp_stream_id = 0;
  uint8_t repaired_rtp_stream_id = 0;
  bool operator==(const HeaderExtensionIds&) const = default;
};

// a=fingerprint (RFC 8122): "sha-256" and "AB:CD:...".
struct DtlsFingerprint {
  std::string algorithm;  // Lowercase.
  std::string value;      // Uppercase hex pairs joined by ':'.
  bool operator==(const DtlsFingerprint&) const = default;
};

// a=ssrc-group:FID <media> <rtx> (RFC 4588).
struct SsrcPair {
  uint32_t media = 0;
  uint32_t rtx = 0;
  bool operator==(const SsrcPair&) const = default;
};

// a=rid:<id> send [<restrictions>] (RFC 8851).
struct RidDescription {
  std::string id;            // 1-16 letters, digits, '-' or '_' (fits a one-byte header).
  std::string restrictions;  // Verbatim ("pt=96;max-width=1280"), empty when none.
  bool operator==(const RidDescription&) const = default;
};

// One rid of an a=simulcast stream; "~h" is paused.
struct SimulcastRid {
  std::string rid;
  bool paused = false;
  bool operator==(const SimulcastRid&) const = default;
};

// a=simulcast (RFC 8853): one entry per simulcast stream, lowest first as the browser lists them
// (Chrome: "q;h;f"), each a list of alternative rids ("a,b;c" is two streams).
struct SimulcastDescription {
  std::vector<std::vector<SimulcastRid>> streams;
  bool operator==(const SimulcastDescription&) const = default;
};

// What the media path needs of one accepted m= line.
struct NegotiatedBrowserMedia {
  size_t index = 0;  // The m= line, in offer and answer.
  std::string mid;
  rtp::MediaKind kind = rtp::MediaKind::kAudio;
  sip::SdpDirection direction = sip::SdpDirection::kRecvOnly;  // Ours.
  rtp::Codec codec = rtp::Codec::kOpus;
  uint8_t payload_type = 0;  // The offer's number, used both ways.
  uint32_t clock_rate = 0;
  uint32_t channels = 1;    // 2 for Opus.
  std::string offer_fmtp;   // The offer's a=fmtp for payload_type, verbatim; empty when none.
  std::string answer_fmtp;  // Ours.
  uint8_t h264_packetization_mode = 0;  // H.264 only.
  std::optional<uint8_t> rtx_payload_type;
  std::optional<uint32_t> rtx_time_ms;  // The offer's rtx-time, kept in the answer.
  // Opus: the offer's fmtp. useinbandfec/stereo: what the browser wants to receive.
  bool opus_useinbandfec = false;
  bool opus_usedtx = false;
  bool opus_stereo = false;
  RtcpFeedbackSet feedback;
  HeaderExtensionIds extensions;
  bool rtcp_rsize = false;
  // The browser's streams: a=ssrc (distinct, in order), FID pairs and the first cname. Browsers
  // leave them out for rid simulcast (and may for any stream): demultiplex by mid and rid then.
  std::vector<uint32_t> remote_ssrcs;
  std::vector<SsrcPair> remote_rtx_ssrcs;
  std::string remote_cname;
  // Publish video: the offer's a=rid ... send lines, and the simulcast streams answered (unset: no
  // simulcast).
  std::vector<RidDescription> rids;
  std::optional<SimulcastDescription> simulcast;
  // View: the SSRCs we announced (from AnswerParams; rtx 0 when no RTX was negotiated).
  uint32_t local_ssrc = 0;
  uint32_t local_rtx_ssrc = 0;
};

struct BrowserAnswer {
  std::string sdp;  // WriteSdp(description): the body of the 201.
  sip::SessionDescription description;
  std::optional<NegotiatedBrowserMedia> audio;
  std::optional<NegotiatedBrowserMedia> video;
  std::vector<std::string> bundle_mids;  // As answered; the first carries the transport.
  std::string remote_ice_ufrag;
  std::string remote_ice_pwd;
  std::vector<DtlsFingerprint> remote_fingerprints;  // Session and media level, distinct.
  DtlsRole dtls_role = DtlsRole::kServer;
  // Why each rejected m= line was: "m=2 application: not audio or video" (for logs).
  std::vector<std::string> rejected;
};

// View: the streams we send, announced with a=ssrc and a=msid.
struct ViewStreams {
  uint32_t audio_ssrc = 0;      // 0: no a=ssrc line.
  uint32_t video_ssrc = 0;      // 0: no a=ssrc line.
  uint32_t video_rtx_ssrc = 0;  // 0: RTX is not negotiated for view.
  std::string cname = "tessera";
  std::string stream_id = "tessera";  // a=msid:<stream_id> <track id>
  std::string audio_track_id = "audio";
  std::string video_track_id = "video";
};

struct AnswerParams {
  BrowserSessionKind kind = BrowserSessionKind::kPublish;
  // Our ICE credentials (RFC 8839: ufrag 4-256, pwd 22-256 characters of ALPHA DIGIT + /).
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;  // Our certificate's: "sha-256 AB:CD:...".
  std::vector<IceCandidate> candidates;
  ViewStreams view;  // View only.
  // Codecs in our preference order. Publish: the decoders Tessera has. View: what the room sends
  // (its output profiles' video codecs; Opus). Empty: m= lines of that kind are rejected.
  std::vector<rtp::Codec> audio_codecs = {rtp::Codec::kOpus};
  std::vector<rtp::Codec> video_codecs = {rtp::Codec::kH264, rtp::Codec::kVp8, rtp::Codec::kVp9,
                                          rtp::Codec::kAv1};
  // View: the H.264 level_idc (31: level 3.1) the room's stream needs; the offer's decoder must
  // be at least this. Chrome and Firefox offer 3.1 for every H.264 format whatever they decode,
  // so a room sending 1080p (level 4) should pass 31 or lose them. Answered as our level.
  uint8_t h264_send_level_idc = 31;
  // Publish: the H.264 level we answer for receiving (42: 4.2, 1080p at 60 fps), lowered to the
  // offer's where the offer does not allow level asymmetry.
  uint8_t h264_receive_level_idc = 42;
  // View: the room's H.264 is single NAL unit packets only (a single_nal profile), which
  // packetization-mode 0 also takes. Publish always takes both modes.
  bool h264_single_nal = false;
  bool rtx = true;  // Negotiate RTX when offered (view: also needs view.video_rtx_ssrc).
  RtcpFeedbackSet feedback = {
      .nack = true, .pli = true, .fir = true, .transport_cc = true, .remb = true};
  std::string session_id;  // o= session id (digits); empty: a random one.
};

// ParseLimits for browser offers: a current Chrome offers more than 32 video payload types.
const sip::ParseLimits& BrowserSdpLimits();

// sip::ParseSdp with BrowserSdpLimits.
StatusOr<sip::SessionDescription> ParseBrowserOffer(std::string_view text);

// The answer to `offer`; see the top of this file for what is refused and what is answered.
StatusOr<BrowserAnswer> AnswerOffer(const sip::SessionDescription& offer,
                                    const AnswerParams& params);

// The codecs of an m= line for an error message, without rtx, red, ulpfec, flexfec, CN and
// telephone-event: "VP8, VP9 (profile 0, 2), H264 (profile 42001f mode 1, 42e01f mode 0), AV1".
// "no codec" when none is left.
std::string DescribeOfferCodecs(const sip::MediaDescription& m);

}  // namespace tessera::webrtc
