// Offers AnswerOffer refuses, and what it says about them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tessera/webrtc/browser_sdp.h>

#include <string>

#include "unit/webrtc/browser_sdp_test_offers.h"
#include "unit/webrtc/browser_sdp_test_util.h"

namespace tessera::webrtc {
namespace {

using rtp::Codec;
using test_util::PublishParams;
using test_util::RefusalOf;
using test_util::Replace;
using test_util::ViewParams;
using test_util::WithoutLines;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(BrowserSdpRefusal, OfferWithoutBundle) {
  const Status s =
      RefusalOf(WithoutLines(test_offers::kChromePublish, "a=group:"), PublishParams());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("no a=group:BUNDLE"));
}

TEST(BrowserSdpRefusal, OfferWithoutRtcpMux) {
  const Status s =
      RefusalOf(WithoutLines(test_offers::kChromePublish, "a=rtcp-mux"), PublishParams());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("audio: no a=rtcp-mux"));
}

TEST(BrowserSdpRefusal, PlainRtpAvp) {
  const Status s = RefusalOf(Replace(test_offers::kChromePublish, "UDP/TLS/RTP/SAVPF", "RTP/AVP"),
                             PublishParams());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("proto RTP/AVP"), HasSubstr("needs UDP/TLS/RTP/SAVPF")));
}

TEST(BrowserSdpRefusal, OfferWithoutFingerprint) {
  const Status s =
      RefusalOf(WithoutLines(test_offers::kChromePublish, "a=fingerprint:"), PublishParams());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("no a=fingerprint"));
}

TEST(BrowserSdpRefusal, FingerprintWithAnUnknownHash) {
  const Status s = RefusalOf(
      Replace(test_offers::kFirefoxPublish, "a=fingerprint:sha-256 ", "a=fingerprint:md5 "),
      PublishParams());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("no a=fingerprint of the offer is usable"));
}

TEST(BrowserSdpRefusal, BundledSectionsNamingDifferentCertificates) {
  // Chromium repeats its fingerprint in every section; one of them changed on the way.
  std::string offer(test_offers::kChromePublish);
  const size_t at =
      offer.find("a=fingerprint:sha-256 ") + std::string_view("a=fingerprint:sha-256 ").size();
  ASSERT_LT(at, offer.size());
  offer[at] = offer[at] == '0' ? '1' : '0';
  const Status s = RefusalOf(offer, PublishParams());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("name different DTLS certificates"));
}

TEST(BrowserSdpRefusal, OfferWithoutIceUfrag) {
  const Status s =
      RefusalOf(WithoutLines(test_offers::kChromePublish, "a=ice-ufrag:"), PublishParams());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("no a=ice-ufrag"));
}

TEST(BrowserSdpRefusal, IcePasswordTooShort) {
  const Status s = RefusalOf(
      Replace(test_offers::kChromePublish, "vHX0C9ZlV1+kQyD4iQ3bJ7Hn", "short"), PublishParams());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("malformed"));
}

TEST(BrowserSdpRefusal, OfferWithoutSetup) {
  const Status s =
      RefusalOf(WithoutLines(test_offers::kChromePublish, "a=setup:"), PublishParams());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("no a=setup"));
}

TEST(BrowserSdpRefusal, SetupHoldconn) {
  const Status s = RefusalOf(
      Replace(test_offers::kChromePublish, "a=setup:actpass", "a=setup:holdconn"), PublishParams());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("a=setup:holdconn"));
}

TEST(BrowserSdpRefusal, DuplicateMid) {
  const Status s =
      RefusalOf(Replace(test_offers::kChromePublish, "a=mid:1", "a=mid:0"), PublishParams());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("a=mid:0 twice"));
}

TEST(BrowserSdpRefusal, ViewOfVp8RoomWithoutVp8NamesBoth) {
  const std::string offer = Replace(test_offers::kChromeView, "m=video 9 UDP/TLS/RTP/SAVPF 96 97 ",
                                    "m=video 9 UDP/TLS/RTP/SAVPF ");
  const Status s = RefusalOf(offer, ViewParams({Codec::kVp8}));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(),
              AllOf(HasSubstr("video: offer has VP9 (profile 0), H264 (profile 42001f mode 1"),
                    HasSubstr("AV1 (profile 0)"), HasSubstr("; this room sends VP8")));
}

TEST(BrowserSdpRefusal, ViewOfH264RoomNeedingAHigherLevel) {
  AnswerParams params = ViewParams({Codec::kH264});
  params.h264_send_level_idc = 40;  // 1080p; Chromium offers 3.1.
  const Status s = RefusalOf(test_offers::kChromeView, params);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("this room sends H264 (constrained baseline level 4, "
                                     "packetization-mode 1)"));
}

TEST(BrowserSdpRefusal, ViewOfH264RoomWithHighOnlyOffer) {
  // A decoder of high profile only (640c1f) is not taken for view.
  const std::string offer = Replace(
      Replace(test_offers::kChromeView, "profile-level-id=42001f", "profile-level-id=640c1f"),
      "profile-level-id=42e01f", "profile-level-id=640c1f");
  const Status s = RefusalOf(offer, ViewParams({Codec::kH264}));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("H264 (profile 640c1f mode 1, 640c1f mode 0)"));
}

TEST(BrowserSdpRefusal, PublishWithoutCommonAudioCodec) {
  AnswerParams params = PublishParams();
  params.audio_codecs = {Codec::kPcma};
  const std::string offer =
      Replace(test_offers::kFirefoxPublish, "m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101",
              "m=audio 9 UDP/TLS/RTP/SAVPF 109 101");
  const Status s = RefusalOf(offer, params);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "audio: offer has opus; Tessera takes PCMA");
}

TEST(BrowserSdpRefusal, PublishOfVideoCodecsTesseraLacks) {
  const std::string offer =
      Replace(test_offers::kChromeSimulcast, "96 97 106 107", "35 36");  // No rtpmap: unknown.
  const Status s = RefusalOf(offer, PublishParams());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("video: offer has payload type 35, payload type 36"),
                                 HasSubstr("Tessera takes H264 (constrained baseline, baseline, "
                                           "main or high profile, packetization-mode 0 or 1), "
                                           "VP8, VP9 (profile 0) or AV1 (profile 0)")));
}

TEST(BrowserSdpRefusal, ViewerThatReceivesNothing) {
  const std::string offer = Replace(test_offers::kChromeView, "a=recvonly", "a=sendonly");
  const Status s = RefusalOf(offer, ViewParams({Codec::kVp8}));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("nothing in the offer to answer"),
                                 HasSubstr("it receives nothing (sendonly)")));
}

TEST(BrowserSdpRefusal, OurOwnBadParamsAreInternal) {
  AnswerParams params = PublishParams();
  params.fingerprint = "not a fingerprint";
  auto offer = ParseBrowserOffer(test_offers::kChromePublish);
  ASSERT_TRUE(offer.ok());
  auto answer = AnswerOffer(*offer, params);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace tessera::webrtc
