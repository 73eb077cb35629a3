// A browser's WHIP/WHEP offer as arbitrary text: ParseBrowserOffer, then AnswerOffer for publish
// and for view with fixed parameters. Refusals are fine; an answer must keep the offer's m= lines,
// accept audio or video, bundle exactly what it accepted, and parse back to its own description.
#include <tessera/sip/sdp.h>
#include <tessera/webrtc/browser_sdp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using tessera::webrtc::AnswerParams;
using tessera::webrtc::BrowserSessionKind;
using tessera::webrtc::IceCandidate;
using tessera::webrtc::NegotiatedBrowserMedia;

AnswerParams MakeParams(BrowserSessionKind kind) {
  AnswerParams p;
  p.kind = kind;
  p.ice_ufrag = "fUzZ";
  p.ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz";
  p.fingerprint =
      "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:"
      "BB:CC:DD:EE:FF";
  p.candidates = {{IceCandidate::Transport::kUdp, "192.0.2.1", 40000, 0},
                  {IceCandidate::Transport::kTcp, "2001:db8::1", 443, 0}};
  p.session_id = "42";
  if (kind == BrowserSessionKind::kView) {
    p.video_codecs = {tessera::rtp::Codec::kH264, tessera::rtp::Codec::kVp8};
    p.h264_single_nal = true;
    p.view.audio_ssrc = 1;
    p.view.video_ssrc = 2;
    p.view.video_rtx_ssrc = 3;
  } else {
    p.audio_codecs = {tessera::rtp::Codec::kOpus, tessera::rtp::Codec::kPcmu,
                      tessera::rtp::Codec::kPcma};
  }
  return p;
}

void Check(const tessera::sip::SessionDescription& offer, const AnswerParams& params) {
  auto answer = tessera::webrtc::AnswerOffer(offer, params);
  if (!answer.ok()) {
    // Our parameters are valid: only the offer may be refused.
    if (answer.status().code() == tessera::StatusCode::kInternal) abort();
    return;
  }
  const tessera::sip::SessionDescription& sdp = answer->description;
  if (sdp.media.size() != offer.media.size()) abort();
  if (!answer->audio && !answer->video) abort();
  size_t accepted = 0;
  for (const auto* media : {&answer->audio, &answer->video}) {
    if (!*media) continue;
    const NegotiatedBrowserMedia& n = **media;
    if (n.index >= sdp.media.size() || sdp.media[n.index].port == 0) abort();
    const auto& mids = answer->bundle_mids;
    if (std::find(mids.begin(), mids.end(), n.mid) == mids.end()) abort();
    ++accepted;
  }
  if (answer->bundle_mids.size() != accepted) abort();
  if (answer->remote_fingerprints.empty()) abort();
  // Accepted m= lines grow the answer past an offer near BrowserSdpLimits' size: parse it without.
  static const tessera::sip::ParseLimits limits = [] {
    tessera::sip::ParseLimits l = tessera::webrtc::BrowserSdpLimits();
    l.max_body_bytes = 1 << 20;
    return l;
  }();
  auto parsed = tessera::sip::ParseSdp(answer->sdp, limits);
  if (!parsed.ok() || !(*parsed == sdp)) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const AnswerParams publish = MakeParams(BrowserSessionKind::kPublish);
  static const AnswerParams view = MakeParams(BrowserSessionKind::kView);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto offer = tessera::webrtc::ParseBrowserOffer(text);
  if (!offer.ok()) return 0;
  for (const tessera::sip::MediaDescription& m : offer->media) {
    (void)tessera::webrtc::DescribeOfferCodecs(m);
  }
  Check(*offer, publish);
  Check(*offer, view);
  return 0;
}
