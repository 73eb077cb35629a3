#include <tessera/sip/sdp_negotiation.h>
#include <tessera/sip/sdp_text.h>
#include <tessera/srtp/sdes.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "sip/sdp_codecs.h"

namespace tessera::sip {
namespace {

using sdp_codecs::Format;

std::optional<rtp::MediaKind> KindOfMedia(std::string_view media) {
  if (media == "audio") return rtp::MediaKind::kAudio;
  if (media == "video") return rtp::MediaKind::kVideo;
  return std::nullopt;
}

// The offer's first usable format (offerer's preference) and our fmtp for it; nullopt when none.
struct Choice {
  Format format;
  std::string fmtp;
  uint8_t packetization_mode = 1;
  std::optional<uint8_t> common_h264_level;  // Both directions use it (no level asymmetry).
};

std::optional<Choice> ChooseCodec(const MediaDescription& m, rtp::MediaKind kind,
                                  const LocalMediaCapabilities& caps) {
  const auto& codecs = kind == rtp::MediaKind::kAudio ? caps.audio_codecs : caps.video_codecs;
  for (const std::string& token : m.formats) {
    auto f = sdp_codecs::Identify(m, token);
    if (!f || !sdp_codecs::Usable(*f, kind, codecs)) continue;
    Choice c{*f, "", 1, std::nullopt};
    switch (*f->codec) {
      case rtp::Codec::kOpus:
        c.fmtp = "minptime=10;useinbandfec=1";
        break;
      case rtp::Codec::kH264: {
        auto p = sdp_codecs::ParseH264Fmtp(f->fmtp);
        if (!p || !sdp_codecs::DecodesConstrainedBaseline(p->profile_idc, p->profile_iop)) continue;
        if (p->packetization_mode == 2) continue;
        if (p->packetization_mode == 0 && !caps.h264.packetization_mode_0) continue;
        // RFC 6184 section 8.2.2: without level asymmetry both sides use the lower level.
        const uint8_t level = p->level_asymmetry_allowed
                                  ? caps.h264.level_idc
                                  : std::min(caps.h264.level_idc, p->level_idc);
        c.packetization_mode = p->packetization_mode;
        if (!p->level_asymmetry_allowed) c.common_h264_level = level;
        c.fmtp = sdp_codecs::H264Fmtp(p->profile_idc, p->profile_iop, level, p->packetization_mode,
                                      p->level_asymmetry_allowed, caps.h264);
        break;
      }
      case rtp::Codec::kVp8:
        c.fmtp = sdp_codecs::Vp8Fmtp(caps.vp8);
        break;
      case rtp::Codec::kVp9:
        // Profile 0 is what the room sends; the profile-id is both directions' (RFC 9628 6).
        if (sdp_codecs::Vp9ProfileId(f->fmtp) != 0) continue;
        c.fmtp = sdp_codecs::Vp9Fmtp(caps.vp9);
        break;
      default:
        break;
    }
    return c;
  }
  return std::nullopt;
}

// Text from the offer as a log line or a Warning header may show it: letters, digits and "-._"
// (anything else becomes '?'), at most 24 characters.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 24)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    out += ok ? c : '?';
  }
  return out;
}

// The RFC 3551 static payload types that Identify leaves without a codec, named for messages.
const char* StaticPayloadName(uint8_t payload_type) {
  switch (payload_type) {
    case 3:
      return "GSM";
    case 4:
      return "G723";
    case 5:
    case 6:
    case 16:
    case 17:
      return "DVI4";
    case 7:
      return "LPC";
    case 10:
    case 11:
      return "L16";
    case 12:
      return "QCELP";
    case 13:
      return "CN";
    case 14:
      return "MPA";
    case 15:
      return "G728";
    case 18:
      return "G729";
    case 25:
      return "CelB";
    case 26:
      return "JPEG";
    case 28:
      return "nv";
    case 31:
      return "H261";
    case 32:
      return "MPV";
    case 33:
      return "MP2T";
    case 34:
      return "H263";
    default:
      return nullptr;
  }
}

std::string HexByte(uint8_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return {kDigits[v >> 4], kDigits[v & 0xf]};
}

// One offered format for a message: "VP8", "G729", "H264 (packetization-mode 0, profile-level-id
// 42e01f)"; the clock rate where it is not the codec's ("H264/80000").
std::string DescribeFormat(const MediaDescription& m, const Format& f) {
  std::string out;
  if (const SdpRtpMap* map = m.FindRtpMap(f.payload_type)) {
    out = Printable(map->encoding);
  } else if (f.codec) {
    out = rtp::CodecName(*f.codec);
  } else if (const char* name = StaticPayloadName(f.payload_type)) {
    out = name;
  } else {
    out = "payload type ";
    out += std::to_string(f.payload_type);
  }
  if (f.codec && f.clock_rate != rtp::RtpClockRate(*f.codec)) {
    out += '/';
    out += std::to_string(f.clock_rate);
  }
  if (f.codec == rtp::Codec::kH264) {
    if (auto p = sdp_codecs::ParseH264Fmtp(f.fmtp)) {
      // Without the parameter RFC 6184 means mode 0: said explicitly, as it is what matters.
      // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict inside operator+
      // chains of std::string.
      out += " (packetization-mode ";
      out += std::to_string(p->packetization_mode);
      if (sdp_text::FmtpValue(f.fmtp, "profile-level-id")) {
        out += ", profile-level-id ";
        out += HexByte(p->profile_idc);
        out += HexByte(p->profile_iop);
        out += HexByte(p->level_idc);
      }
      out += ")";
    } else {
      out += " (malformed fmtp)";
    }
  }
  if (f.codec == rtp::Codec::kVp9) {
    if (auto profile = sdp_codecs::Vp9ProfileId(f.fmtp)) {
      if (*profile != 0) out.append(" (profile-id ").append(std::to_string(*profile)).append(")");
    } else {
      out += " (malformed fmtp)";
    }
  }
  return out;
}

// Why no format of `m` was taken: "no supported codec", what the offer had, and what would take
// it. In the room's terms, since the room's video profiles make the capabilities (see
// sipua::RoomCapabilities): a codec offered that no profile has, or H.264 only in
// packetization-mode 0 while no profile is single_nal.
std::string NoCodecReason(const MediaDescription& m, rtp::MediaKind kind,
                          const LocalMediaCapabilities& caps) {
  constexpr size_t kShown = 8;
  std::string offered;
  size_t described = 0;
  size_t more = 0;
  bool h264 = false;        // usable H.264 in packetization-mode 1, and no H264 profile
  bool h264_mode0 = false;  // usable H.264 in packetization-mode 0, and no single_nal profile
  bool vp8 = false;         // VP8, and no VP8 profile
  bool vp9 = false;         // VP9 profile 0, and no VP9 profile
  auto have = [&](rtp::Codec c) {
    return std::find(caps.video_codecs.begin(), caps.video_codecs.end(), c) !=
           caps.video_codecs.end();
  };
  for (const std::string& token : m.formats) {
    auto f = sdp_codecs::Identify(m, token);
    if (!f || f->telephone_event) continue;
    if (described < kShown) {
      if (described) offered += ", ";
      offered += DescribeFormat(m, *f);
      ++described;
    } else {
      ++more;
    }
    if (kind != rtp::MediaKind::kVideo || !f->codec ||
        f->clock_rate != rtp::RtpClockRate(*f->codec)) {
      continue;
    }
    if (*f->codec == rtp::Codec::kVp8) {
      vp8 = vp8 || !have(rtp::Codec::kVp8);
    } else if (*f->codec == rtp::Codec::kVp9) {
      if (sdp_codecs::Vp9ProfileId(f->fmtp) == 0) vp9 = vp9 || !have(rtp::Codec::kVp9);
    } else if (*f->codec == rtp::Codec::kH264) {
      auto p = sdp_codecs::ParseH264Fmtp(f->fmtp);
      if (!p || p->packetization_mode == 2 ||
          !sdp_codecs::DecodesConstrainedBaseline(p->profile_idc, p->profile_iop)) {
        continue;
      }
      if (p->packetization_mode == 1) {
        h264 = h264 || !have(rtp::Codec::kH264);
      } else {
        h264_mode0 = h264_mode0 || !have(rtp::Codec::kH264) || !caps.h264.packetization_mode_0;
      }
    }
  }
  std::string out = "no supported codec; offered ";
  out += described ? offered : std::string("no codec");
  if (more) {
    out += " and ";
    out += std::to_string(more);
    out += " more";
  }
  std::vector<std::string> fixes;  // what a room video profile would need
  if (h264) {
    fixes.push_back("H264");
  } else if (h264_mode0) {
    fixes.push_back("H264 with single_nal: true");
  }
  if (vp8) fixes.push_back("VP8");
  if (vp9) fixes.push_back("VP9");
  if (!fixes.empty()) {
    out += "; to accept it, add a video profile: ";
    for (size_t i = 0; i < fixes.size(); ++i) {
      if (i > 0) out += i + 1 == fixes.size() ? ", or " : ", ";
      out += fixes[i];
    }
  } else if (kind == rtp::MediaKind::kVideo) {
    out +=
        "; Tessera sends only VP8, VP9 profile 0 and H264 that a constrained baseline decoder "
        "takes, in packetization-mode 0 or 1";
  } else {
    out += "; Tessera takes ";
    for (size_t i = 0; i < caps.audio_codecs.size(); ++i) {
      out += (i ? ", " : "") + std::string(rtp::CodecName(caps.audio_codecs[i]));
    }
  }
  return out;
}

// The offer's telephone-event at the audio's clock rate (RFC 4733 2.1); failing that its
// telephone-event/8000, which softphones (baresip, Linphone) and PBXs offer beside Opus whatever
// the audio's rate: without it their keypad would reach nobody (PINs, consent). Digits do not
// depend on the events' clock: only their durations would read six times shorter.
std::optional<std::pair<uint8_t, uint32_t>> ChooseTelephoneEvent(const MediaDescription& m,
                                                                 uint32_t clock_rate) {
  std::optional<std::pair<uint8_t, uint32_t>> narrowband;
  for (const std::string& token : m.formats) {
    auto f = sdp_codecs::Identify(m, token);
    if (!f || !f->telephone_event) continue;
    if (f->clock_rate == clock_rate) return std::pair{f->payload_type, f->clock_rate};
    if (f->clock_rate == 8000 && !narrowband) narrowband = std::pair{f->payload_type, 8000u};
  }
  return narrowband;
}

struct CryptoChoice {
  uint32_t tag = 0;
  SrtpKeyMaterial local;
  SrtpKeyMaterial remote;
};

// The first a=crypto line we can honour (RFC 4568 section 7.1.1: the answerer picks one).
std::optional<CryptoChoice> ChooseCrypto(const MediaDescription& m,
                                         const std::vector<SrtpKeyMaterial>& keys) {
  for (const std::string& line : m.crypto) {
    auto key = srtp::ParseSdesCrypto(line);
    // SrtpSession uses neither MKIs nor any session parameter (KDR, UNENCRYPTED_SRTP, ...).
    if (!key.ok() || key->mki || !key->session_params.empty()) continue;
    for (const SrtpKeyMaterial& ours : keys) {
      if (ours.suite == key->suite && ours.key.size() == srtp::KeyAndSaltLength(ours.suite)) {
        return CryptoChoice{key->tag, ours, SrtpKeyMaterial{key->suite, key->key}};
      }
    }
  }
  return std::nullopt;
}

MediaDescription Rejected(const MediaDescription& offered) {
  MediaDescription m;
  m.media = offered.media;
  m.port = 0;
  m.proto = offered.proto;
  m.formats = offered.formats;
  return m;
}

struct MediaAnswer {
  NegotiatedMedia negotiated;
  MediaDescription sdp;
};

// Answers one m= line; `taken` says whether a stream of its kind was already accepted.
MediaAnswer AnswerMedia(const SessionDescription& offer, size_t index,
                        const LocalMediaCapabilities& caps, bool audio_taken, bool video_taken) {
  const MediaDescription& m = offer.media[index];
  MediaAnswer out;
  out.negotiated.index = index;
  out.negotiated.proto = m.proto;
  out.sdp = Rejected(m);
  auto reject = [&](std::string reason) {
    out.negotiated.reject_reason = std::move(reason);
    return std::move(out);
  };
  const auto kind = KindOfMedia(m.media);
  if (!kind) return reject("unsupported media type " + m.media);
  out.negotiated.kind = *kind;
  if (m.port == 0) return reject("stream disabled in the offer");
  if (m.port_count != 1) return reject("more than one port per stream");
  if (!sdp_codecs::IsSupportedProto(m.proto)) {
    return reject(m.proto.starts_with("UDP/TLS/")
                      ? "unsupported proto " + m.proto + " (no DTLS-SRTP; use a WebRTC gateway)"
                      : "unsupported proto " + m.proto);
  }
  if (*kind == rtp::MediaKind::kVideo && !caps.video) return reject("audio-only room");
  const SdpConnection* connection = offer.ConnectionOf(m);
  if (!connection) return reject("no c= line");
  if (connection->nettype != "IN" ||
      (connection->addrtype != "IP4" && connection->addrtype != "IP6")) {
    return reject("unsupported address type");
  }
  const bool srtp = sdp_codecs::IsSrtpProto(m.proto);
  if (srtp && caps.srtp == SrtpPolicy::kOff) return reject("SRTP not enabled");
  if (!srtp && caps.srtp == SrtpPolicy::kRequired) return reject("SRTP required");
  auto choice = ChooseCodec(m, *kind, caps);
  if (!choice) return reject(NoCodecReason(m, *kind, caps));
  std::optional<CryptoChoice> crypto;
  if (srtp) {
    crypto = ChooseCrypto(m, *kind == rtp::MediaKind::kAudio ? caps.audio_keys : caps.video_keys);
    if (!crypto) return reject("no acceptable a=crypto line");
  }
  if ((*kind == rtp::MediaKind::kAudio ? audio_taken : video_taken)) {
    return reject("one " + m.media + " stream per participant");
  }

  NegotiatedMedia& n = out.negotiated;
  MediaDescription& a = out.sdp;
  n.accepted = true;
  a.port = *kind == rtp::MediaKind::kAudio ? caps.audio_port : caps.video_port;
  a.formats.clear();

  const Format& f = choice->format;
  n.send = NegotiatedCodec{*f.codec, f.payload_type, f.clock_rate,
                           *f.codec == rtp::Codec::kOpus ? 2u : 1u, choice->packetization_mode};
  n.receive = n.send;
  a.formats.push_back(std::to_string(f.payload_type));
  a.rtpmaps.push_back(sdp_codecs::RtpMapOf(n.send));
  if (!choice->fmtp.empty()) a.fmtps.push_back(SdpFmtp{f.payload_type, choice->fmtp});
  if (*kind == rtp::MediaKind::kAudio && caps.telephone_event) {
    if (auto te = ChooseTelephoneEvent(m, f.clock_rate)) {
      const auto [pt, rate] = *te;
      n.send_telephone_event_pt = n.receive_telephone_event_pt = pt;
      a.formats.push_back(std::to_string(pt));
      a.rtpmaps.push_back(sdp_codecs::TelephoneEventRtpMap(pt, rate));
      a.fmtps.push_back(SdpFmtp{pt, "0-15"});
    }
  }
  n.avpf = sdp_codecs::IsAvpfProto(m.proto);
  if (*kind == rtp::MediaKind::kVideo && (n.avpf || caps.feedback_without_avpf)) {
    n.feedback =
        sdp_codecs::Intersect(sdp_codecs::FeedbackOf(m, f.payload_type), caps.video_feedback);
    sdp_codecs::AddFeedback(n.feedback, f.payload_type, a);
  }
  sdp_codecs::SetRemoteTransport(offer, m, m.rtcp_mux && caps.rtcp_mux, n);
  a.rtcp_mux = n.rtcp_mux;
  if (crypto) {
    n.srtp = true;
    n.crypto_tag = crypto->tag;
    n.local_key = crypto->local;
    n.remote_key = crypto->remote;
    a.crypto.push_back(srtp::FormatSdesCrypto(crypto->tag, crypto->local.suite, crypto->local.key));
  }
  SdpDirection offered = offer.DirectionOf(m);
  if (connection->IsUnspecified()) {
    // RFC 3264 section 8.4: c=0.0.0.0 is the old way of saying "do not send to me".
    offered = offered == SdpDirection::kSendRecv   ? SdpDirection::kSendOnly
              : offered == SdpDirection::kRecvOnly ? SdpDirection::kInactive
                                                   : offered;
  }
  n.direction = ReverseDirection(offered);
  n.remote_hold = offered == SdpDirection::kSendOnly || offered == SdpDirection::kInactive;
  a.direction = n.direction;
  if (*kind == rtp::MediaKind::kVideo) {
    n.receiver_limits = sdp_codecs::ReceiverLimits(f, m, choice->common_h264_level);
    n.receive_sprop_parameter_sets = sdp_codecs::SpropParameterSets(f);
  }
  n.ptime_ms = m.ptime_ms;
  n.maxptime_ms = m.maxptime_ms;
  return out;
}

}  // namespace

bool VideoLimits::Fits(uint32_t width, uint32_t height, uint32_t fps) const {
  const uint64_t mb_w = (uint64_t{width} + 15) / 16;
  const uint64_t mb_h = (uint64_t{height} + 15) / 16;
  const uint64_t mbs = mb_w * mb_h;
  if (max_fs) {
    if (mbs > max_fs) return false;
    // RFC 6184 / RFC 7741: neither side may exceed sqrt(8 * max-fs) macroblocks.
    const double side = std::sqrt(8.0 * max_fs);
    if (static_cast<double>(mb_w) > side || static_cast<double>(mb_h) > side) return false;
  }
  if (max_mbps && mbs * fps > max_mbps) return false;
  if (max_fr && fps > max_fr) return false;
  return true;
}

StatusOr<NegotiatedSession> Answer(const SessionDescription& offer,
                                   const LocalMediaCapabilities& caps,
                                   const NegotiatedSession* previous) {
  if (previous && offer.media.size() < previous->media.size()) {
    return InvalidArgumentError("re-offer has fewer m= lines than the session");
  }
  NegotiatedSession session;
  SessionDescription& answer = session.local;
  answer.origin.username = "tessera";
  answer.origin.session_id = previous ? previous->local.origin.session_id : caps.session_id;
  answer.origin.session_version =
      previous ? previous->local.origin.session_version : caps.session_version;
  answer.origin.connection = sdp_codecs::LocalConnection(caps.address);
  answer.session_name = caps.session_name.empty() ? "-" : caps.session_name;
  answer.connection = answer.origin.connection;
  answer.timing = offer.timing;  // RFC 3264 section 6: t= as in the offer.
  for (size_t i = 0; i < offer.media.size(); ++i) {
    MediaAnswer m =
        AnswerMedia(offer, i, caps, session.audio.has_value(), session.video.has_value());
    if (m.negotiated.accepted) {
      (m.negotiated.kind == rtp::MediaKind::kAudio ? session.audio : session.video) = i;
    }
    session.media.push_back(std::move(m.negotiated));
    answer.media.push_back(std::move(m.sdp));
  }
  session.audio_only = !session.video.has_value();
  session.not_acceptable = !session.audio && !session.video;
  // RFC 3264 section 8: the version changes exactly when the description does.
  if (previous && answer != previous->local) ++answer.origin.session_version;
  return session;
}

}  // namespace tessera::sip
