#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tessera/webrtc/browser_sdp.h>

#include <string>

#include "unit/webrtc/browser_sdp_test_offers.h"
#include "unit/webrtc/browser_sdp_test_util.h"

namespace tessera::webrtc {
namespace {

using rtp::Codec;
using sip::SdpDirection;
using test_util::AnswerOf;
using test_util::PublishParams;
using test_util::ViewParams;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(BrowserSdp, ChromePublishGetsOpusAndFirstH264Mode1WithRtx) {
  const BrowserAnswer a = AnswerOf(test_offers::kChromePublish, PublishParams());
  ASSERT_TRUE(a.audio && a.video);
  EXPECT_EQ(a.audio->mid, "0");
  EXPECT_EQ(a.audio->codec, Codec::kOpus);
  EXPECT_EQ(a.audio->payload_type, 111);
  EXPECT_EQ(a.audio->clock_rate, 48000u);
  EXPECT_EQ(a.audio->channels, 2u);
  EXPECT_EQ(a.audio->answer_fmtp, "minptime=10;useinbandfec=1");
  EXPECT_TRUE(a.audio->opus_useinbandfec);
  EXPECT_FALSE(a.audio->opus_usedtx);
  EXPECT_EQ(a.audio->direction, SdpDirection::kRecvOnly);
  EXPECT_EQ(a.audio->extensions, (HeaderExtensionIds{.mid = 4,
                                                     .audio_level = 1,
                                                     .transport_cc = 3,
                                                     .abs_send_time = 2,
                                                     .rtp_stream_id = 0,
                                                     .repaired_rtp_stream_id = 0}));
  EXPECT_TRUE(a.audio->feedback.transport_cc);
  EXPECT_THAT(a.audio->remote_ssrcs, ElementsAre(1001429871u));
  EXPECT_EQ(a.audio->remote_cname, "kX2pYb1n7cQm9T3v");

  // 102 is the first H.264 format in packetization-mode 1 (42001f, baseline).
  EXPECT_EQ(a.video->mid, "1");
  EXPECT_EQ(a.video->codec, Codec::kH264);
  EXPECT_EQ(a.video->payload_type, 102);
  EXPECT_EQ(a.video->h264_packetization_mode, 1);
  EXPECT_EQ(a.video->rtx_payload_type, 103);
  EXPECT_EQ(a.video->answer_fmtp,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42002a");
  EXPECT_EQ(a.video->extensions, (HeaderExtensionIds{.mid = 4,
                                                     .audio_level = 0,
                                                     .transport_cc = 3,
                                                     .abs_send_time = 2,
                                                     .rtp_stream_id = 10,
                                                     .repaired_rtp_stream_id = 11}));
  EXPECT_EQ(a.video->feedback,
            (RtcpFeedbackSet{
                .nack = true, .pli = true, .fir = true, .transport_cc = true, .remb = true}));
  EXPECT_TRUE(a.video->rtcp_rsize);
  EXPECT_THAT(a.video->remote_ssrcs, ElementsAre(2982473181u, 1652325853u));
  EXPECT_THAT(a.video->remote_rtx_ssrcs, ElementsAre(SsrcPair{2982473181u, 1652325853u}));
  EXPECT_FALSE(a.video->simulcast);

  EXPECT_THAT(a.bundle_mids, ElementsAre("0", "1"));
  EXPECT_EQ(a.remote_ice_ufrag, "Hx7d");
  EXPECT_EQ(a.remote_ice_pwd, "vHX0C9ZlV1+kQyD4iQ3bJ7Hn");
  ASSERT_EQ(a.remote_fingerprints.size(), 1u);
  EXPECT_EQ(a.remote_fingerprints[0].algorithm, "sha-256");
  EXPECT_THAT(a.remote_fingerprints[0].value, ::testing::StartsWith("7B:8B:F0:65"));
  EXPECT_EQ(a.dtls_role, DtlsRole::kServer);
  EXPECT_TRUE(a.rejected.empty());
}

// A bundled section other than the first may leave the transport's attributes out (RFC 8843),
// and one section may list more hash functions than another: the same certificate either way.
TEST(BrowserSdp, BundledSectionsMayOmitOrAddFingerprintsOfTheSameCertificate) {
  const std::string chrome(test_offers::kChromePublish);
  const size_t first = chrome.find("a=fingerprint:");
  const size_t second = chrome.find("a=fingerprint:", first + 1);
  ASSERT_NE(second, std::string::npos);
  std::string without = chrome;
  without.erase(second, chrome.find('\n', second) + 1 - second);
  const BrowserAnswer a = AnswerOf(without, PublishParams());
  ASSERT_EQ(a.remote_fingerprints.size(), 1u);
  EXPECT_THAT(a.remote_fingerprints[0].value, ::testing::StartsWith("7B:8B:F0:65"));

  std::string more = chrome;
  more.insert(chrome.find('\n', first) + 1,
              "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\n");
  const BrowserAnswer b = AnswerOf(more, PublishParams());
  ASSERT_EQ(b.remote_fingerprints.size(), 2u);
  EXPECT_EQ(b.remote_fingerprints[1].algorithm, "sha-1");
}

TEST(BrowserSdp, ChromePublishAnswerText) {
  const BrowserAnswer a = AnswerOf(test_offers::kChromePublish, PublishParams());
  const std::string& sdp = a.sdp;
  EXPECT_THAT(sdp, ::testing::StartsWith("v=0\r\no=tessera 5150 1 IN IP4 203.0.113.7\r\n"));
  EXPECT_THAT(sdp, HasSubstr("c=IN IP4 203.0.113.7\r\n"));
  EXPECT_THAT(sdp, HasSubstr("a=ice-lite\r\na=group:BUNDLE 0 1\r\n"));
  EXPECT_THAT(sdp, HasSubstr("m=audio 40000 UDP/TLS/RTP/SAVPF 111\r\n"));
  EXPECT_THAT(sdp, HasSubstr("m=video 40000 UDP/TLS/RTP/SAVPF 102 103\r\n"));
  EXPECT_THAT(sdp, HasSubstr("a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1"));
  EXPECT_THAT(sdp, HasSubstr("a=rtpmap:103 rtx/90000\r\n"));
  EXPECT_THAT(sdp, HasSubstr("a=fmtp:103 apt=102\r\n"));
  EXPECT_THAT(sdp, HasSubstr("a=rtcp-fb:102 nack pli\r\n"));
  EXPECT_THAT(sdp, HasSubstr("a=rtcp-fb:102 transport-cc\r\n"));
  EXPECT_THAT(sdp, HasSubstr("a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"));
  EXPECT_THAT(sdp, Not(HasSubstr("toffset")));
  EXPECT_THAT(sdp, HasSubstr("a=recvonly\r\n"));
  EXPECT_THAT(sdp, Not(HasSubstr("sendonly")));
  EXPECT_THAT(sdp, HasSubstr("a=mid:1\r\na=ice-ufrag:tSrA\r\na=ice-pwd:Xq9uV2mL7pR4sT1wY6zB3cD8\r\n"
                             "a=fingerprint:sha-256 0F:1E:2D:3C"));
  EXPECT_THAT(sdp, HasSubstr("a=setup:passive\r\n"));
  EXPECT_THAT(sdp, HasSubstr("a=rtcp-mux\r\n"));
  EXPECT_THAT(sdp, HasSubstr("a=rtcp-rsize\r\n"));
  EXPECT_THAT(sdp, HasSubstr("a=candidate:1 1 udp 2130706431 203.0.113.7 40000 typ host\r\n"
                             "a=candidate:2 1 tcp 2124414719 203.0.113.7 443 typ host tcptype "
                             "passive\r\na=end-of-candidates\r\n"));
  EXPECT_THAT(sdp, Not(HasSubstr("a=ssrc")));  // We send nothing to a publisher.
  EXPECT_THAT(sdp, Not(HasSubstr("ice-options")));
}

TEST(BrowserSdp, PublishTakesVideoInOurOrder) {
  AnswerParams params = PublishParams();
  params.video_codecs = {Codec::kVp9, Codec::kVp8};
  BrowserAnswer a = AnswerOf(test_offers::kChromePublish, params);
  ASSERT_TRUE(a.video);
  EXPECT_EQ(a.video->codec, Codec::kVp9);
  EXPECT_EQ(a.video->payload_type, 98);  // Profile 0; 100 is profile 2.
  EXPECT_EQ(a.video->rtx_payload_type, 99);
  EXPECT_EQ(a.video->answer_fmtp, "profile-id=0");

  params.video_codecs = {Codec::kAv1};
  a = AnswerOf(test_offers::kChromePublish, params);
  ASSERT_TRUE(a.video);
  EXPECT_EQ(a.video->payload_type, 45);
  EXPECT_EQ(a.video->rtx_payload_type, 46);
  EXPECT_EQ(a.video->answer_fmtp, "level-idx=5;profile=0;tier=0");
}

TEST(BrowserSdp, PublishPrefersH264Mode1OverAnEarlierMode0) {
  // 104 (mode 0) now comes before 102 (mode 1).
  const std::string offer = test_util::Replace(
      test_offers::kChromePublish, "96 97 98 99 100 101 102 103 104 105", "104 105 102 103");
  const BrowserAnswer a = AnswerOf(offer, PublishParams());
  ASSERT_TRUE(a.video);
  EXPECT_EQ(a.video->payload_type, 102);
}

TEST(BrowserSdp, PublishWithoutRtxLeavesItOut) {
  AnswerParams params = PublishParams();
  params.rtx = false;
  params.feedback.transport_cc = false;
  const BrowserAnswer a = AnswerOf(test_offers::kChromePublish, params);
  ASSERT_TRUE(a.video);
  EXPECT_FALSE(a.video->rtx_payload_type);
  EXPECT_FALSE(a.video->feedback.transport_cc);
  EXPECT_EQ(a.video->extensions.transport_cc, 0);
  EXPECT_THAT(a.sdp, Not(HasSubstr("rtx")));
  EXPECT_THAT(a.sdp, Not(HasSubstr("transport-cc")));
  EXPECT_THAT(a.sdp, Not(HasSubstr("transport-wide-cc")));
}

TEST(BrowserSdp, OpusDtxIsAnsweredWhenOffered) {
  const std::string offer =
      test_util::Replace(test_offers::kChromePublish, "a=fmtp:111 minptime=10;useinbandfec=1",
                         "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1");
  const BrowserAnswer a = AnswerOf(offer, PublishParams());
  ASSERT_TRUE(a.audio);
  EXPECT_TRUE(a.audio->opus_usedtx);
  EXPECT_EQ(a.audio->answer_fmtp, "minptime=10;useinbandfec=1;usedtx=1");
}

TEST(BrowserSdp, FirefoxPublishRejectsTheDataChannel) {
  const BrowserAnswer a = AnswerOf(test_offers::kFirefoxPublish, PublishParams());
  ASSERT_TRUE(a.audio && a.video);
  EXPECT_EQ(a.audio->payload_type, 109);
  EXPECT_TRUE(a.audio->opus_stereo);
  EXPECT_EQ(a.audio->extensions.audio_level, 1);
  EXPECT_EQ(a.audio->extensions.mid, 3);
  EXPECT_EQ(a.video->codec, Codec::kH264);
  EXPECT_EQ(a.video->payload_type, 126);
  EXPECT_EQ(a.video->rtx_payload_type, 127);
  EXPECT_EQ(a.video->extensions.transport_cc, 7);
  EXPECT_THAT(a.video->remote_rtx_ssrcs, ElementsAre(SsrcPair{1822424427u, 1370318387u}));
  // The session-level fingerprint counts.
  ASSERT_EQ(a.remote_fingerprints.size(), 1u);
  EXPECT_EQ(a.remote_ice_ufrag, "5a1e3f4b");

  EXPECT_THAT(a.bundle_mids, ElementsAre("0", "1"));
  ASSERT_EQ(a.description.media.size(), 3u);
  const sip::MediaDescription& data = a.description.media[2];
  EXPECT_EQ(data.port, 0);
  EXPECT_EQ(data.proto, "UDP/DTLS/SCTP");
  EXPECT_THAT(data.attributes, ElementsAre(sip::SdpAttribute{"mid", "2"}));
  ASSERT_EQ(a.rejected.size(), 1u);
  EXPECT_THAT(a.rejected[0], HasSubstr("no data channels"));
  EXPECT_THAT(a.sdp, HasSubstr("a=group:BUNDLE 0 1\r\n"));
  EXPECT_THAT(a.sdp, HasSubstr("m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n"));
}

TEST(BrowserSdp, ChromeViewOfVp8RoomIsSendonlyWithOurSsrcs) {
  const BrowserAnswer a = AnswerOf(test_offers::kChromeView, ViewParams({Codec::kVp8}));
  ASSERT_TRUE(a.audio && a.video);
  EXPECT_EQ(a.audio->payload_type, 111);
  EXPECT_EQ(a.audio->direction, SdpDirection::kSendOnly);
  EXPECT_EQ(a.audio->local_ssrc, 1000u);
  EXPECT_EQ(a.video->codec, Codec::kVp8);
  EXPECT_EQ(a.video->payload_type, 96);
  EXPECT_EQ(a.video->rtx_payload_type, 97);
  EXPECT_EQ(a.video->local_ssrc, 2000u);
  EXPECT_EQ(a.video->local_rtx_ssrc, 2001u);
  EXPECT_TRUE(a.video->remote_ssrcs.empty());  // A recvonly Chromium sends none.

  EXPECT_THAT(a.sdp, HasSubstr("m=video 40000 UDP/TLS/RTP/SAVPF 96 97\r\n"));
  EXPECT_THAT(a.sdp, HasSubstr("a=sendonly\r\n"));
  EXPECT_THAT(a.sdp, Not(HasSubstr("recvonly")));
  EXPECT_THAT(a.sdp, HasSubstr("a=msid:tessera video\r\na=ssrc-group:FID 2000 2001\r\n"
                               "a=ssrc:2000 cname:tessera\r\na=ssrc:2000 msid:tessera video\r\n"
                               "a=ssrc:2001 cname:tessera\r\na=ssrc:2001 msid:tessera video\r\n"));
  EXPECT_THAT(a.sdp, HasSubstr("a=msid:tessera audio\r\na=ssrc:1000 cname:tessera\r\n"));
}

TEST(BrowserSdp, ViewOfH264RoomTakesConstrainedBaselineMode1) {
  const BrowserAnswer a = AnswerOf(test_offers::kChromeView, ViewParams({Codec::kH264}));
  ASSERT_TRUE(a.video);
  EXPECT_EQ(a.video->payload_type, 106);  // 42e01f mode 1, not 42001f (102), not mode 0 (108).
  EXPECT_EQ(a.video->rtx_payload_type, 107);
  EXPECT_EQ(a.video->answer_fmtp,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
}

TEST(BrowserSdp, ViewWithoutRtxSsrcNegotiatesNoRtx) {
  AnswerParams params = ViewParams({Codec::kVp8});
  params.view.video_rtx_ssrc = 0;
  const BrowserAnswer a = AnswerOf(test_offers::kChromeView, params);
  ASSERT_TRUE(a.video);
  EXPECT_FALSE(a.video->rtx_payload_type);
  EXPECT_THAT(a.sdp, Not(HasSubstr("ssrc-group")));
  EXPECT_THAT(a.sdp, HasSubstr("m=video 40000 UDP/TLS/RTP/SAVPF 96\r\n"));
}

TEST(BrowserSdp, AudioOnlyRoomRejectsTheViewersVideo) {
  AnswerParams params = ViewParams({});
  const BrowserAnswer a = AnswerOf(test_offers::kChromeView, params);
  ASSERT_TRUE(a.audio);
  EXPECT_FALSE(a.video);
  EXPECT_EQ(a.description.media[1].port, 0);
  EXPECT_THAT(a.bundle_mids, ElementsAre("0"));
  EXPECT_THAT(a.sdp, HasSubstr("a=group:BUNDLE 0\r\n"));
}

TEST(BrowserSdp, SimulcastIsAnsweredWithRecvRids) {
  const BrowserAnswer a = AnswerOf(test_offers::kChromeSimulcast, PublishParams());
  EXPECT_FALSE(a.audio);
  ASSERT_TRUE(a.video);
  EXPECT_EQ(a.video->payload_type, 106);
  EXPECT_TRUE(a.video->remote_ssrcs.empty());
  EXPECT_EQ(a.video->extensions.rtp_stream_id, 10);
  EXPECT_EQ(a.video->extensions.repaired_rtp_stream_id, 11);
  ASSERT_EQ(a.video->rids.size(), 3u);
  EXPECT_EQ(a.video->rids[0].id, "q");
  ASSERT_TRUE(a.video->simulcast);
  ASSERT_EQ(a.video->simulcast->streams.size(), 3u);
  EXPECT_EQ(a.video->simulcast->streams[2], (std::vector<SimulcastRid>{{"f", false}}));
  EXPECT_THAT(a.sdp, HasSubstr("a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\n"
                               "a=simulcast:recv q;h;f\r\n"));
  EXPECT_THAT(a.bundle_mids, ElementsAre("0"));
}

TEST(BrowserSdp, SimulcastKeepsPausedStreamsAndDropsUnknownRids) {
  const std::string offer = test_util::Replace(
      test_offers::kChromeSimulcast, "a=simulcast:send q;h;f", "a=simulcast:send q;~h;x,f");
  const BrowserAnswer a = AnswerOf(offer, PublishParams());
  ASSERT_TRUE(a.video && a.video->simulcast);
  EXPECT_THAT(a.sdp, HasSubstr("a=simulcast:recv q;~h;f\r\n"));
}

TEST(BrowserSdp, WebrtcbinPublishWithBundleOnlyAudio) {
  const BrowserAnswer a = AnswerOf(test_offers::kWebrtcbinPublish, PublishParams());
  ASSERT_TRUE(a.audio && a.video);
  EXPECT_EQ(a.video->index, 0u);
  EXPECT_EQ(a.video->payload_type, 96);
  EXPECT_EQ(a.video->rtx_payload_type, 97);
  EXPECT_EQ(a.audio->index, 1u);
  EXPECT_EQ(a.audio->mid, "audio1");
  EXPECT_EQ(a.audio->codec, Codec::kOpus);  // "OPUS" in the rtpmap.
  EXPECT_EQ(a.audio->payload_type, 98);
  EXPECT_FALSE(a.audio->opus_useinbandfec);
  EXPECT_EQ(a.audio->extensions.transport_cc, 1);
  EXPECT_TRUE(a.audio->feedback.transport_cc);
  EXPECT_THAT(a.audio->remote_ssrcs, ElementsAre(3526401427u));
  EXPECT_EQ(a.audio->remote_cname, "user3094474437@host-9c4a1f0f");
  EXPECT_THAT(a.bundle_mids, ElementsAre("video0", "audio1"));
  EXPECT_EQ(a.remote_ice_ufrag, "Mq7JwXRIC9/WvYvQh2HhzqRBnDDnUYb1");
  EXPECT_THAT(a.sdp, HasSubstr("a=group:BUNDLE video0 audio1\r\n"));
  EXPECT_THAT(a.sdp, HasSubstr("m=audio 40000 UDP/TLS/RTP/SAVPF 98\r\n"));
}

TEST(BrowserSdp, SecondVideoLineIsRejectedAndLeftOutOfTheBundle) {
  const std::string base = test_offers::kChromeSimulcast;
  const std::string section = base.substr(base.find("m=video"));
  std::string offer = test_util::Replace(base, "a=group:BUNDLE 0", "a=group:BUNDLE 0 1") +
                      test_util::Replace(section, "a=mid:0", "a=mid:1");
  const BrowserAnswer a = AnswerOf(offer, PublishParams());
  ASSERT_TRUE(a.video);
  EXPECT_EQ(a.video->mid, "0");
  ASSERT_EQ(a.description.media.size(), 2u);
  EXPECT_EQ(a.description.media[1].port, 0);
  EXPECT_THAT(a.bundle_mids, ElementsAre("0"));
  ASSERT_EQ(a.rejected.size(), 1u);
  EXPECT_THAT(a.rejected[0], HasSubstr("one video stream"));
}

TEST(BrowserSdp, PassiveOfferMakesUsTheDtlsClient) {
  const std::string offer =
      test_util::Replace(test_offers::kChromePublish, "a=setup:actpass", "a=setup:passive");
  const BrowserAnswer a = AnswerOf(offer, PublishParams());
  EXPECT_EQ(a.dtls_role, DtlsRole::kClient);
  EXPECT_THAT(a.sdp, HasSubstr("a=setup:active\r\n"));
}

TEST(BrowserSdp, RandomSessionIdWhenNoneIsGiven) {
  AnswerParams params = PublishParams();
  params.session_id.clear();
  params.candidates.clear();
  const BrowserAnswer a = AnswerOf(test_offers::kChromePublish, params);
  EXPECT_FALSE(a.description.origin.session_id.empty());
  // Without candidates: the discard port and no address.
  EXPECT_THAT(a.sdp, HasSubstr("c=IN IP4 0.0.0.0\r\n"));
  EXPECT_THAT(a.sdp, HasSubstr("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
}

TEST(BrowserSdp, BrowserLimitsTakeMoreFormatsThanSipOnes) {
  const std::string offer =
      test_util::Replace(test_offers::kChromeView, "108 109 45 46",
                         "108 109 45 46 35 36 37 38 41 42 43 44 47 48 49 50 51 52 53 54 55 56 57 "
                         "58 59 60 61 62 64 65 66 67");
  EXPECT_FALSE(sip::ParseSdp(offer).ok());
  const BrowserAnswer a = AnswerOf(offer, ViewParams({Codec::kVp8}));
  EXPECT_TRUE(a.video);
}

TEST(BrowserSdp, DescribeOfferCodecsGroupsProfiles) {
  auto offer = ParseBrowserOffer(test_offers::kChromePublish);
  ASSERT_TRUE(offer.ok()) << offer.status().ToString();
  EXPECT_EQ(DescribeOfferCodecs(offer->media[0]), "opus, G722, PCMU, PCMA");
  EXPECT_EQ(DescribeOfferCodecs(offer->media[1]),
            "VP8, VP9 (profile 0, 2), H264 (profile 42001f mode 1, 42001f mode 0, 42e01f mode 1, "
            "42e01f mode 0, 4d001f mode 1, 4d001f mode 0, 640c1f mode 1, 64001f mode 1), "
            "AV1 (profile 0)");
  sip::MediaDescription empty;
  EXPECT_EQ(DescribeOfferCodecs(empty), "no codec");
}

}  // namespace
}  // namespace tessera::webrtc
