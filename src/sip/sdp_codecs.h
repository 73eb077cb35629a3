// What an SDP format (payload type + rtpmap + fmtp) means to Tessera, H.264's fmtp parameters and
// level limits, and the pieces of a media answer that Answer and ProcessAnswer share.
#pragma once

#include <tessera/rtp/codec.h>
#include <tessera/sip/sdp.h>
#include <tessera/sip/sdp_negotiation.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::sip::sdp_codecs {

// One format of an m= line as Tessera sees it.
struct Format {
  uint8_t payload_type = 0;
  std::optional<rtp::Codec> codec;  // Unset for telephone-event and codecs Tessera lacks.
  bool telephone_event = false;
  uint32_t clock_rate = 0;
  uint32_t channels = 0;
  std::string_view fmtp;  // Parameters, empty when none.
};

// The format with this payload type: its rtpmap, else the static RTP/AVP assignment (RFC 3551:
// 0 PCMU, 8 PCMA, 9 G722). nullopt for a token that is not a payload type.
std::optional<Format> Identify(const MediaDescription& m, std::string_view format_token);

// Whether Tessera can use `f` on a stream of this kind: a codec in `codecs` at its RTP clock rate.
bool Usable(const Format& f, rtp::MediaKind kind, const std::vector<rtp::Codec>& codecs);

struct H264Params {
  // Without profile-level-id RFC 6184 implies Baseline level 1.0 (176x144); like libwebrtc we
  // assume level 3.1 instead, because phones that omit it decode far more than QCIF.
  uint8_t profile_idc = 0x42;
  uint8_t profile_iop = 0x00;
  uint8_t level_idc = 0x1f;
  uint8_t packetization_mode = 0;
  bool level_asymmetry_allowed = false;
  uint32_t max_fs = 0;
  uint32_t max_mbps = 0;
};

// H.264 fmtp parameters; nullopt for a malformed profile-level-id or packetization-mode.
std::optional<H264Params> ParseH264Fmtp(std::string_view fmtp);

// H.264: the format's sprop-parameter-sets as written (RFC 6184 8.1: the SPS and PPS of the
// stream the SDP's author sends); empty when it has none or is not H.264. Not decoded here: the
// participant's video leg checks it (rtp::h264::ParseSpropParameterSets) and ignores a bad one.
std::string SpropParameterSets(const Format& f);

// Whether a decoder of this profile decodes the constrained baseline streams Tessera sends.
bool DecodesConstrainedBaseline(uint8_t profile_idc, uint8_t profile_iop);

// Frame size and macroblock rate of an H.264 level (Table A-1); the nearest lower level for an
// unknown level_idc.
struct LevelLimits {
  uint32_t max_fs = 0;
  uint32_t max_mbps = 0;
};
LevelLimits H264LevelLimits(uint8_t level_idc);

// The receiver's limits for a chosen video format (H.264 level and max-fs/max-mbps, VP8 and VP9
// max-fs/max-fr) and the m= line's b=TIAS or b=AS. `h264_level` replaces the level of the fmtp
// where offer and answer agreed on a common one (no level asymmetry).
VideoLimits ReceiverLimits(const Format& f, const MediaDescription& m,
                           std::optional<uint8_t> h264_level = std::nullopt);

// "profile-level-id=42e01f;packetization-mode=1;..." for our side of an H.264 format.
std::string H264Fmtp(uint8_t profile_idc, uint8_t profile_iop, uint8_t level_idc,
                     uint8_t packetization_mode, bool level_asymmetry_allowed,
                     const H264Capability& caps);
std::string Vp8Fmtp(const Vp8Capability& caps);
// "profile-id=0;max-fs=...;max-fr=..." for our side of a VP9 format.
std::string Vp9Fmtp(const Vp9Capability& caps);

// The VP9 profile a format names (RFC 9628 section 6: 0 without profile-id); nullopt when
// malformed.
std::optional<uint8_t> Vp9ProfileId(std::string_view fmtp);

// The rtcp-fb lines of `m` that apply to `payload_type`, as a set.
RtcpFeedback FeedbackOf(const MediaDescription& m, uint8_t payload_type);
RtcpFeedback Intersect(const RtcpFeedback& a, const RtcpFeedback& b);
// Appends a=rtcp-fb lines for `payload_type`.
void AddFeedback(const RtcpFeedback& fb, uint8_t payload_type, MediaDescription& m);

// "RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF".
bool IsSupportedProto(std::string_view proto);
bool IsSrtpProto(std::string_view proto);
bool IsAvpfProto(std::string_view proto);

// Remote RTP/RTCP address and ports from an m= line (a=rtcp, else RTP port + 1; rtcp-mux when
// both sides use it).
void SetRemoteTransport(const SessionDescription& sdp, const MediaDescription& m, bool rtcp_mux,
                        NegotiatedMedia& out);

// rtpmap for a chosen format, as Tessera writes it.
SdpRtpMap RtpMapOf(const NegotiatedCodec& c);
SdpRtpMap TelephoneEventRtpMap(uint8_t payload_type, uint32_t clock_rate);

// c= / o= address for `address` ("IN IP6 ..." when it contains ':').
SdpConnection LocalConnection(const std::string& address);

}  // namespace tessera::sip::sdp_codecs
