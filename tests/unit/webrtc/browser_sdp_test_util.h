// Parameters and helpers shared by the browser SDP tests.
#pragma once

#include <gtest/gtest.h>
#include <tessera/sip/sdp.h>
#include <tessera/webrtc/browser_sdp.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::webrtc::test_util {

inline constexpr char kOurFingerprint[] =
    "sha-256 0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:E1:F0:0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:"
    "C3:D2:E1:F0";

inline AnswerParams PublishParams() {
  AnswerParams p;
  p.kind = BrowserSessionKind::kPublish;
  p.ice_ufrag = "tSrA";
  p.ice_pwd = "Xq9uV2mL7pR4sT1wY6zB3cD8";
  p.fingerprint = kOurFingerprint;
  p.candidates = {{IceCandidate::Transport::kUdp, "203.0.113.7", 40000, 0},
                  {IceCandidate::Transport::kTcp, "203.0.113.7", 443, 0}};
  p.session_id = "5150";
  return p;
}

inline AnswerParams ViewParams(std::vector<rtp::Codec> video_codecs) {
  AnswerParams p = PublishParams();
  p.kind = BrowserSessionKind::kView;
  p.video_codecs = std::move(video_codecs);
  p.view.audio_ssrc = 1000;
  p.view.video_ssrc = 2000;
  p.view.video_rtx_ssrc = 2001;
  return p;
}

// Every line of `sdp` that starts with `prefix` left out.
inline std::string WithoutLines(std::string_view sdp, std::string_view prefix) {
  std::string out;
  while (!sdp.empty()) {
    const size_t end = sdp.find('\n');
    std::string_view line = sdp.substr(0, end == std::string_view::npos ? sdp.size() : end + 1);
    sdp.remove_prefix(line.size());
    if (!line.starts_with(prefix)) out += line;
  }
  return out;
}

// Every `from` in `text` replaced by `to`.
inline std::string Replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  for (size_t at = out.find(from); at != std::string::npos; at = out.find(from, at + to.size())) {
    out.replace(at, from.size(), to);
  }
  return out;
}

// The answer to `offer`, which must succeed and parse back to itself.
inline BrowserAnswer AnswerOf(std::string_view offer_text, const AnswerParams& params) {
  auto offer = ParseBrowserOffer(offer_text);
  EXPECT_TRUE(offer.ok()) << offer.status().ToString();
  if (!offer.ok()) return {};
  auto answer = AnswerOffer(*offer, params);
  EXPECT_TRUE(answer.ok()) << answer.status().ToString();
  if (!answer.ok()) return {};
  auto reparsed = sip::ParseSdp(answer->sdp, BrowserSdpLimits());
  EXPECT_TRUE(reparsed.ok()) << reparsed.status().ToString() << "\n" << answer->sdp;
  if (reparsed.ok()) {
    EXPECT_EQ(*reparsed, answer->description);
  }
  return std::move(*answer);
}

// Why `offer` is refused; OK (and a test failure) when it is answered.
inline Status RefusalOf(std::string_view offer_text, const AnswerParams& params) {
  auto offer = ParseBrowserOffer(offer_text);
  EXPECT_TRUE(offer.ok()) << offer.status().ToString();
  if (!offer.ok()) return offer.status();
  auto answer = AnswerOffer(*offer, params);
  EXPECT_FALSE(answer.ok()) << answer->sdp;
  return answer.ok() ? Status::Ok() : answer.status();
}

}  // namespace tessera::webrtc::test_util
