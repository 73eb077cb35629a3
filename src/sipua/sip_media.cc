#include "sipua/sip_media.h"

#include <tessera/net/networks.h>
#include <tessera/srtp/sdes.h>

#include <algorithm>

namespace tessera::sipua {
namespace {

std::optional<SrtpConfig> SrtpFor(const sip::NegotiatedMedia& m) {
  if (!m.srtp || !m.local_key || !m.remote_key) return std::nullopt;
  auto inline_key = [](const sip::SrtpKeyMaterial& k) {
    const std::string line = srtp::FormatSdesCrypto(1, k.suite, k.key);
    const size_t at = line.find("inline:");
    return at == std::string::npos ? std::string() : line.substr(at);
  };
  SrtpConfig c;
  c.suite = std::string(srtp::SrtpSuiteName(m.remote_key->suite));
  c.key = inline_key(*m.remote_key);
  c.send_key = inline_key(*m.local_key);
  return c;
}

bool WeSend(sip::SdpDirection d) {
  return d == sip::SdpDirection::kSendRecv || d == sip::SdpDirection::kSendOnly;
}
bool WeReceive(sip::SdpDirection d) {
  return d == sip::SdpDirection::kSendRecv || d == sip::SdpDirection::kRecvOnly;
}

}  // namespace

sip::LocalMediaCapabilities RoomCapabilities(const RoomConfig& room, const SipConfig& sip,
                                             const std::string& media_address, uint16_t audio_port,
                                             uint16_t video_port) {
  sip::LocalMediaCapabilities caps;
  caps.address = media_address;
  caps.audio_port = audio_port;
  caps.video_port = video_port;
  caps.video = room.video.has_value();
  if (room.video) {
    caps.video_codecs.clear();
    for (rtp::Codec c : {rtp::Codec::kH264, rtp::Codec::kVp8, rtp::Codec::kVp9}) {
      for (const auto& p : room.video->profiles) {
        if (p.codec == c) {
          caps.video_codecs.push_back(c);
          break;
        }
      }
    }
    caps.video = !caps.video_codecs.empty();
    for (const auto& p : room.video->profiles) {
      if (p.codec == rtp::Codec::kH264 && p.single_nal) caps.h264.packetization_mode_0 = true;
    }
  }
  caps.srtp = sip.srtp == "off"        ? sip::SrtpPolicy::kOff
              : sip.srtp == "required" ? sip::SrtpPolicy::kRequired
                                       : sip::SrtpPolicy::kOptional;
  return caps;
}

std::string PickProfile(const RoomVideoConfig& video, rtp::Codec codec,
                        const sip::VideoLimits& limits, bool single_nal) {
  const VideoProfile* best = nullptr;
  const VideoProfile* smallest = nullptr;
  auto cost = [](const VideoProfile& p) { return int64_t{p.width} * p.height * p.fps; };
  for (const auto& p : video.profiles) {
    if (p.codec != codec || (single_nal && !p.single_nal)) continue;
    if (!smallest || cost(p) < cost(*smallest)) smallest = &p;
    const bool fits =
        limits.Fits(static_cast<uint32_t>(p.width), static_cast<uint32_t>(p.height),
                    static_cast<uint32_t>(p.fps)) &&
        (!limits.max_bitrate_bps || uint64_t(p.bitrate_bps) <= limits.max_bitrate_bps);
    if (fits && (!best || cost(p) > cost(*best))) best = &p;
  }
  if (best) return best->name;
  return smallest ? smallest->name : std::string();
}

codec::G722Pcm G722PcmFor(const SipConfig& sip, const std::string& peer_host) {
  for (const SipTrunkConfig& t : sip.trunks) {
    if (net::AddressInNetworks(peer_host, t.networks)) return t.g722_pcm;
  }
  return sip.g722_pcm;
}

session::Consent ConsentFor(const SipConfig& sip, const std::string& peer_host) {
  for (const SipTrunkConfig& t : sip.trunks) {
    if (net::AddressInNetworks(peer_host, t.networks)) return t.consent;
  }
  return session::Consent::kUnknown;
}

StatusOr<SipParticipant> ParticipantFor(const RoomConfig& room,
                                        const sip::NegotiatedSession& session, std::string name,
                                        uint16_t audio_port, uint16_t video_port) {
  SipParticipant out;
  RoomParticipantConfig& pc = out.config;
  session::JoinOptions& options = out.options;
  options.transport = "sip";
  pc.name = std::move(name);
  const RemoteUpdate remote = RemoteFor(session);
  pc.remote_address = remote.address.empty() ? "0.0.0.0" : remote.address;
  pc.has_audio = session.audio.has_value();
  if (session.audio) {
    const sip::NegotiatedMedia& a = session.media[*session.audio];
    pc.local_port = audio_port;
    pc.rtcp_mux = a.rtcp_mux;
    pc.remote_rtp_port = a.remote_rtp_port;
    pc.remote_rtcp_port = a.rtcp_mux ? 0 : a.remote_rtcp_port;
    pc.audio_codec = a.receive.codec;
    pc.audio_payload_type = a.receive.payload_type;
    pc.audio_channels = 1;
    options.telephone_event_pt = a.receive_telephone_event_pt.value_or(0);
    pc.srtp = SrtpFor(a);
  }
  if (session.video && room.video) {
    const sip::NegotiatedMedia& v = session.media[*session.video];
    RoomParticipantVideoConfig vc;
    vc.local_port = video_port;
    vc.rtcp_mux = v.rtcp_mux;
    vc.send = WeReceive(v.direction);
    vc.codec = v.receive.codec;
    vc.payload_type = v.receive.payload_type;
    if (vc.codec == rtp::Codec::kH264) vc.sprop_parameter_sets = v.receive_sprop_parameter_sets;
    vc.remote_rtp_port = v.remote_rtp_port;
    vc.remote_rtcp_port = v.rtcp_mux ? 0 : v.remote_rtcp_port;
    vc.receive_payload_type = v.send.payload_type;
    const bool mode0 = v.send.codec == rtp::Codec::kH264 && v.send.packetization_mode == 0;
    vc.profile = PickProfile(*room.video, v.send.codec, v.receiver_limits, mode0);
    if (vc.profile.empty()) {
      return InvalidArgumentError("room " + room.name + " has no " +
                                  std::string(rtp::CodecName(v.send.codec)) + " profile");
    }
    options.video_srtp = SrtpFor(v);
    options.video_pli = v.feedback.pli;
    options.video_fir = v.feedback.fir;
    if (!session.audio) {
      // The participant's address and mix port are its video's.
      pc.remote_rtp_port = v.remote_rtp_port;
    }
    pc.video = std::move(vc);
  }
  if (!pc.has_audio && !pc.video) {
    return InvalidArgumentError("the session has neither audio nor video the room takes");
  }
  return out;
}

RemoteUpdate RemoteFor(const sip::NegotiatedSession& session) {
  RemoteUpdate r;
  const sip::NegotiatedMedia* first = nullptr;
  if (session.audio) first = &session.media[*session.audio];
  if (!first && session.video) first = &session.media[*session.video];
  if (!first) return r;
  const bool held = first->remote_hold || !WeSend(first->direction);
  r.address = held ? (first->remote_address.addrtype == "IP6" ? "::" : "0.0.0.0")
                   : first->remote_address.address;
  if (session.audio) {
    const auto& a = session.media[*session.audio];
    r.audio_rtp_port = a.remote_rtp_port;
    r.audio_rtcp_port = a.rtcp_mux ? a.remote_rtp_port : a.remote_rtcp_port;
  }
  if (session.video) {
    const auto& v = session.media[*session.video];
    r.video_rtp_port = v.remote_rtp_port;
    r.video_rtcp_port = v.rtcp_mux ? v.remote_rtp_port : v.remote_rtcp_port;
  }
  return r;
}

std::string ParticipantNameFrom(const std::string& display_name, const std::string& user) {
  auto clean = [](const std::string& in) {
    std::string out;
    for (char c : in) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_' || c == '+';
      if (ok) {
        out += c;
      } else if (c == ' ' && !out.empty() && out.back() != '_') {
        out += '_';
      }
      if (out.size() >= 48) break;
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out;
  };
  std::string name = clean(display_name);
  if (name.empty()) name = clean(user);
  return name.empty() ? "caller" : name;
}

}  // namespace tessera::sipua
