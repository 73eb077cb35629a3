#include <tessera/webrtc/browser_sdp.h>

#include <algorithm>
#include <random>
#include <string>
#include <utility>

#include "webrtc/browser_sdp_attributes.h"
#include "webrtc/browser_sdp_codecs.h"
#include "webrtc/browser_sdp_text.h"
#include "webrtc/browser_sdp_transport.h"

namespace tessera::webrtc {
namespace {

using browser_sdp::FindAttribute;
using browser_sdp::HasAttribute;
using sdp_text::Printable;

constexpr std::string_view kProto = "UDP/TLS/RTP/SAVPF";

std::optional<rtp::MediaKind> KindOfMedia(std::string_view media) {
  if (media == "audio") return rtp::MediaKind::kAudio;
  if (media == "video") return rtp::MediaKind::kVideo;
  return std::nullopt;
}

// The mids of the offer's first a=group:BUNDLE; nullopt when it has none.
std::optional<std::vector<std::string>> BundleGroup(const sip::SessionDescription& offer) {
  for (const sip::SdpAttribute& a : offer.attributes) {
    if (a.name != "group" || !a.value) continue;
    std::string_view rest = *a.value;
    if (sdp_text::NextToken(rest) != "BUNDLE") continue;
    std::vector<std::string> mids;
    for (auto t = sdp_text::NextToken(rest); !t.empty(); t = sdp_text::NextToken(rest)) {
      mids.emplace_back(t);
    }
    return mids;
  }
  return std::nullopt;
}

Status CheckMids(const sip::SessionDescription& offer) {
  std::vector<std::string_view> seen;
  for (const sip::MediaDescription& m : offer.media) {
    const std::string* mid = FindAttribute(m.attributes, "mid");
    if (!mid) continue;
    if (std::find(seen.begin(), seen.end(), *mid) != seen.end()) {
      return InvalidArgumentError("the offer has a=mid:" + Printable(*mid) + " twice");
    }
    seen.push_back(*mid);
  }
  return Status::Ok();
}

std::string RandomSessionId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng() >> 1);  // 63 bits, as browsers make theirs.
}

struct MediaOutcome {
  sip::MediaDescription sdp;
  std::optional<NegotiatedBrowserMedia> media;  // Set when accepted.
  std::optional<rtp::MediaKind> kind;
  std::string reason;           // Why it was rejected.
  std::optional<Status> error;  // The offer broke a rule on the m= line (see AnswerOffer).
};

sip::MediaDescription Rejected(const sip::MediaDescription& offered) {
  sip::MediaDescription m;
  m.media = offered.media;
  m.port = 0;
  m.proto = offered.proto;
  m.formats = offered.formats;
  // JSEP 5.3.1: a rejected section keeps its mid, so the browser can match it.
  if (const std::string* mid = FindAttribute(offered.attributes, "mid")) {
    m.attributes.push_back(sip::SdpAttribute{"mid", *mid});
  }
  return m;
}

// View: a=msid and our SSRCs.
void AddViewStreams(const ViewStreams& v, NegotiatedBrowserMedia& n, sip::MediaDescription& a) {
  const bool audio = n.kind == rtp::MediaKind::kAudio;
  const std::string msid = v.stream_id + ' ' + (audio ? v.audio_track_id : v.video_track_id);
  a.attributes.push_back(sip::SdpAttribute{"msid", msid});
  n.local_ssrc = audio ? v.audio_ssrc : v.video_ssrc;
  n.local_rtx_ssrc = !audio && n.rtx_payload_type ? v.video_rtx_ssrc : 0;
  if (n.local_ssrc && n.local_rtx_ssrc) {
    a.attributes.push_back(sip::SdpAttribute{
        "ssrc-group",
        "FID " + std::to_string(n.local_ssrc) + ' ' + std::to_string(n.local_rtx_ssrc)});
  }
  for (uint32_t ssrc : {n.local_ssrc, n.local_rtx_ssrc}) {
    if (!ssrc) continue;
    a.attributes.push_back(sip::SdpAttribute{"ssrc", std::to_string(ssrc) + " cname:" + v.cname});
    a.attributes.push_back(sip::SdpAttribute{"ssrc", std::to_string(ssrc) + " msid:" + msid});
  }
}

// Publish video: answers the offer's rid simulcast (RFC 8853 section 5.3: recv, same streams).
void AddSimulcast(const sip::MediaDescription& m, NegotiatedBrowserMedia& n,
                  sip::MediaDescription& a) {
  n.rids = browser_sdp::ParseSendRids(m);
  if (n.extensions.rtp_stream_id == 0) return;  // The layers could not be told apart.
  n.simulcast = browser_sdp::ParseSimulcastSend(m, n.rids);
  if (!n.simulcast) return;
  for (const auto& stream : n.simulcast->streams) {
    for (const SimulcastRid& rid : stream) {
      a.attributes.push_back(sip::SdpAttribute{"rid", rid.rid + " recv"});
    }
  }
  a.attributes.push_back(
      sip::SdpAttribute{"simulcast", "recv " + browser_sdp::SimulcastText(*n.simulcast)});
}

// Answers one m= line, without its transport attributes (AnswerOffer adds them).
MediaOutcome AnswerMedia(const sip::SessionDescription& offer, size_t index,
                         const std::vector<std::string>& group, const AnswerParams& params,
                         bool audio_taken, bool video_taken) {
  const sip::MediaDescription& m = offer.media[index];
  MediaOutcome out;
  out.sdp = Rejected(m);
  out.kind = KindOfMedia(m.media);
  auto reject = [&](std::string reason) {
    out.reason = "m= line " + std::to_string(index + 1) + " (" + Printable(m.media) + "): ";
    out.reason += reason;
    return std::move(out);
  };
  auto fail = [&](Status status) {
    out.error = status;
    return reject(status.message());
  };
  if (!out.kind) {
    return reject(m.media == "application" ? "Tessera has no data channels" : "not audio or video");
  }
  const rtp::MediaKind kind = *out.kind;
  const bool audio = kind == rtp::MediaKind::kAudio;
  const bool publish = params.kind == BrowserSessionKind::kPublish;
  if (audio ? audio_taken : video_taken) return reject("Tessera takes one " + m.media + " stream");
  if ((audio ? params.audio_codecs : params.video_codecs).empty()) {
    return reject((publish ? "Tessera takes no " : "the room sends no ") + m.media);
  }
  const std::string* mid = FindAttribute(m.attributes, "mid");
  if (!mid || std::find(group.begin(), group.end(), *mid) == group.end()) {
    return reject("not in the BUNDLE group");
  }
  if (m.port == 0 && !HasAttribute(m.attributes, "bundle-only")) {
    return reject("disabled in the offer (port 0)");
  }
  const sip::SdpDirection offered = offer.DirectionOf(m);
  const bool sends =
      offered == sip::SdpDirection::kSendOnly || offered == sip::SdpDirection::kSendRecv;
  const bool receives =
      offered == sip::SdpDirection::kRecvOnly || offered == sip::SdpDirection::kSendRecv;
  if (publish ? !sends : !receives) {
    std::string reason = publish ? "the browser sends nothing on it (" : "it receives nothing (";
    reason += sip::SdpDirectionName(offered);
    reason += ')';
    return reject(std::move(reason));
  }
  if (m.proto != kProto) {
    return fail(InvalidArgumentError(m.media + ": proto " + Printable(m.proto) +
                                     "; Tessera needs UDP/TLS/RTP/SAVPF (ICE, DTLS-SRTP)"));
  }
  if (!m.rtcp_mux) {
    return fail(FailedPreconditionError(
        m.media + ": no a=rtcp-mux; Tessera needs RTP and RTCP on one transport"));
  }
  const bool with_rtx = params.rtx && (publish || params.view.video_rtx_ssrc != 0);
  auto choice = browser_sdp::ChooseCodec(m, kind, params, with_rtx);
  if (!choice.ok()) return fail(choice.status());

  NegotiatedBrowserMedia n;
  n.index = index;
  n.mid = *mid;
  n.kind = kind;
  n.direction = publish ? sip::SdpDirection::kRecvOnly : sip::SdpDirection::kSendOnly;
  n.codec = choice->codec;
  n.payload_type = choice->payload_type;
  n.clock_rate = choice->clock_rate;
  n.channels = choice->channels;
  n.offer_fmtp = choice->offer_fmtp;
  n.answer_fmtp = choice->answer_fmtp;
  n.h264_packetization_mode = choice->h264_packetization_mode;
  n.rtx_payload_type = choice->rtx_payload_type;
  n.rtx_time_ms = choice->rtx_time_ms;
  if (n.codec == rtp::Codec::kOpus) {
    n.opus_useinbandfec = sdp_text::FmtpIs(n.offer_fmtp, "useinbandfec", "1");
    n.opus_usedtx = sdp_text::FmtpIs(n.offer_fmtp, "usedtx", "1");
    n.opus_stereo = sdp_text::FmtpIs(n.offer_fmtp, "stereo", "1");
  }

  sip::MediaDescription a;
  a.media = m.media;
  a.port = browser_sdp::LocalPort(params);
  a.proto = m.proto;
  browser_sdp::AddCodec(*choice, a);
  n.extensions = browser_sdp::SelectExtensions(m, kind, params.feedback.transport_cc, a);
  n.feedback = browser_sdp::Intersect(browser_sdp::FeedbackOf(m, n.payload_type), params.feedback);
  // transport-cc feedback acknowledges the sequence numbers of its header extension.
  if (n.extensions.transport_cc == 0) n.feedback.transport_cc = false;
  browser_sdp::AddFeedback(n.feedback, n.payload_type, a);
  a.rtcp_mux = true;
  a.direction = n.direction;
  n.rtcp_rsize = HasAttribute(m.attributes, "rtcp-rsize");
  if (n.rtcp_rsize) a.attributes.push_back(sip::SdpAttribute{"rtcp-rsize", std::nullopt});
  browser_sdp::RemoteSsrcs ssrcs = browser_sdp::ParseSsrcs(m);
  n.remote_ssrcs = std::move(ssrcs.ssrcs);
  n.remote_rtx_ssrcs = std::move(ssrcs.fid);
  n.remote_cname = std::move(ssrcs.cname);
  if (publish && !audio) AddSimulcast(m, n, a);
  if (!publish) AddViewStreams(params.view, n, a);
  out.sdp = std::move(a);
  out.media = std::move(n);
  return out;
}

}  // namespace

const sip::ParseLimits& BrowserSdpLimits() {
  static const sip::ParseLimits limits = [] {
    sip::ParseLimits l = sip::DefaultParseLimits();
    l.max_body_bytes = 64 * 1024;
    l.max_sdp_lines = 1024;
    l.max_sdp_media = 16;
    l.max_sdp_formats = 64;
    return l;
  }();
  return limits;
}

StatusOr<sip::SessionDescription> ParseBrowserOffer(std::string_view text) {
  return sip::ParseSdp(text, BrowserSdpLimits());
}

StatusOr<BrowserAnswer> AnswerOffer(const sip::SessionDescription& offer,
                                    const AnswerParams& params) {
  TESSERA_RETURN_IF_ERROR(browser_sdp::CheckParams(params));
  const auto group = BundleGroup(offer);
  if (!group) {
    return FailedPreconditionError(
        "the offer has no a=group:BUNDLE: Tessera serves audio and video bundled on one ICE and "
        "DTLS transport (bundlePolicy max-bundle or balanced)");
  }
  TESSERA_RETURN_IF_ERROR(CheckMids(offer));

  BrowserAnswer out;
  sip::SessionDescription& answer = out.description;
  answer.origin.username = "tessera";
  answer.origin.session_id = params.session_id.empty() ? RandomSessionId() : params.session_id;
  answer.origin.session_version = 1;
  answer.origin.connection = browser_sdp::LocalConnection(params);
  answer.connection = answer.origin.connection;
  answer.session_name = "-";
  answer.timing = "0 0";

  std::optional<Status> audio_error;
  std::optional<Status> video_error;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    MediaOutcome r =
        AnswerMedia(offer, i, *group, params, out.audio.has_value(), out.video.has_value());
    const bool audio = r.kind == rtp::MediaKind::kAudio;
    if (r.media) {
      (audio ? out.audio : out.video) = std::move(r.media);
    } else {
      out.rejected.push_back(std::move(r.reason));
      std::optional<Status>& error = audio ? audio_error : video_error;
      if (r.error && !error) error = std::move(r.error);
    }
    answer.media.push_back(std::move(r.sdp));
  }
  // A rule broken on an m= line fails the offer unless another line of its kind was taken.
  if (!out.audio && audio_error) return *audio_error;
  if (!out.video && video_error) return *video_error;
  if (!out.audio && !out.video) {
    std::string message = "nothing in the offer to answer";
    for (size_t i = 0; i < out.rejected.size(); ++i) message += (i ? "; " : ": ") + out.rejected[i];
    return FailedPreconditionError(std::move(message));
  }

  // RFC 8843: the BUNDLE group in the offer's order; its first m= line carries the transport.
  std::vector<NegotiatedBrowserMedia*> accepted;
  for (const std::string& mid : *group) {
    for (auto* media : {&out.audio, &out.video}) {
      if (*media && (*media)->mid == mid &&
          std::find(accepted.begin(), accepted.end(), &**media) == accepted.end()) {
        accepted.push_back(&**media);
        out.bundle_mids.push_back(mid);
      }
    }
  }
  std::vector<size_t> indices;
  for (const NegotiatedBrowserMedia* media : accepted) indices.push_back(media->index);
  auto transport = browser_sdp::ReadRemoteTransport(offer, indices);
  if (!transport.ok()) return transport.status();
  out.remote_ice_ufrag = std::move(transport->ice_ufrag);
  out.remote_ice_pwd = std::move(transport->ice_pwd);
  out.remote_fingerprints = std::move(transport->fingerprints);
  out.dtls_role = transport->role;
  for (const NegotiatedBrowserMedia* media : accepted) {
    browser_sdp::AddLocalTransport(params, out.dtls_role, media->mid, answer.media[media->index]);
  }
  std::string bundle = "BUNDLE";
  for (const std::string& mid : out.bundle_mids) bundle += ' ' + mid;
  answer.attributes.push_back({"ice-lite", std::nullopt});
  answer.attributes.push_back({"group", std::move(bundle)});
  out.sdp = sip::WriteSdp(answer);
  return out;
}

}  // namespace tessera::webrtc
