// SDP offer/answer (RFC 3264) for SIP legs, as pure functions: what a room offers (MakeOffer, for
// INVITEs without SDP and dial-out), how it answers an offer (Answer, initial and re-offers) and
// how it reads the answer to its own offer (ProcessAnswer). Control plane; nothing here does I/O or
// draws random numbers (SRTP keys come in LocalMediaCapabilities, see FillSrtpKeys).
//
// Rules (see docs/architecture.md, "SIP legs: SDP offer/answer"):
//  - The answer keeps the offer's m= lines, in order. One audio and one video stream per leg: the
//    first acceptable of each kind; later ones, other media types (application/BFCP, image/T.38,
//    text), port counts above 1, unsupported protos (UDP/TLS/RTP/SAVPF: no DTLS-SRTP, ICE or
//    BUNDLE; WebRTC endpoints come through a gateway) are rejected with port 0 and the offer's
//    format list.
//  - Codec: the first format of the offer that the room supports (the offerer's preference), with
//    the offer's payload type number; telephone-event at the chosen codec's clock rate alongside.
//    One codec per stream, so the peer never switches codec mid-call.
//  - VP9: profile-id absent or 0 (RFC 9628 section 6: the profile of both directions).
//  - H.264: packetization-mode must match (mode 0 only when the room's packetizer supports it, mode
//    2 never); profile-level-id must name a decoder that accepts the constrained baseline the room
//    sends (Baseline, Constrained Baseline, Main, High); the answer echoes the offer's profile with
//    our level (min of both unless level-asymmetry-allowed=1). The receiver's level, max-fs,
//    max-mbps and b= bound what it may be sent: see VideoLimits.
//  - SRTP (SDES only): RTP/SAVP(F) is answered with our key for the first a=crypto line that
//    srtp::ParseSdesCrypto accepts with a suite we have a key for, no MKI and no session
//    parameters, echoing its tag. kRequired rejects plain RTP offers; kOff rejects SAVP offers.
//  - RTCP feedback: the intersection of the offer's a=rtcp-fb (for the chosen payload type or "*")
//    with ours. Under RTP/AVP only when feedback_without_avpf is set (room systems offer
//    "a=rtcp-fb:* ccm fir" with RTP/AVP and honour it).
//  - Direction: the offer's direction reversed; c=0.0.0.0 (RFC 2543 hold) counts as the offerer not
//    receiving. `remote_hold` says the peer holds the call.
#pragma once

#include <tessera/base/status.h>
#include <tessera/rtp/codec.h>
#include <tessera/sip/sdp.h>
#include <tessera/srtp/srtp_suite.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessera::sip {

enum class SrtpPolicy : uint8_t {
  kOff,       // Plain RTP only; SAVP offers are rejected.
  kOptional,  // SAVP offers get SRTP, AVP offers plain RTP; our offers are plain RTP/AVP.
  kRequired,  // Plain offers are rejected; our offers are RTP/SAVP.
};

// RTCP feedback messages (RFC 4585, 5104, draft-alvestrand-rmcat-remb).
struct RtcpFeedback {
  bool nack = false;   // "nack": generic NACK
  bool pli = false;    // "nack pli"
  bool fir = false;    // "ccm fir"
  bool remb = false;   // "goog-remb"
  bool tmmbr = false;  // "ccm tmmbr"
  bool operator==(const RtcpFeedback&) const = default;
};

struct SrtpKeyMaterial {
  srtp::SrtpSuite suite = srtp::SrtpSuite::kAesCm128HmacSha1_80;
  std::vector<uint8_t> key;  // Master key || salt, srtp::KeyAndSaltLength(suite) bytes.
  bool operator==(const SrtpKeyMaterial&) const = default;
};

struct H264Capability {
  // What the room sends: constrained baseline (profile_idc 0x42, profile-iop 0xe0).
  uint8_t level_idc = 0x1f;           // The level we can receive and advertise (3.1).
  bool packetization_mode_0 = false;  // Single NAL unit mode: NALs must fit one packet.
  // Receive-side limits we advertise (fmtp max-fs in macroblocks, max-mbps in macroblocks/s);
  // 0: not advertised.
  uint32_t max_fs = 0;
  uint32_t max_mbps = 0;
};

struct Vp8Capability {
  uint32_t max_fs = 0;  // Macroblocks we can receive per frame; 0: not advertised.
  uint32_t max_fr = 0;  // Frames per second we can receive; 0: not advertised.
};

// VP9 (RFC 9628): the room sends profile 0 (8-bit 4:2:0) and takes only formats of profile 0
// (profile-id absent or 0), since offer and answer name one profile for both directions.
struct Vp9Capability {
  uint32_t max_fs = 0;  // Macroblocks we can receive per frame; 0: not advertised.
  uint32_t max_fr = 0;  // Frames per second we can receive; 0: not advertised.
};

// What a room can do, for one SIP leg.
struct LocalMediaCapabilities {
  // Codecs in our preference order (used for offers; answers follow the offer's order). VP9 only
  // where added (a room with a VP9 profile, see sipua::RoomCapabilities).
  std::vector<rtp::Codec> audio_codecs = {rtp::Codec::kOpus, rtp::Codec::kG722, rtp::Codec::kPcmu,
                                          rtp::Codec::kPcma};
  bool telephone_event = true;
  std::vector<rtp::Codec> video_codecs = {rtp::Codec::kH264, rtp::Codec::kVp8};
  H264Capability h264;
  Vp8Capability vp8;
  Vp9Capability vp9;
  bool video = true;  // False for an audio-only room: video m= lines are rejected.

  std::string address;  // Our media address (IPv4 or IPv6 literal).
  uint16_t audio_port = 0;
  uint16_t video_port = 0;
  bool rtcp_mux = true;  // Accept a=rtcp-mux (and offer it).

  SrtpPolicy srtp = SrtpPolicy::kOptional;
  // Our keys per stream, one per suite we accept, in preference order. FillSrtpKeys makes them.
  std::vector<SrtpKeyMaterial> audio_keys;
  std::vector<SrtpKeyMaterial> video_keys;

  RtcpFeedback video_feedback = {
      .nack = true, .pli = true, .fir = true, .remb = true, .tmmbr = true};
  bool feedback_without_avpf = true;
  bool offer_avpf = false;  // Offer RTP/AVPF (many phones reject it) rather than RTP/AVP.

  // o= of sessions we start; a re-answer keeps the previous one and bumps the version.
  std::string session_id = "0";
  uint64_t session_version = 0;
  std::string session_name = "Tessera";
};

// Fresh keys for both streams, for `suites` (AES_CM_128_HMAC_SHA1_80 and _32 by default), from
// srtp::GenerateSrtpKey. Not pure: draws random numbers.
Status FillSrtpKeys(LocalMediaCapabilities& caps, const std::vector<srtp::SrtpSuite>& suites = {
                                                      srtp::SrtpSuite::kAesCm128HmacSha1_80,
                                                      srtp::SrtpSuite::kAesCm128HmacSha1_32});

// What a video receiver accepts: the room picks the profile (resolution x frame rate) that fits.
struct VideoLimits {
  uint8_t h264_level_idc = 0;    // 0 when not H.264.
  uint32_t max_fs = 0;           // Macroblocks per frame; 0: unbounded.
  uint32_t max_mbps = 0;         // Macroblocks per second; 0: unbounded.
  uint32_t max_fr = 0;           // Frames per second (VP8, VP9 max-fr); 0: unbounded.
  uint64_t max_bitrate_bps = 0;  // From b=TIAS or b=AS; 0: unbounded.
  // Whether a width x height picture at `fps` frames per second fits.
  bool Fits(uint32_t width, uint32_t height, uint32_t fps) const;
  bool operator==(const VideoLimits&) const = default;
};

struct NegotiatedCodec {
  rtp::Codec codec = rtp::Codec::kPcmu;
  uint8_t payload_type = 0;
  uint32_t clock_rate = 8000;
  uint32_t channels = 1;
  uint8_t packetization_mode = 1;  // H.264 only.
  bool operator==(const NegotiatedCodec&) const = default;
};

struct NegotiatedMedia {
  size_t index = 0;  // The m= line.
  bool accepted = false;
  std::string reject_reason;  // Why not, when !accepted ("unsupported proto UDP/TLS/RTP/SAVPF").
  rtp::MediaKind kind = rtp::MediaKind::kAudio;
  std::string proto;
  SdpConnection remote_address;
  uint16_t remote_rtp_port = 0;
  uint16_t remote_rtcp_port = 0;                     // = remote_rtp_port with rtcp-mux.
  std::optional<SdpConnection> remote_rtcp_address;  // From a=rtcp, when it names one.
  bool rtcp_mux = false;
  // Payload types: we send with `send`, the peer sends `receive`. In answers they are equal.
  NegotiatedCodec send;
  NegotiatedCodec receive;
  std::optional<uint8_t> send_telephone_event_pt;
  std::optional<uint8_t> receive_telephone_event_pt;
  bool avpf = false;
  RtcpFeedback feedback;  // What the peer accepts from us and we accept from it.
  bool srtp = false;
  std::optional<SrtpKeyMaterial> local_key;   // Protects what we send.
  std::optional<SrtpKeyMaterial> remote_key;  // Protects what the peer sends.
  uint32_t crypto_tag = 0;
  SdpDirection direction = SdpDirection::kSendRecv;  // Ours: kSendOnly = we send, not receive.
  bool remote_hold = false;     // The peer stopped receiving (sendonly, inactive or c=0.0.0.0).
  VideoLimits receiver_limits;  // Video only: bounds what we send.
  // H.264: the peer's sprop-parameter-sets for the format it sends us (RFC 6184 8.1: its SPS and
  // PPS, for senders that give them only here), verbatim; empty when none. Not checked here: the
  // participant's video leg parses it and ignores a bad one.
  std::string receive_sprop_parameter_sets;
  // The packet durations the peer asked to receive (its a=ptime, a=maxptime), in ms.
  std::optional<uint32_t> ptime_ms;
  std::optional<uint32_t> maxptime_ms;
};

struct NegotiatedSession {
  SessionDescription local;            // Our answer (Answer) or our offer (ProcessAnswer).
  std::vector<NegotiatedMedia> media;  // One per m= line, in order.
  std::optional<size_t> audio;         // Index into `media` of the accepted audio stream.
  std::optional<size_t> video;
  bool audio_only = true;  // No accepted video stream: the leg joins without a picture.
  // Nothing was accepted: the SIP layer answers 488 Not Acceptable Here (with the first reason).
  bool not_acceptable = true;
};

// Answers `offer` (RFC 3264 section 6). For a re-offer pass the dialog's current session: the
// answer keeps its o= session id and increments the version when the answer changed; the offer
// must not have fewer m= lines (RFC 3264 section 8). Fails with INVALID_ARGUMENT for an offer that
// no answer can follow (fewer m= lines than before); an offer that only has unsupported media
// succeeds with not_acceptable set.
StatusOr<NegotiatedSession> Answer(const SessionDescription& offer,
                                   const LocalMediaCapabilities& caps,
                                   const NegotiatedSession* previous = nullptr);

// Our offer: an audio m= line, and a video one when caps.video. Fails with INVALID_ARGUMENT when
// caps cannot make one (no codecs, SRTP required without keys).
StatusOr<SessionDescription> MakeOffer(const LocalMediaCapabilities& caps);

// Reads the answer to `offer` (made by MakeOffer from `caps`). Fails with INVALID_ARGUMENT when
// the answer does not fit the offer (m= line count or media types differ, a different proto, a
// codec or crypto tag we did not offer); a rejected stream (port 0) is not an error.
StatusOr<NegotiatedSession> ProcessAnswer(const SessionDescription& offer,
                                          const SessionDescription& answer,
                                          const LocalMediaCapabilities& caps);

}  // namespace tessera::sip
