#include "sip/sdp_codecs.h"

#include <tessera/sip/sdp_text.h>

#include <algorithm>
#include <cmath>

namespace tessera::sip::sdp_codecs {
namespace {

using sdp_text::EqualsIgnoreCase;
using sdp_text::FmtpValue;
using sdp_text::ParseNumber;

char HexDigit(uint8_t v) { return "0123456789abcdef"[v & 0xf]; }

std::string Hex(uint8_t v) { return {HexDigit(v >> 4), HexDigit(v)}; }

}  // namespace

std::optional<Format> Identify(const MediaDescription& m, std::string_view format_token) {
  auto pt = ParseNumber<uint32_t>(format_token);
  if (!pt || *pt > 127) return std::nullopt;
  Format f;
  f.payload_type = static_cast<uint8_t>(*pt);
  if (const SdpRtpMap* map = m.FindRtpMap(f.payload_type)) {
    f.clock_rate = map->clock_rate;
    f.channels = map->channels;
    if (EqualsIgnoreCase(map->encoding, "telephone-event")) {
      f.telephone_event = true;
    } else {
      f.codec = rtp::CodecFromName(map->encoding);
    }
  } else if (f.payload_type == 0 || f.payload_type == 8 || f.payload_type == 9) {
    f.codec = f.payload_type == 0   ? rtp::Codec::kPcmu
              : f.payload_type == 8 ? rtp::Codec::kPcma
                                    : rtp::Codec::kG722;
    f.clock_rate = 8000;
  }
  if (const SdpFmtp* fmtp = m.FindFmtp(f.payload_type)) f.fmtp = fmtp->parameters;
  return f;
}

bool Usable(const Format& f, rtp::MediaKind kind, const std::vector<rtp::Codec>& codecs) {
  if (!f.codec || rtp::KindOf(*f.codec) != kind) return false;
  if (std::find(codecs.begin(), codecs.end(), *f.codec) == codecs.end()) return false;
  if (f.clock_rate != rtp::RtpClockRate(*f.codec)) return false;
  // Opus is always opus/48000/2 (RFC 7587); the G.711 and G.722 legs are mono.
  if (*f.codec != rtp::Codec::kOpus && kind == rtp::MediaKind::kAudio && f.channels > 1) {
    return false;
  }
  return true;
}

std::optional<H264Params> ParseH264Fmtp(std::string_view fmtp) {
  H264Params p;
  if (auto id = FmtpValue(fmtp, "profile-level-id")) {
    if (id->size() != 6) return std::nullopt;
    auto idc = sdp_text::ParseHexByte(id->substr(0, 2));
    auto iop = sdp_text::ParseHexByte(id->substr(2, 2));
    auto level = sdp_text::ParseHexByte(id->substr(4, 2));
    if (!idc || !iop || !level) return std::nullopt;
    p.profile_idc = *idc;
    p.profile_iop = *iop;
    p.level_idc = *level;
  }
  if (auto mode = FmtpValue(fmtp, "packetization-mode")) {
    auto value = ParseNumber<uint8_t>(*mode);
    if (!value || *value > 2) return std::nullopt;
    p.packetization_mode = *value;
  }
  if (auto asym = FmtpValue(fmtp, "level-asymmetry-allowed"))
    p.level_asymmetry_allowed = *asym == "1";
  if (auto fs = FmtpValue(fmtp, "max-fs")) p.max_fs = ParseNumber<uint32_t>(*fs).value_or(0);
  if (auto mbps = FmtpValue(fmtp, "max-mbps"))
    p.max_mbps = ParseNumber<uint32_t>(*mbps).value_or(0);
  return p;
}

std::string SpropParameterSets(const Format& f) {
  if (f.codec != rtp::Codec::kH264) return {};
  return std::string(FmtpValue(f.fmtp, "sprop-parameter-sets").value_or(std::string_view()));
}

bool DecodesConstrainedBaseline(uint8_t profile_idc, uint8_t profile_iop) {
  switch (profile_idc) {
    case 0x42:  // Baseline and Constrained Baseline
    case 0x4d:  // Main: constrained baseline streams set constraint_set1 (Main-conformant)
    case 0x64:  // High
      return true;
    case 0x58:  // Extended decodes Baseline streams only when constraint_set1 is set too
      return (profile_iop & 0x40) != 0;
    default:
      return false;
  }
}

LevelLimits H264LevelLimits(uint8_t level_idc) {
  struct Row {
    uint8_t level;
    LevelLimits limits;
  };
  static constexpr Row kTable[] = {
      {9, {99, 1485}},       {10, {99, 1485}},     {11, {396, 3000}},     {12, {396, 6000}},
      {13, {396, 11880}},    {20, {396, 11880}},   {21, {792, 19800}},    {22, {1620, 20250}},
      {30, {1620, 40500}},   {31, {3600, 108000}}, {32, {5120, 216000}},  {40, {8192, 245760}},
      {41, {8192, 245760}},  {42, {8704, 522240}}, {50, {22080, 589824}}, {51, {36864, 983040}},
      {52, {36864, 2073600}}};
  LevelLimits result = kTable[0].limits;
  for (const Row& row : kTable) {
    if (row.level <= level_idc) result = row.limits;
  }
  return result;
}

VideoLimits ReceiverLimits(const Format& f, const MediaDescription& m,
                           std::optional<uint8_t> h264_level) {
  VideoLimits limits;
  if (f.codec == rtp::Codec::kH264) {
    H264Params p = ParseH264Fmtp(f.fmtp).value_or(H264Params{});
    p.level_idc = h264_level.value_or(p.level_idc);
    const LevelLimits level = H264LevelLimits(p.level_idc);
    limits.h264_level_idc = p.level_idc;
    // RFC 6184 section 8.1: max-fs and max-mbps can only raise what the level allows.
    limits.max_fs = std::max(level.max_fs, p.max_fs);
    limits.max_mbps = std::max(level.max_mbps, p.max_mbps);
  } else if (f.codec == rtp::Codec::kVp8 || f.codec == rtp::Codec::kVp9) {
    // The same max-fs (macroblocks of 16x16) and max-fr for VP9 (RFC 9628 6) as for VP8.
    if (auto fs = FmtpValue(f.fmtp, "max-fs"))
      limits.max_fs = ParseNumber<uint32_t>(*fs).value_or(0);
    if (auto fr = FmtpValue(f.fmtp, "max-fr"))
      limits.max_fr = ParseNumber<uint32_t>(*fr).value_or(0);
  }
  for (const SdpBandwidth& b : m.bandwidths) {
    if (b.type == "TIAS") limits.max_bitrate_bps = b.value;
  }
  if (limits.max_bitrate_bps == 0) {
    for (const SdpBandwidth& b : m.bandwidths) {
      if (b.type == "AS" && b.value <= UINT64_MAX / 1000) limits.max_bitrate_bps = b.value * 1000;
    }
  }
  return limits;
}

std::string H264Fmtp(uint8_t profile_idc, uint8_t profile_iop, uint8_t level_idc,
                     uint8_t packetization_mode, bool level_asymmetry_allowed,
                     const H264Capability& caps) {
  std::string s = "profile-level-id=" + Hex(profile_idc) + Hex(profile_iop) + Hex(level_idc) +
                  ";packetization-mode=" + std::to_string(packetization_mode);
  if (level_asymmetry_allowed) s += ";level-asymmetry-allowed=1";
  if (caps.max_fs) s += ";max-fs=" + std::to_string(caps.max_fs);
  if (caps.max_mbps) s += ";max-mbps=" + std::to_string(caps.max_mbps);
  return s;
}

std::string Vp8Fmtp(const Vp8Capability& caps) {
  std::string s;
  if (caps.max_fs) s.append("max-fs=").append(std::to_string(caps.max_fs));
  if (caps.max_fr) {
    if (!s.empty()) s.append(";");
    s.append("max-fr=").append(std::to_string(caps.max_fr));
  }
  return s;
}

std::string Vp9Fmtp(const Vp9Capability& caps) {
  std::string s = "profile-id=0";
  if (caps.max_fs) s.append(";max-fs=").append(std::to_string(caps.max_fs));
  if (caps.max_fr) s.append(";max-fr=").append(std::to_string(caps.max_fr));
  return s;
}

std::optional<uint8_t> Vp9ProfileId(std::string_view fmtp) {
  auto id = FmtpValue(fmtp, "profile-id");
  if (!id) return uint8_t{0};
  auto value = ParseNumber<uint8_t>(*id);
  if (!value || *value > 3) return std::nullopt;
  return *value;
}

RtcpFeedback FeedbackOf(const MediaDescription& m, uint8_t payload_type) {
  RtcpFeedback fb;
  for (const SdpRtcpFb& line : m.rtcp_fbs) {
    if (line.payload_type != SdpRtcpFb::kAnyPayloadType && line.payload_type != payload_type) {
      continue;
    }
    if (line.type == "nack" && line.parameter.empty()) fb.nack = true;
    if (line.type == "nack" && line.parameter == "pli") fb.pli = true;
    if (line.type == "ccm" && line.parameter == "fir") fb.fir = true;
    if (line.type == "ccm" && line.parameter == "tmmbr") fb.tmmbr = true;
    if (line.type == "goog-remb") fb.remb = true;
  }
  return fb;
}

RtcpFeedback Intersect(const RtcpFeedback& a, const RtcpFeedback& b) {
  return {.nack = a.nack && b.nack,
          .pli = a.pli && b.pli,
          .fir = a.fir && b.fir,
          .remb = a.remb && b.remb,
          .tmmbr = a.tmmbr && b.tmmbr};
}

void AddFeedback(const RtcpFeedback& fb, uint8_t payload_type, MediaDescription& m) {
  auto add = [&](bool on, const char* type, const char* parameter) {
    if (on) m.rtcp_fbs.push_back(SdpRtcpFb{payload_type, type, parameter});
  };
  add(fb.nack, "nack", "");
  add(fb.pli, "nack", "pli");
  add(fb.fir, "ccm", "fir");
  add(fb.tmmbr, "ccm", "tmmbr");
  add(fb.remb, "goog-remb", "");
}

bool IsSupportedProto(std::string_view proto) {
  return proto == "RTP/AVP" || proto == "RTP/AVPF" || proto == "RTP/SAVP" || proto == "RTP/SAVPF";
}
bool IsSrtpProto(std::string_view proto) { return proto == "RTP/SAVP" || proto == "RTP/SAVPF"; }
bool IsAvpfProto(std::string_view proto) { return proto == "RTP/AVPF" || proto == "RTP/SAVPF"; }

void SetRemoteTransport(const SessionDescription& sdp, const MediaDescription& m, bool rtcp_mux,
                        NegotiatedMedia& out) {
  if (const SdpConnection* c = sdp.ConnectionOf(m)) out.remote_address = *c;
  out.remote_rtp_port = m.port;
  out.rtcp_mux = rtcp_mux;
  if (rtcp_mux) {
    out.remote_rtcp_port = m.port;
  } else if (m.rtcp) {
    out.remote_rtcp_port = m.rtcp->port;
    out.remote_rtcp_address = m.rtcp->connection;
  } else {
    out.remote_rtcp_port = m.port == 65535 ? 0 : static_cast<uint16_t>(m.port + 1);
  }
}

SdpRtpMap RtpMapOf(const NegotiatedCodec& c) {
  return SdpRtpMap{c.payload_type, rtp::CodecName(c.codec), c.clock_rate,
                   c.codec == rtp::Codec::kOpus ? 2u : 0u};
}

SdpRtpMap TelephoneEventRtpMap(uint8_t payload_type, uint32_t clock_rate) {
  return SdpRtpMap{payload_type, "telephone-event", clock_rate, 0};
}

SdpConnection LocalConnection(const std::string& address) {
  const bool v6 = address.find(':') != std::string::npos;
  return SdpConnection{"IN", v6 ? "IP6" : "IP4", address.empty() ? "0.0.0.0" : address};
}

}  // namespace tessera::sip::sdp_codecs
