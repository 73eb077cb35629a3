// MakeOffer and ProcessAnswer: Tessera as the offerer (late offer in a 200 OK, dial-out).
#include <tessera/sip/sdp_negotiation.h>
#include <tessera/srtp/sdes.h>

#include <tuple>

#include "sip/sdp_codecs.h"

namespace tessera::sip {
namespace {

using sdp_codecs::Format;

// Payload types of our offers (dynamic ones in the 96..127 range, RFC 3551 static ones).
constexpr uint8_t kOpusPt = 111;
constexpr uint8_t kTelephoneEvent8kPt = 101;
constexpr uint8_t kTelephoneEvent48kPt = 110;
constexpr uint8_t kH264Mode1Pt = 96;
constexpr uint8_t kH264Mode0Pt = 97;
constexpr uint8_t kVp8Pt = 98;
constexpr uint8_t kVp9Pt = 100;

std::optional<uint8_t> StaticPt(rtp::Codec codec) {
  switch (codec) {
    case rtp::Codec::kPcmu:
      return 0;
    case rtp::Codec::kPcma:
      return 8;
    case rtp::Codec::kG722:
      return 9;
    default:
      return std::nullopt;
  }
}

void AddFormat(MediaDescription& m, const NegotiatedCodec& c, std::string fmtp) {
  m.formats.push_back(std::to_string(c.payload_type));
  m.rtpmaps.push_back(sdp_codecs::RtpMapOf(c));
  if (!fmtp.empty()) m.fmtps.push_back(SdpFmtp{c.payload_type, std::move(fmtp)});
}

std::string Proto(const LocalMediaCapabilities& caps) {
  const bool srtp = caps.srtp == SrtpPolicy::kRequired;
  return std::string(srtp ? "RTP/SAVP" : "RTP/AVP") + (caps.offer_avpf ? "F" : "");
}

Status AddCrypto(const std::vector<SrtpKeyMaterial>& keys, MediaDescription& m) {
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string line =
        srtp::FormatSdesCrypto(static_cast<uint32_t>(i + 1), keys[i].suite, keys[i].key);
    if (line.empty()) return InvalidArgumentError("SRTP key of the wrong length");
    m.crypto.push_back(std::move(line));
  }
  if (m.crypto.empty()) return InvalidArgumentError("SRTP required but no local keys");
  return Status::Ok();
}

StatusOr<MediaDescription> AudioOffer(const LocalMediaCapabilities& caps) {
  MediaDescription m;
  m.media = "audio";
  m.port = caps.audio_port;
  m.proto = Proto(caps);
  bool opus = false;
  for (rtp::Codec codec : caps.audio_codecs) {
    if (rtp::KindOf(codec) != rtp::MediaKind::kAudio) continue;
    if (codec == rtp::Codec::kOpus) {
      opus = true;
      AddFormat(m, {codec, kOpusPt, 48000, 2, 1}, "minptime=10;useinbandfec=1");
    } else if (auto pt = StaticPt(codec)) {
      AddFormat(m, {codec, *pt, 8000, 1, 1}, "");
    }
  }
  if (m.formats.empty()) return InvalidArgumentError("no audio codec to offer");
  if (caps.telephone_event) {
    // telephone-event/8000 whatever the codecs: what phones answer beside Opus too
    // (ChooseTelephoneEvent in sdp_negotiation.cc).
    for (auto [on, pt, rate] : {std::tuple{true, kTelephoneEvent8kPt, 8000u},
                                std::tuple{opus, kTelephoneEvent48kPt, 48000u}}) {
      if (!on) continue;
      m.formats.push_back(std::to_string(pt));
      m.rtpmaps.push_back(sdp_codecs::TelephoneEventRtpMap(pt, rate));
      m.fmtps.push_back(SdpFmtp{pt, "0-15"});
    }
  }
  return m;
}

StatusOr<MediaDescription> VideoOffer(const LocalMediaCapabilities& caps) {
  MediaDescription m;
  m.media = "video";
  m.port = caps.video_port;
  m.proto = Proto(caps);
  for (rtp::Codec codec : caps.video_codecs) {
    if (codec == rtp::Codec::kH264) {
      AddFormat(m, {codec, kH264Mode1Pt, 90000, 1, 1},
                sdp_codecs::H264Fmtp(0x42, 0xe0, caps.h264.level_idc, 1, true, caps.h264));
      if (caps.h264.packetization_mode_0) {
        AddFormat(m, {codec, kH264Mode0Pt, 90000, 1, 0},
                  sdp_codecs::H264Fmtp(0x42, 0xe0, caps.h264.level_idc, 0, true, caps.h264));
      }
    } else if (codec == rtp::Codec::kVp8) {
      AddFormat(m, {codec, kVp8Pt, 90000, 1, 1}, sdp_codecs::Vp8Fmtp(caps.vp8));
    } else if (codec == rtp::Codec::kVp9) {
      AddFormat(m, {codec, kVp9Pt, 90000, 1, 1}, sdp_codecs::Vp9Fmtp(caps.vp9));
    }
  }
  if (m.formats.empty()) return InvalidArgumentError("no video codec to offer");
  for (const SdpRtpMap& map : std::vector<SdpRtpMap>(m.rtpmaps)) {
    sdp_codecs::AddFeedback(caps.video_feedback, map.payload_type, m);
  }
  return m;
}

// The format of our offer that the answer's `f` names: same codec (and H.264 packetization mode).
const SdpRtpMap* Matching(const MediaDescription& offered, const Format& f) {
  for (const SdpRtpMap& map : offered.rtpmaps) {
    auto ours = sdp_codecs::Identify(offered, std::to_string(map.payload_type));
    if (!ours || ours->telephone_event != f.telephone_event || ours->codec != f.codec ||
        ours->clock_rate != f.clock_rate) {
      continue;
    }
    if (f.codec == rtp::Codec::kH264) {
      auto a = sdp_codecs::ParseH264Fmtp(f.fmtp);
      auto o = sdp_codecs::ParseH264Fmtp(ours->fmtp);
      if (!a || !o || a->packetization_mode != o->packetization_mode) continue;
    }
    // We offer VP9 profile 0 only; an answer may not change the profile (RFC 9628 6).
    if (f.codec == rtp::Codec::kVp9 && sdp_codecs::Vp9ProfileId(f.fmtp) != 0) continue;
    return &map;
  }
  return nullptr;
}

Status ReadMediaAnswer(const SessionDescription& answer, const MediaDescription& om,
                       const MediaDescription& am, const LocalMediaCapabilities& caps,
                       NegotiatedMedia& n) {
  const auto& keys = n.kind == rtp::MediaKind::kAudio ? caps.audio_keys : caps.video_keys;
  if (!answer.ConnectionOf(am)) return InvalidArgumentError("answer without c= line");
  struct TelephoneEvent {
    uint8_t theirs, ours;
    uint32_t clock_rate;
  };
  std::vector<TelephoneEvent> telephone_events;
  for (const std::string& token : am.formats) {
    auto f = sdp_codecs::Identify(am, token);
    if (!f) continue;
    const SdpRtpMap* ours = Matching(om, *f);
    if (!ours) continue;
    if (f->telephone_event) {
      telephone_events.push_back({f->payload_type, ours->payload_type, f->clock_rate});
    } else if (!n.accepted) {
      const uint8_t mode = f->codec == rtp::Codec::kH264
                               ? sdp_codecs::ParseH264Fmtp(f->fmtp)->packetization_mode
                               : 1;
      n.send = {*f->codec, f->payload_type, f->clock_rate, *f->codec == rtp::Codec::kOpus ? 2u : 1u,
                mode};
      n.receive = n.send;
      n.receive.payload_type = ours->payload_type;
      n.accepted = true;
      if (n.kind == rtp::MediaKind::kVideo) {
        n.receiver_limits = sdp_codecs::ReceiverLimits(*f, am);
        n.receive_sprop_parameter_sets = sdp_codecs::SpropParameterSets(*f);
      }
    }
  }
  if (!n.accepted) return InvalidArgumentError("answer chose no codec we offered");
  // Telephone-event at the codec's clock rate; failing that at 8000, as phones answer it beside
  // Opus (the answer side's ChooseTelephoneEvent explains why).
  for (const uint32_t rate : {n.send.clock_rate, 8000u}) {
    if (n.send_telephone_event_pt) break;
    for (const auto& [theirs, ours, clock_rate] : telephone_events) {
      if (clock_rate != rate) continue;
      n.send_telephone_event_pt = theirs;
      n.receive_telephone_event_pt = ours;
      break;
    }
  }
  n.avpf = sdp_codecs::IsAvpfProto(om.proto);
  n.ptime_ms = am.ptime_ms;
  n.maxptime_ms = am.maxptime_ms;
  if (n.kind == rtp::MediaKind::kVideo && (n.avpf || caps.feedback_without_avpf)) {
    n.feedback =
        sdp_codecs::Intersect(sdp_codecs::FeedbackOf(am, n.send.payload_type), caps.video_feedback);
  }
  sdp_codecs::SetRemoteTransport(answer, am, am.rtcp_mux && om.rtcp_mux, n);
  if (sdp_codecs::IsSrtpProto(om.proto)) {
    if (am.crypto.size() != 1) return InvalidArgumentError("answer needs exactly one a=crypto");
    auto key = srtp::ParseSdesCrypto(am.crypto.front());
    if (!key.ok()) return InvalidArgumentError("bad a=crypto in answer: " + key.status().message());
    if (key->tag == 0 || key->tag > keys.size() || keys[key->tag - 1].suite != key->suite) {
      return InvalidArgumentError("answer's a=crypto matches no offered tag and suite");
    }
    n.srtp = true;
    n.crypto_tag = key->tag;
    n.local_key = keys[key->tag - 1];
    n.remote_key = SrtpKeyMaterial{key->suite, key->key};
  }
  SdpDirection answered = answer.DirectionOf(am);
  if (answer.ConnectionOf(am)->IsUnspecified()) {
    answered = answered == SdpDirection::kSendRecv
                   ? SdpDirection::kSendOnly
                   : (answered == SdpDirection::kRecvOnly ? SdpDirection::kInactive : answered);
  }
  n.direction = ReverseDirection(answered);
  n.remote_hold = answered == SdpDirection::kSendOnly || answered == SdpDirection::kInactive;
  return Status::Ok();
}

}  // namespace

Status FillSrtpKeys(LocalMediaCapabilities& caps, const std::vector<srtp::SrtpSuite>& suites) {
  for (auto* keys : {&caps.audio_keys, &caps.video_keys}) {
    keys->clear();
    for (srtp::SrtpSuite suite : suites) {
      auto key = srtp::GenerateSrtpKey(suite);
      if (!key.ok()) return key.status();
      keys->push_back(SrtpKeyMaterial{suite, std::move(*key)});
    }
  }
  return Status::Ok();
}

StatusOr<SessionDescription> MakeOffer(const LocalMediaCapabilities& caps) {
  SessionDescription offer;
  offer.origin.username = "tessera";
  offer.origin.session_id = caps.session_id;
  offer.origin.session_version = caps.session_version;
  offer.origin.connection = sdp_codecs::LocalConnection(caps.address);
  offer.session_name = caps.session_name.empty() ? "-" : caps.session_name;
  offer.connection = offer.origin.connection;
  auto audio = AudioOffer(caps);
  if (!audio.ok()) return audio.status();
  offer.media.push_back(std::move(*audio));
  if (caps.video) {
    auto video = VideoOffer(caps);
    if (!video.ok()) return video.status();
    offer.media.push_back(std::move(*video));
  }
  const bool srtp = caps.srtp == SrtpPolicy::kRequired;
  for (MediaDescription& m : offer.media) {
    m.rtcp_mux = caps.rtcp_mux;
    m.direction = SdpDirection::kSendRecv;
    if (srtp) {
      TESSERA_RETURN_IF_ERROR(AddCrypto(m.media == "audio" ? caps.audio_keys : caps.video_keys, m));
    }
  }
  return offer;
}

StatusOr<NegotiatedSession> ProcessAnswer(const SessionDescription& offer,
                                          const SessionDescription& answer,
                                          const LocalMediaCapabilities& caps) {
  if (answer.media.size() != offer.media.size()) {
    return InvalidArgumentError("answer has " + std::to_string(answer.media.size()) +
                                " m= lines, the offer " + std::to_string(offer.media.size()));
  }
  NegotiatedSession session;
  session.local = offer;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const MediaDescription& om = offer.media[i];
    const MediaDescription& am = answer.media[i];
    if (am.media != om.media) return InvalidArgumentError("answer changed a media type");
    NegotiatedMedia n;
    n.index = i;
    n.proto = om.proto;
    n.kind = om.media == "video" ? rtp::MediaKind::kVideo : rtp::MediaKind::kAudio;
    if (om.port == 0 || am.port == 0) {
      n.reject_reason = om.port == 0 ? "stream disabled in our offer" : "rejected by the answer";
    } else if (am.proto != om.proto) {
      return InvalidArgumentError("answer changed proto " + om.proto + " to " + am.proto);
    } else {
      TESSERA_RETURN_IF_ERROR(ReadMediaAnswer(answer, om, am, caps, n));
      std::optional<size_t>& slot =
          n.kind == rtp::MediaKind::kAudio ? session.audio : session.video;
      if (!slot) slot = i;
    }
    session.media.push_back(std::move(n));
  }
  session.audio_only = !session.video.has_value();
  session.not_acceptable = !session.audio && !session.video;
  return session;
}

}  // namespace tessera::sip
