// MakeOffer / ProcessAnswer (late offer, dial-out) and re-offers (hold, resume).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tessera/sip/sdp_negotiation.h>
#include <tessera/srtp/sdes.h>

#include <string>

#include "unit/sip/sdp_test_offers.h"

namespace tessera::sip {
namespace {

using rtp::Codec;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

LocalMediaCapabilities Caps() {
  LocalMediaCapabilities caps;
  caps.address = "203.0.113.1";
  caps.audio_port = 40000;
  caps.video_port = 40002;
  caps.session_id = "99";
  caps.session_version = 5;
  caps.audio_keys = {{srtp::SrtpSuite::kAesCm128HmacSha1_80, std::vector<uint8_t>(30, 1)},
                     {srtp::SrtpSuite::kAesCm128HmacSha1_32, std::vector<uint8_t>(30, 2)}};
  caps.video_keys = {{srtp::SrtpSuite::kAesCm128HmacSha1_80, std::vector<uint8_t>(30, 3)}};
  return caps;
}

SessionDescription Parse(std::string_view text) {
  auto sdp = ParseSdp(text);
  EXPECT_TRUE(sdp.ok()) << sdp.status().ToString();
  return sdp.ok() ? *sdp : SessionDescription{};
}

SessionDescription Offer(const LocalMediaCapabilities& caps = Caps()) {
  auto offer = MakeOffer(caps);
  EXPECT_TRUE(offer.ok()) << offer.status().ToString();
  return offer.ok() ? *offer : SessionDescription{};
}

TEST(SdpMakeOffer, OffersEveryCodecInOurOrder) {
  SessionDescription offer = Offer();
  EXPECT_EQ(offer.origin.session_id, "99");
  EXPECT_EQ(offer.origin.session_version, 5u);
  ASSERT_EQ(offer.media.size(), 2u);
  const MediaDescription& audio = offer.media[0];
  EXPECT_EQ(audio.proto, "RTP/AVP");
  EXPECT_EQ(audio.port, 40000);
  EXPECT_THAT(audio.formats, ElementsAre("111", "9", "0", "8", "101", "110"));
  EXPECT_EQ(*audio.FindRtpMap(110), (SdpRtpMap{110, "telephone-event", 48000, 0}));
  EXPECT_EQ(audio.FindFmtp(111)->parameters, "minptime=10;useinbandfec=1");
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_TRUE(audio.crypto.empty());
  const MediaDescription& video = offer.media[1];
  EXPECT_THAT(video.formats, ElementsAre("96", "98"));
  EXPECT_EQ(video.FindFmtp(96)->parameters,
            "profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1");
  EXPECT_EQ(video.rtcp_fbs.size(), 10u);  // Five kinds for each of two formats.
  // Round trip through text.
  EXPECT_EQ(Parse(WriteSdp(offer)), offer);
}

TEST(SdpMakeOffer, AdvertisesReceiveLimitsAndMode0) {
  LocalMediaCapabilities caps = Caps();
  caps.h264.packetization_mode_0 = true;
  caps.h264.max_fs = 3600;
  caps.h264.max_mbps = 108000;
  caps.vp8 = {.max_fs = 3600, .max_fr = 30};
  caps.video_codecs = {Codec::kVp8, Codec::kH264};
  SessionDescription offer = Offer(caps);
  EXPECT_THAT(offer.media[1].formats, ElementsAre("98", "96", "97"));
  EXPECT_EQ(offer.media[1].FindFmtp(98)->parameters, "max-fs=3600;max-fr=30");
  EXPECT_THAT(
      offer.media[1].FindFmtp(97)->parameters,
      HasSubstr("packetization-mode=0;level-asymmetry-allowed=1;max-fs=3600;max-mbps=108000"));
}

TEST(SdpMakeOffer, SrtpRequiredOffersSavpWithOneTagPerKey) {
  LocalMediaCapabilities caps = Caps();
  caps.srtp = SrtpPolicy::kRequired;
  caps.video = false;
  SessionDescription offer = Offer(caps);
  ASSERT_EQ(offer.media.size(), 1u);
  EXPECT_EQ(offer.media[0].proto, "RTP/SAVP");
  ASSERT_EQ(offer.media[0].crypto.size(), 2u);
  EXPECT_THAT(offer.media[0].crypto[1], HasSubstr("2 AES_CM_128_HMAC_SHA1_32 inline:"));
  caps.audio_keys.clear();
  EXPECT_FALSE(MakeOffer(caps).ok());
  LocalMediaCapabilities none = Caps();
  none.audio_codecs.clear();
  EXPECT_EQ(MakeOffer(none).status().message(), "no audio codec to offer");
}

TEST(SdpMakeOffer, OurOwnOfferIsAcceptableToUs) {
  LocalMediaCapabilities caps = Caps();
  auto answer = Answer(Offer(caps), caps);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->media[0].send.codec, Codec::kOpus);
  EXPECT_EQ(answer->media[0].send_telephone_event_pt, 110);
  EXPECT_EQ(answer->media[1].send.codec, Codec::kH264);
  EXPECT_EQ(answer->media[1].feedback, caps.video_feedback);
}

TEST(SdpProcessAnswer, PrefersTelephoneEventsAtTheCodecsRateAndTakesTheNarrowbandOneElse) {
  const std::string both =
      "v=0\no=- 5 5 IN IP4 198.51.100.9\ns=-\nc=IN IP4 198.51.100.9\nt=0 0\n"
      "m=audio 3000 RTP/AVP 111 101 110\na=rtpmap:111 opus/48000/2\n"
      "a=rtpmap:101 telephone-event/8000\na=rtpmap:110 telephone-event/48000\n"
      "m=video 0 RTP/AVP 120\na=rtpmap:120 H264/90000\n";
  auto s = ProcessAnswer(Offer(), Parse(both), Caps());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->media[0].send_telephone_event_pt, 110);
  // A softphone that answers Opus with telephone-event/8000 only (baresip): its keypad counts.
  const std::string narrowband =
      "v=0\no=- 5 5 IN IP4 198.51.100.9\ns=-\nc=IN IP4 198.51.100.9\nt=0 0\n"
      "m=audio 3000 RTP/AVP 111 101\na=rtpmap:111 opus/48000/2\n"
      "a=rtpmap:101 telephone-event/8000\nm=video 0 RTP/AVP 120\na=rtpmap:120 H264/90000\n";
  s = ProcessAnswer(Offer(), Parse(narrowband), Caps());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->media[0].send.codec, Codec::kOpus);
  EXPECT_EQ(s->media[0].send_telephone_event_pt, 101);
  EXPECT_EQ(s->media[0].receive_telephone_event_pt, 101);
}

TEST(SdpProcessAnswer, UsesTheAnswersPayloadTypesForSending) {
  const std::string answer_text =
      "v=0\no=- 5 5 IN IP4 198.51.100.9\ns=-\nc=IN IP4 198.51.100.9\nt=0 0\n"
      "m=audio 3000 RTP/AVP 0 100\na=rtpmap:100 telephone-event/8000\na=sendrecv\n"
      "m=video 3002 RTP/AVP 120\na=rtpmap:120 H264/90000\n"
      "a=fmtp:120 profile-level-id=42e01e;packetization-mode=1\na=rtcp-fb:120 nack pli\n"
      "a=sendonly\n";
  auto s = ProcessAnswer(Offer(), Parse(answer_text), Caps());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const NegotiatedMedia& audio = s->media[0];
  EXPECT_EQ(audio.send.codec, Codec::kPcmu);
  EXPECT_EQ(audio.send_telephone_event_pt, 100);
  EXPECT_EQ(audio.receive_telephone_event_pt, 101);
  EXPECT_EQ(audio.remote_rtp_port, 3000);
  EXPECT_FALSE(audio.rtcp_mux);
  const NegotiatedMedia& video = s->media[1];
  EXPECT_EQ(video.send.payload_type, 120);
  EXPECT_EQ(video.receive.payload_type, 96);
  EXPECT_EQ(video.feedback, (RtcpFeedback{.pli = true}));
  EXPECT_EQ(video.receiver_limits.h264_level_idc, 0x1e);
  EXPECT_EQ(video.receive_sprop_parameter_sets, "");
  EXPECT_EQ(video.direction, SdpDirection::kRecvOnly);  // They only send.
  EXPECT_TRUE(video.remote_hold);
  EXPECT_FALSE(s->audio_only);
}

TEST(SdpProcessAnswer, KeepsTheAnswersSpropParameterSets) {
  const std::string answer_text =
      "v=0\no=- 5 5 IN IP4 198.51.100.9\ns=-\nc=IN IP4 198.51.100.9\nt=0 0\n"
      "m=audio 3000 RTP/AVP 0\na=sendrecv\n"
      "m=video 3002 RTP/AVP 120\na=rtpmap:120 H264/90000\n"
      "a=fmtp:120 profile-level-id=42e01e;packetization-mode=1;"
      "sprop-parameter-sets=Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=,aOvjyyLA\n";
  auto s = ProcessAnswer(Offer(), Parse(answer_text), Caps());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->media[1].receive_sprop_parameter_sets,
            "Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=,aOvjyyLA");
}

TEST(SdpMakeOffer, Vp9ProfileZeroWhenTheRoomHasAVp9Profile) {
  LocalMediaCapabilities caps = Caps();
  caps.video_codecs = {Codec::kVp9, Codec::kH264};
  caps.vp9 = {.max_fs = 396, .max_fr = 15};
  SessionDescription offer = Offer(caps);
  EXPECT_THAT(offer.media[1].formats, ElementsAre("100", "96"));
  ASSERT_NE(offer.media[1].FindRtpMap(100), nullptr);
  EXPECT_EQ(offer.media[1].FindRtpMap(100)->encoding, "VP9");
  EXPECT_EQ(offer.media[1].FindFmtp(100)->parameters, "profile-id=0;max-fs=396;max-fr=15");

  const std::string head =
      "v=0\no=- 5 5 IN IP4 198.51.100.9\ns=-\nc=IN IP4 198.51.100.9\nt=0 0\n"
      "m=audio 3000 RTP/AVP 0\nm=video 3002 RTP/AVP 101\na=rtpmap:101 VP9/90000\n";
  auto s = ProcessAnswer(offer, Parse(head + "a=fmtp:101 max-fr=30;max-fs=3600\n"), caps);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const NegotiatedMedia& video = s->media[1];
  EXPECT_EQ(video.send.codec, Codec::kVp9);
  EXPECT_EQ(video.send.payload_type, 101);
  EXPECT_EQ(video.receive.payload_type, 100);
  EXPECT_EQ(video.receiver_limits.max_fs, 3600u);
  EXPECT_EQ(video.receiver_limits.max_fr, 30u);
  // An answer may not change the profile we offered.
  EXPECT_FALSE(ProcessAnswer(offer, Parse(head + "a=fmtp:101 profile-id=2\n"), caps).ok());
}

TEST(SdpProcessAnswer, RejectedVideoLeavesTheLegAudioOnly) {
  const std::string answer_text =
      "v=0\no=- 5 5 IN IP4 198.51.100.9\ns=-\nc=IN IP4 198.51.100.9\nt=0 0\n"
      "m=audio 3000 RTP/AVP 8\nm=video 0 RTP/AVP 96\n";
  auto s = ProcessAnswer(Offer(), Parse(answer_text), Caps());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->audio_only);
  EXPECT_EQ(s->media[1].reject_reason, "rejected by the answer");
  EXPECT_EQ(s->media[0].send.codec, Codec::kPcma);
}

TEST(SdpProcessAnswer, RefusesAnswersThatDoNotFitTheOffer) {
  const std::string head = "v=0\no=- 5 5 IN IP4 198.51.100.9\ns=-\nc=IN IP4 198.51.100.9\nt=0 0\n";
  auto status = [&](const std::string& body) {
    return ProcessAnswer(Offer(), Parse(head + body), Caps()).status().message();
  };
  EXPECT_EQ(status("m=audio 3000 RTP/AVP 0\n"), "answer has 1 m= lines, the offer 2");
  EXPECT_EQ(status("m=video 3000 RTP/AVP 0\nm=video 0 RTP/AVP 96\n"),
            "answer changed a media type");
  EXPECT_EQ(status("m=audio 3000 RTP/SAVP 0\nm=video 0 RTP/AVP 96\n"),
            "answer changed proto RTP/AVP to RTP/SAVP");
  EXPECT_EQ(status("m=audio 3000 RTP/AVP 18\nm=video 0 RTP/AVP 96\n"),
            "answer chose no codec we offered");
  EXPECT_EQ(status("m=audio 3000 RTP/AVP 0\nm=video 3002 RTP/AVP 96\na=rtpmap:96 H264/90000\n"),
            "answer chose no codec we offered");  // Mode 0 by default: we offered mode 1.
}

TEST(SdpProcessAnswer, ReadsTheSdesAnswer) {
  LocalMediaCapabilities caps = Caps();
  caps.srtp = SrtpPolicy::kRequired;
  caps.video = false;
  const std::string head =
      "v=0\no=- 5 5 IN IP4 198.51.100.9\ns=-\nc=IN IP4 198.51.100.9\nt=0 0\n"
      "m=audio 3000 RTP/SAVP 0\n";
  auto s = ProcessAnswer(
      Offer(caps),
      Parse(head +
            "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk\n"),
      caps);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->media[0].local_key->key, std::vector<uint8_t>(30, 2));
  EXPECT_EQ(s->media[0].remote_key->key[0], 'A');
  auto wrong_suite = ProcessAnswer(
      Offer(caps),
      Parse(head +
            "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk\n"),
      caps);
  EXPECT_EQ(wrong_suite.status().message(), "answer's a=crypto matches no offered tag and suite");
  EXPECT_EQ(ProcessAnswer(Offer(caps), Parse(head), caps).status().message(),
            "answer needs exactly one a=crypto");
}

// Hold and resume: the Yealink offer, then the same with a=sendonly, then sendrecv again.
TEST(SdpReoffer, HoldAndResumeKeepPortsAndBumpTheVersionOnlyOnChange) {
  LocalMediaCapabilities caps = Caps();
  auto first = Answer(Parse(test_offers::kYealinkAudio), caps);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->local.origin.session_version, 5u);

  auto same = Answer(Parse(test_offers::kYealinkAudio), caps, &*first);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->local.origin.session_version, 5u);  // Unchanged answer, unchanged version.

  std::string hold_text = test_offers::kYealinkAudio;
  hold_text.replace(hold_text.find("a=sendrecv"), 10, "a=sendonly");
  auto hold = Answer(Parse(hold_text), caps, &*first);
  ASSERT_TRUE(hold.ok());
  EXPECT_TRUE(hold->media[0].remote_hold);
  EXPECT_EQ(hold->media[0].direction, SdpDirection::kRecvOnly);
  EXPECT_EQ(hold->local.media[0].direction, SdpDirection::kRecvOnly);
  EXPECT_EQ(hold->local.origin.session_id, "99");
  EXPECT_EQ(hold->local.origin.session_version, 6u);
  EXPECT_EQ(hold->local.media[0].port, first->local.media[0].port);

  auto resume = Answer(Parse(test_offers::kYealinkAudio), caps, &*hold);
  ASSERT_TRUE(resume.ok());
  EXPECT_FALSE(resume->media[0].remote_hold);
  EXPECT_EQ(resume->media[0].direction, SdpDirection::kSendRecv);
  EXPECT_EQ(resume->local.origin.session_version, 7u);
}

TEST(SdpReoffer, ZeroAddressHoldIsTreatedAsSendonly) {
  auto hold = Answer(Parse(test_offers::kHoldZeroAddress), Caps());
  ASSERT_TRUE(hold.ok());
  EXPECT_TRUE(hold->media[0].accepted);
  EXPECT_TRUE(hold->media[0].remote_hold);
  EXPECT_EQ(hold->media[0].direction, SdpDirection::kRecvOnly);
  EXPECT_EQ(hold->local.connection->address, "203.0.113.1");
}

TEST(SdpReoffer, SessionLevelSendonlyIsHold) {
  std::string text = test_offers::kYealinkAudio;
  text.erase(text.find("a=sendrecv\n"), 11);
  text.insert(text.find("t=0 0\n") + 6, "a=sendonly\n");
  auto s = Answer(Parse(text), Caps());
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->media[0].remote_hold);
  EXPECT_EQ(s->local.media[0].direction, SdpDirection::kRecvOnly);
}

TEST(SdpReoffer, InactiveAnswersInactive) {
  std::string text = test_offers::kYealinkAudio;
  text.replace(text.find("a=sendrecv"), 10, "a=inactive");
  auto s = Answer(Parse(text), Caps());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->media[0].direction, SdpDirection::kInactive);
  EXPECT_TRUE(s->media[0].remote_hold);
  EXPECT_FALSE(s->not_acceptable);
}

TEST(SdpReoffer, ReofferMayNotRemoveMediaLines) {
  auto first = Answer(Parse(test_offers::kBaresipVideo), Caps());
  ASSERT_TRUE(first.ok());
  auto fewer = Answer(Parse(test_offers::kYealinkAudio), Caps(), &*first);
  EXPECT_EQ(fewer.status().message(), "re-offer has fewer m= lines than the session");
}

TEST(VideoLimits, FitsByFrameSizeMacroblockRateAndSide) {
  VideoLimits level31{.h264_level_idc = 0x1f, .max_fs = 3600, .max_mbps = 108000};
  EXPECT_TRUE(level31.Fits(1280, 720, 30));
  EXPECT_FALSE(level31.Fits(1280, 720, 31));
  EXPECT_FALSE(level31.Fits(1920, 1080, 15));
  // 3600 macroblocks, but 200 wide exceeds sqrt(8 * 3600) = 169.7.
  EXPECT_FALSE(level31.Fits(3200, 288, 1));
  EXPECT_TRUE(VideoLimits{}.Fits(3840, 2160, 60));
}

TEST(FillSrtpKeys, MakesDistinctKeysOfTheRightLength) {
  LocalMediaCapabilities caps;
  ASSERT_TRUE(FillSrtpKeys(caps).ok());
  ASSERT_EQ(caps.audio_keys.size(), 2u);
  ASSERT_EQ(caps.video_keys.size(), 2u);
  EXPECT_EQ(caps.audio_keys[0].key.size(), 30u);
  EXPECT_EQ(caps.audio_keys[1].suite, srtp::SrtpSuite::kAesCm128HmacSha1_32);
  EXPECT_NE(caps.audio_keys[0].key, caps.video_keys[0].key);
}

}  // namespace
}  // namespace tessera::sip
