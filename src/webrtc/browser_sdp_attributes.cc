#include "webrtc/browser_sdp_attributes.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>

#include "webrtc/browser_sdp_text.h"

namespace tessera::webrtc::browser_sdp {
namespace {

using sdp_text::NextToken;
using sdp_text::ParseNumber;
using sdp_text::ToLower;
using sdp_text::Trim;

// A rid travels in a one-byte header extension element: at most 16 bytes.
constexpr size_t kMaxRidLength = 16;
// Bounds what a hostile offer makes us keep.
constexpr size_t kMaxSsrcs = 32;
constexpr size_t kMaxRids = 8;

bool IsRidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRidLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char ToUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

size_t DigestBytes(std::string_view algorithm) {
  if (algorithm == "sha-1") return 20;
  if (algorithm == "sha-224") return 28;
  if (algorithm == "sha-256") return 32;
  if (algorithm == "sha-384") return 48;
  if (algorithm == "sha-512") return 64;
  return 0;
}

struct KnownExtension {
  std::string_view uri;
  uint8_t HeaderExtensionIds::*id;
  bool audio;
  bool video;
};

constexpr KnownExtension kExtensions[] = {
    {kMidExtensionUri, &HeaderExtensionIds::mid, true, true},
    {kAudioLevelExtensionUri, &HeaderExtensionIds::audio_level, true, false},
    {kTransportCcExtensionUri, &HeaderExtensionIds::transport_cc, true, true},
    {kAbsSendTimeExtensionUri, &HeaderExtensionIds::abs_send_time, true, true},
    {kRtpStreamIdExtensionUri, &HeaderExtensionIds::rtp_stream_id, false, true},
    {kRepairedRtpStreamIdExtensionUri, &HeaderExtensionIds::repaired_rtp_stream_id, false, true},
};

}  // namespace

const std::string* FindAttribute(const std::vector<sip::SdpAttribute>& attributes,
                                 std::string_view name) {
  for (const sip::SdpAttribute& a : attributes) {
    if (a.name == name && a.value) return &*a.value;
  }
  return nullptr;
}

bool HasAttribute(const std::vector<sip::SdpAttribute>& attributes, std::string_view name) {
  return std::any_of(attributes.begin(), attributes.end(),
                     [&](const sip::SdpAttribute& a) { return a.name == name; });
}

bool IsIceCredential(std::string_view s, size_t min_size) {
  if (s.size() < min_size || s.size() > 256) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  });
}

std::optional<DtlsFingerprint> ParseFingerprint(std::string_view value) {
  std::string_view algorithm = NextToken(value);
  std::string_view hex = NextToken(value);
  if (!Trim(value).empty()) return std::nullopt;
  DtlsFingerprint fp;
  for (char c : algorithm) fp.algorithm += ToLower(c);
  const size_t bytes = DigestBytes(fp.algorithm);
  if (bytes == 0 || hex.size() != bytes * 3 - 1) return std::nullopt;
  for (size_t i = 0; i < hex.size(); ++i) {
    const bool separator = i % 3 == 2;
    if (separator ? hex[i] != ':' : !IsHexDigit(hex[i])) return std::nullopt;
    fp.value += ToUpper(hex[i]);
  }
  return fp;
}

RemoteSsrcs ParseSsrcs(const sip::MediaDescription& m) {
  RemoteSsrcs out;
  for (const sip::SdpAttribute& a : m.attributes) {
    if (!a.value) continue;
    std::string_view rest = *a.value;
    if (a.name == "ssrc") {
      auto ssrc = ParseNumber<uint32_t>(NextToken(rest));
      if (!ssrc) continue;
      if (std::find(out.ssrcs.begin(), out.ssrcs.end(), *ssrc) == out.ssrcs.end() &&
          out.ssrcs.size() < kMaxSsrcs) {
        out.ssrcs.push_back(*ssrc);
      }
      rest = Trim(rest);
      if (out.cname.empty() && rest.starts_with("cname:")) {
        out.cname = std::string(Trim(rest.substr(6)));
      }
    } else if (a.name == "ssrc-group") {
      if (NextToken(rest) != "FID") continue;
      auto media = ParseNumber<uint32_t>(NextToken(rest));
      auto rtx = ParseNumber<uint32_t>(NextToken(rest));
      if (media && rtx && out.fid.size() < kMaxSsrcs) out.fid.push_back(SsrcPair{*media, *rtx});
    }
  }
  return out;
}

std::vector<RidDescription> ParseSendRids(const sip::MediaDescription& m) {
  std::vector<RidDescription> rids;
  for (const sip::SdpAttribute& a : m.attributes) {
    if (a.name != "rid" || !a.value) continue;
    std::string_view rest = *a.value;
    std::string_view id = NextToken(rest);
    if (NextToken(rest) != "send" || !IsRidId(id) || rids.size() == kMaxRids) continue;
    if (std::any_of(rids.begin(), rids.end(),
                    [&](const RidDescription& r) { return r.id == id; })) {
      continue;
    }
    rids.push_back(RidDescription{std::string(id), std::string(Trim(rest))});
  }
  return rids;
}

std::optional<SimulcastDescription> ParseSimulcastSend(const sip::MediaDescription& m,
                                                       const std::vector<RidDescription>& rids) {
  const std::string* value = FindAttribute(m.attributes, "simulcast");
  if (!value) return std::nullopt;
  // "send <list> [recv <list>]" in either order (RFC 8853 section 5.1).
  std::string_view rest = *value;
  std::string_view list;
  for (std::string_view dir = NextToken(rest); !dir.empty(); dir = NextToken(rest)) {
    std::string_view streams = NextToken(rest);
    if (dir == "send") {
      list = streams;
      break;
    }
  }
  SimulcastDescription out;
  std::vector<std::string_view> used;
  while (!list.empty()) {
    const size_t semi = list.find(';');
    std::string_view stream = list.substr(0, semi);
    list.remove_prefix(semi == std::string_view::npos ? list.size() : semi + 1);
    std::vector<SimulcastRid> alternatives;
    while (!stream.empty()) {
      const size_t comma = stream.find(',');
      std::string_view rid = stream.substr(0, comma);
      stream.remove_prefix(comma == std::string_view::npos ? stream.size() : comma + 1);
      const bool paused = rid.starts_with('~');
      if (paused) rid.remove_prefix(1);
      const bool declared = std::any_of(rids.begin(), rids.end(),
                                        [&](const RidDescription& r) { return r.id == rid; });
      if (!declared || std::find(used.begin(), used.end(), rid) != used.end()) continue;
      used.push_back(rid);
      alternatives.push_back(SimulcastRid{std::string(rid), paused});
    }
    if (!alternatives.empty()) out.streams.push_back(std::move(alternatives));
  }
  if (out.streams.empty()) return std::nullopt;
  return out;
}

std::string SimulcastText(const SimulcastDescription& simulcast) {
  std::string out;
  for (size_t i = 0; i < simulcast.streams.size(); ++i) {
    if (i > 0) out += ';';
    for (size_t j = 0; j < simulcast.streams[i].size(); ++j) {
      if (j > 0) out += ',';
      if (simulcast.streams[i][j].paused) out += '~';
      out += simulcast.streams[i][j].rid;
    }
  }
  return out;
}

HeaderExtensionIds SelectExtensions(const sip::MediaDescription& offer, rtp::MediaKind kind,
                                    bool transport_cc, sip::MediaDescription& answer) {
  HeaderExtensionIds ids;
  for (const sip::SdpExtmap& ext : offer.extmaps) {
    // One-byte header ids only (RFC 8285 section 4.2): the answer does not allow mixed headers.
    if (ext.id < 1 || ext.id > 14) continue;
    const auto known = std::find_if(std::begin(kExtensions), std::end(kExtensions),
                                    [&](const KnownExtension& k) { return k.uri == ext.uri; });
    if (known == std::end(kExtensions)) continue;
    if (!(kind == rtp::MediaKind::kAudio ? known->audio : known->video)) continue;
    if (known->id == &HeaderExtensionIds::transport_cc && !transport_cc) continue;
    const bool id_taken =
        std::any_of(answer.extmaps.begin(), answer.extmaps.end(),
                    [&](const sip::SdpExtmap& kept) { return kept.id == ext.id; });
    if (id_taken || ids.*(known->id) != 0) continue;
    ids.*(known->id) = static_cast<uint8_t>(ext.id);
    sip::SdpExtmap kept;
    kept.id = ext.id;
    if (ext.direction) kept.direction = sip::ReverseDirection(*ext.direction);
    kept.uri = ext.uri;
    answer.extmaps.push_back(std::move(kept));
  }
  return ids;
}

RtcpFeedbackSet FeedbackOf(const sip::MediaDescription& m, uint8_t payload_type) {
  RtcpFeedbackSet fb;
  for (const sip::SdpRtcpFb& line : m.rtcp_fbs) {
    if (line.payload_type != sip::SdpRtcpFb::kAnyPayloadType && line.payload_type != payload_type) {
      continue;
    }
    if (line.type == "nack" && line.parameter.empty()) fb.nack = true;
    if (line.type == "nack" && line.parameter == "pli") fb.pli = true;
    if (line.type == "ccm" && line.parameter == "fir") fb.fir = true;
    if (line.type == "transport-cc" && line.parameter.empty()) fb.transport_cc = true;
    if (line.type == "goog-remb" && line.parameter.empty()) fb.remb = true;
  }
  return fb;
}

RtcpFeedbackSet Intersect(const RtcpFeedbackSet& a, const RtcpFeedbackSet& b) {
  return {.nack = a.nack && b.nack,
          .pli = a.pli && b.pli,
          .fir = a.fir && b.fir,
          .transport_cc = a.transport_cc && b.transport_cc,
          .remb = a.remb && b.remb};
}

void AddFeedback(const RtcpFeedbackSet& feedback, uint8_t payload_type,
                 sip::MediaDescription& answer) {
  auto add = [&](bool on, const char* type, const char* parameter) {
    if (on) answer.rtcp_fbs.push_back(sip::SdpRtcpFb{payload_type, type, parameter});
  };
  add(feedback.remb, "goog-remb", "");
  add(feedback.transport_cc, "transport-cc", "");
  add(feedback.fir, "ccm", "fir");
  add(feedback.nack, "nack", "");
  add(feedback.pli, "nack", "pli");
}

}  // namespace tessera::webrtc::browser_sdp
