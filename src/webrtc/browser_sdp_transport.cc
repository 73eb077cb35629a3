#include "webrtc/browser_sdp_transport.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "webrtc/browser_sdp_attributes.h"
#include "webrtc/browser_sdp_text.h"

namespace tessera::webrtc::browser_sdp {
namespace {

// Text we put into the answer from AnswerParams: one token, nothing that breaks an SDP line.
bool IsToken(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

// RFC 8445 5.1.2.1 with host type preference 126; UDP above TCP (RFC 6544 4.2: passive 4).
uint32_t CandidatePriority(const IceCandidate& c, size_t index) {
  if (c.priority) return c.priority;
  const auto other = static_cast<uint32_t>(std::min<size_t>(index, 8191));
  const uint32_t local =
      c.transport == IceCandidate::Transport::kUdp ? 65535 - other : (4u << 13) + 8191 - other;
  return (126u << 24) | (local << 8) | 255u;
}

std::string CandidateLine(const IceCandidate& c, size_t index) {
  const bool udp = c.transport == IceCandidate::Transport::kUdp;
  std::string line = std::to_string(index + 1);  // Foundation: one per address and transport.
  line += udp ? " 1 udp " : " 1 tcp ";
  line += std::to_string(CandidatePriority(c, index));
  line += ' ';
  line += c.address;
  line += ' ';
  line += std::to_string(c.port);
  line += " typ host";
  if (!udp) line += " tcptype passive";
  return line;
}

}  // namespace

Status CheckParams(const AnswerParams& p) {
  if (!IsIceCredential(p.ice_ufrag, 4) || !IsIceCredential(p.ice_pwd, 22)) {
    return InternalError("AnswerParams: ICE ufrag and pwd must be 4 and 22 to 256 ice-chars");
  }
  if (!ParseFingerprint(p.fingerprint)) {
    return InternalError("AnswerParams: the fingerprint must read \"sha-256 AB:CD:...\"");
  }
  for (const IceCandidate& c : p.candidates) {
    if (!IsToken(c.address) || c.port == 0) {
      return InternalError("AnswerParams: a candidate without address or port");
    }
  }
  const ViewStreams& v = p.view;
  if (!IsToken(v.cname) || !IsToken(v.stream_id) || !IsToken(v.audio_track_id) ||
      !IsToken(v.video_track_id)) {
    return InternalError("AnswerParams: cname, stream and track ids must be single tokens");
  }
  const bool digits = std::all_of(p.session_id.begin(), p.session_id.end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
  if (p.session_id.size() > 20 || !digits) {
    return InternalError("AnswerParams: the session id must be up to 20 digits");
  }
  return Status::Ok();
}

StatusOr<RemoteTransport> ReadRemoteTransport(const sip::SessionDescription& offer,
                                              const std::vector<size_t>& accepted) {
  const sip::MediaDescription& tagged = offer.media.at(accepted.front());
  auto attribute = [&](std::string_view name) {
    const std::string* value = FindAttribute(tagged.attributes, name);
    return value ? value : FindAttribute(offer.attributes, name);
  };
  RemoteTransport out;
  const std::string* ufrag = attribute("ice-ufrag");
  const std::string* pwd = attribute("ice-pwd");
  if (!ufrag || !pwd) {
    return InvalidArgumentError(
        "the offer has no a=ice-ufrag and a=ice-pwd: Tessera needs the browser's ICE credentials");
  }
  if (!IsIceCredential(*ufrag, 4) || !IsIceCredential(*pwd, 22)) {
    return InvalidArgumentError(
        "the offer's a=ice-ufrag or a=ice-pwd is malformed: RFC 8839 needs 4 (ufrag) and 22 (pwd) "
        "to 256 letters, digits, '+' or '/'");
  }
  out.ice_ufrag = *ufrag;
  out.ice_pwd = *pwd;

  // The certificate's fingerprints: a section's own, else the session's (RFC 8122 5); a bundled
  // section may name none (RFC 8843: only the tagged one must carry the transport's attributes).
  // The bundled sections share one DTLS transport, so where two name a fingerprint of the same
  // hash function they must name the same value (a section may list more hash functions than
  // another): sections that disagree are an offer no one certificate answers (one rewritten on
  // the way), refused rather than matched against their union.
  bool any_fingerprint = false;
  auto fingerprints_of = [&](const std::vector<sip::SdpAttribute>& attributes) {
    std::vector<DtlsFingerprint> list;
    for (const sip::SdpAttribute& a : attributes) {
      if (a.name != "fingerprint") continue;
      any_fingerprint = true;
      auto fp = a.value ? ParseFingerprint(*a.value) : std::nullopt;
      if (fp && std::find(list.begin(), list.end(), *fp) == list.end()) list.push_back(*fp);
    }
    return list;
  };
  // The values `list` gives for `algorithm`.
  auto values = [](const std::vector<DtlsFingerprint>& list, const std::string& algorithm) {
    std::vector<std::string> v;
    for (const DtlsFingerprint& f : list) {
      if (f.algorithm == algorithm) v.push_back(f.value);
    }
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::vector<DtlsFingerprint> session = fingerprints_of(offer.attributes);
  std::vector<DtlsFingerprint> common;
  std::string common_mid;
  for (size_t index : accepted) {
    const sip::MediaDescription& m = offer.media.at(index);
    std::vector<DtlsFingerprint> own = fingerprints_of(m.attributes);
    if (own.empty()) own = session;
    const std::string* mid = nullptr;
    for (const sip::SdpAttribute& a : m.attributes) {
      if (a.name == "mid" && a.value) mid = &*a.value;
    }
    for (const DtlsFingerprint& f : own) {
      const std::vector<std::string> theirs = values(common, f.algorithm);
      if (!theirs.empty() && theirs != values(own, f.algorithm)) {
        return InvalidArgumentError(
            "the offer's m= sections " + common_mid + " and " + (mid ? *mid : "?") +
            " name different DTLS certificates (a=fingerprint " + f.algorithm +
            "): they share one transport (BUNDLE), so they must name the same one");
      }
    }
    for (DtlsFingerprint& f : own) {
      if (std::find(common.begin(), common.end(), f) == common.end()) common.push_back(f);
    }
    if (common_mid.empty() && !own.empty()) common_mid = mid ? *mid : "?";
  }
  out.fingerprints = common.empty() ? session : std::move(common);
  if (!any_fingerprint) {
    return InvalidArgumentError(
        "the offer has no a=fingerprint: DTLS-SRTP needs the browser's certificate fingerprint");
  }
  if (out.fingerprints.empty()) {
    return InvalidArgumentError(
        "no a=fingerprint of the offer is usable: Tessera checks sha-256, sha-384, sha-512, "
        "sha-224 or sha-1 fingerprints written as hex pairs joined by ':'");
  }

  const std::string* setup = attribute("setup");
  if (!setup) {
    return InvalidArgumentError(
        "the offer has no a=setup: Tessera needs actpass, active or passive for the DTLS roles");
  }
  const std::string_view role = sdp_text::Trim(*setup);
  if (role == "actpass" || role == "active") {
    out.role = DtlsRole::kServer;  // RFC 8842 section 5.3: the answerer of actpass is passive.
  } else if (role == "passive") {
    out.role = DtlsRole::kClient;
  } else {
    return InvalidArgumentError("a=setup:" + sdp_text::Printable(role) +
                                ": Tessera needs actpass, active or passive");
  }
  return out;
}

sip::SdpConnection LocalConnection(const AnswerParams& params) {
  const std::string address =
      params.candidates.empty() ? "0.0.0.0" : params.candidates.front().address;
  const bool v6 = address.find(':') != std::string::npos;
  return sip::SdpConnection{"IN", v6 ? "IP6" : "IP4", address};
}

uint16_t LocalPort(const AnswerParams& params) {
  for (const IceCandidate& c : params.candidates) {
    if (c.transport == IceCandidate::Transport::kUdp) return c.port;
  }
  return 9;  // RFC 8839 section 4.2.1.1 (the discard port) where no UDP candidate says better.
}

void AddLocalTransport(const AnswerParams& params, DtlsRole role, const std::string& mid,
                       sip::MediaDescription& answer) {
  // CheckParams made sure it parses.
  const DtlsFingerprint ours = ParseFingerprint(params.fingerprint).value_or(DtlsFingerprint{});
  std::vector<sip::SdpAttribute> attributes = {
      {"mid", mid},
      {"ice-ufrag", params.ice_ufrag},
      {"ice-pwd", params.ice_pwd},
      {"fingerprint", ours.algorithm + ' ' + ours.value},
      {"setup", role == DtlsRole::kServer ? "passive" : "active"}};
  for (sip::SdpAttribute& a : answer.attributes) attributes.push_back(std::move(a));
  for (size_t i = 0; i < params.candidates.size(); ++i) {
    attributes.push_back({"candidate", CandidateLine(params.candidates[i], i)});
  }
  attributes.push_back({"end-of-candidates", std::nullopt});
  answer.attributes = std::move(attributes);
}

}  // namespace tessera::webrtc::browser_sdp
