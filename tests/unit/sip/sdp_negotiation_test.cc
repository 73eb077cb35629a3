#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tessera/sip/sdp_negotiation.h>
#include <tessera/srtp/sdes.h>

#include <string>

#include "unit/sip/sdp_test_offers.h"

namespace tessera::sip {
namespace {

using rtp::Codec;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<uint8_t> Bytes(uint8_t first) {
  std::vector<uint8_t> key(30);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(first + i);
  return key;
}

LocalMediaCapabilities Caps() {
  LocalMediaCapabilities caps;
  caps.address = "203.0.113.1";
  caps.audio_port = 40000;
  caps.video_port = 40002;
  caps.session_id = "777";
  caps.session_version = 1;
  caps.audio_keys = {{srtp::SrtpSuite::kAesCm128HmacSha1_80, Bytes(1)},
                     {srtp::SrtpSuite::kAesCm128HmacSha1_32, Bytes(2)}};
  caps.video_keys = {{srtp::SrtpSuite::kAesCm128HmacSha1_80, Bytes(3)},
                     {srtp::SrtpSuite::kAesCm128HmacSha1_32, Bytes(4)}};
  return caps;
}

SessionDescription Parse(std::string_view text) {
  auto sdp = ParseSdp(text);
  EXPECT_TRUE(sdp.ok()) << sdp.status().ToString();
  return sdp.ok() ? *sdp : SessionDescription{};
}

NegotiatedSession AnswerOf(std::string_view offer, const LocalMediaCapabilities& caps = Caps(),
                           const NegotiatedSession* previous = nullptr) {
  auto session = Answer(Parse(offer), caps, previous);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  if (!session.ok()) return {};
  // Whatever we answer must parse back to itself.
  auto reparsed = ParseSdp(WriteSdp(session->local));
  EXPECT_TRUE(reparsed.ok()) << reparsed.status().ToString();
  if (reparsed.ok()) {
    EXPECT_EQ(*reparsed, session->local);
  }
  return *session;
}

TEST(SdpAnswer, RoomSystemGetsG722AndH264Mode1WithItsLimits) {
  NegotiatedSession s = AnswerOf(test_offers::kRoomSystem);
  ASSERT_EQ(s.media.size(), 3u);
  ASSERT_EQ(s.local.media.size(), 3u);
  EXPECT_EQ(s.audio, 0u);
  EXPECT_EQ(s.video, 1u);
  EXPECT_FALSE(s.audio_only);
  EXPECT_FALSE(s.not_acceptable);

  const NegotiatedMedia& audio = s.media[0];
  EXPECT_EQ(audio.send.codec, Codec::kG722);  // Siren first, but Tessera lacks it.
  EXPECT_EQ(audio.send.payload_type, 9);
  EXPECT_EQ(audio.receive, audio.send);
  EXPECT_EQ(audio.send_telephone_event_pt, 101);
  EXPECT_EQ(audio.remote_address.address, "192.0.2.10");
  EXPECT_EQ(audio.remote_rtp_port, 2230);
  EXPECT_EQ(audio.remote_rtcp_port, 2231);
  EXPECT_FALSE(audio.rtcp_mux);
  EXPECT_THAT(s.local.media[0].formats, ElementsAre("9", "101"));
  EXPECT_EQ(s.local.media[0].port, 40000);

  const NegotiatedMedia& video = s.media[1];
  EXPECT_EQ(video.send.codec, Codec::kH264);
  EXPECT_EQ(video.send.payload_type, 110);  // 109 is packetization mode 0.
  EXPECT_EQ(video.send.packetization_mode, 1);
  EXPECT_FALSE(video.avpf);
  EXPECT_EQ(video.feedback, (RtcpFeedback{.fir = true, .tmmbr = true}));
  EXPECT_EQ(video.receiver_limits.h264_level_idc, 0x16);
  EXPECT_EQ(video.receiver_limits.max_fs, 8160u);
  EXPECT_EQ(video.receiver_limits.max_mbps, 245000u);
  EXPECT_EQ(video.receiver_limits.max_bitrate_bps, 1920000u);
  EXPECT_TRUE(video.receiver_limits.Fits(1920, 1080, 30));
  // No level asymmetry: we answer the offer's profile at the lower of the two levels.
  EXPECT_THAT(s.local.media[1].fmtps,
              ElementsAre(SdpFmtp{110, "profile-level-id=428016;packetization-mode=1"}));
  EXPECT_THAT(s.local.media[1].rtcp_fbs,
              ElementsAre(SdpRtcpFb{110, "ccm", "fir"}, SdpRtcpFb{110, "ccm", "tmmbr"}));

  EXPECT_FALSE(s.media[2].accepted);
  EXPECT_EQ(s.media[2].reject_reason, "unsupported media type application");
  EXPECT_EQ(s.local.media[2].port, 0);
  EXPECT_THAT(s.local.media[2].formats, ElementsAre("100"));
}

TEST(SdpAnswer, PacketizationMode0IsChosenOnlyWhenSupported) {
  LocalMediaCapabilities caps = Caps();
  caps.h264.packetization_mode_0 = true;
  NegotiatedSession s = AnswerOf(test_offers::kRoomSystem, caps);
  EXPECT_EQ(s.media[1].send.payload_type, 109);
  EXPECT_EQ(s.media[1].send.packetization_mode, 0);
}

TEST(SdpAnswer, CiscoSrtpOfferGetsOurKeyForTheFirstUsableCryptoLine) {
  NegotiatedSession s = AnswerOf(test_offers::kCiscoSrtp);
  const NegotiatedMedia& audio = s.media[0];
  ASSERT_TRUE(audio.accepted) << audio.reject_reason;
  EXPECT_EQ(audio.send.codec, Codec::kOpus);
  EXPECT_EQ(audio.send.payload_type, 114);
  EXPECT_EQ(audio.send.channels, 2u);
  // Its telephone-event/8000 beside Opus' 48 kHz clock: taken (no 48 kHz one was offered), so
  // its keypad reaches the room; the answer keeps the offer's rate.
  EXPECT_EQ(audio.send_telephone_event_pt, 101);
  EXPECT_THAT(s.local.media[0].rtpmaps, Contains(SdpRtpMap{101, "telephone-event", 8000, 0}));
  EXPECT_TRUE(audio.srtp);
  EXPECT_EQ(audio.crypto_tag, 1u);  // Tag 0 is a suite Tessera does not know.
  ASSERT_TRUE(audio.remote_key.has_value());
  EXPECT_EQ(audio.remote_key->suite, srtp::SrtpSuite::kAesCm128HmacSha1_80);
  EXPECT_EQ(audio.remote_key->key[0], 0x3d);  // RFC 4568's example key.
  EXPECT_EQ(audio.local_key, (SrtpKeyMaterial{srtp::SrtpSuite::kAesCm128HmacSha1_80, Bytes(1)}));
  ASSERT_EQ(s.local.media[0].crypto.size(), 1u);
  auto answered = srtp::ParseSdesCrypto(s.local.media[0].crypto[0]);
  ASSERT_TRUE(answered.ok());
  EXPECT_EQ(answered->tag, 1u);
  EXPECT_EQ(answered->suite, srtp::SrtpSuite::kAesCm128HmacSha1_80);
  EXPECT_EQ(answered->key, Bytes(1));
  EXPECT_EQ(s.local.media[0].proto, "RTP/SAVP");

  const NegotiatedMedia& video = s.media[1];
  ASSERT_TRUE(video.accepted) << video.reject_reason;
  EXPECT_EQ(video.local_key->key, Bytes(3));  // Each stream has its own key.
  EXPECT_EQ(video.send.payload_type, 126);
  EXPECT_EQ(video.feedback, (RtcpFeedback{.pli = true, .fir = true, .tmmbr = true}));
  EXPECT_EQ(video.receiver_limits.max_bitrate_bps, 6000000u);
  EXPECT_THAT(s.local.media[1].fmtps[0].parameters,
              HasSubstr("profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1"));
}

TEST(SdpAnswer, SdesPicksASuiteWeHaveAKeyFor) {
  LocalMediaCapabilities caps = Caps();
  caps.audio_keys = {{srtp::SrtpSuite::kAesCm128HmacSha1_32, Bytes(9)}};
  NegotiatedSession s = AnswerOf(test_offers::kSdesAudio, caps);
  ASSERT_TRUE(s.media[0].accepted);
  EXPECT_EQ(s.media[0].crypto_tag, 2u);
  EXPECT_EQ(s.media[0].send.codec, Codec::kPcmu);
  EXPECT_EQ(s.media[0].send_telephone_event_pt, 101);
  EXPECT_THAT(s.local.media[0].crypto[0], HasSubstr("2 AES_CM_128_HMAC_SHA1_32 inline:"));
}

TEST(SdpAnswer, SdesSkipsLinesWithMkiOrSessionParameters) {
  std::string offer = test_offers::kSdesAudio;
  const std::string key80 = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
  offer.replace(offer.find(key80), key80.size(), key80 + "|2^20|1:4");
  const std::string key32 = "inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk";
  offer.replace(offer.find(key32), key32.size(), key32 + " UNENCRYPTED_SRTCP");
  NegotiatedSession s = AnswerOf(offer);
  EXPECT_FALSE(s.media[0].accepted);
  EXPECT_EQ(s.media[0].reject_reason, "no acceptable a=crypto line");
  EXPECT_TRUE(s.not_acceptable);
}

TEST(SdpAnswer, SrtpPolicyDecidesBetweenPlainAndSecureOffers) {
  LocalMediaCapabilities off = Caps();
  off.srtp = SrtpPolicy::kOff;
  EXPECT_EQ(AnswerOf(test_offers::kSdesAudio, off).media[0].reject_reason, "SRTP not enabled");
  LocalMediaCapabilities required = Caps();
  required.srtp = SrtpPolicy::kRequired;
  NegotiatedSession plain = AnswerOf(test_offers::kYealinkAudio, required);
  EXPECT_EQ(plain.media[0].reject_reason, "SRTP required");
  EXPECT_TRUE(plain.not_acceptable);
  EXPECT_TRUE(AnswerOf(test_offers::kSdesAudio, required).media[0].accepted);
}

TEST(SdpAnswer, AudioOnlyPhoneJoinsWithoutVideo) {
  NegotiatedSession s = AnswerOf(test_offers::kYealinkAudio);
  EXPECT_TRUE(s.audio_only);
  EXPECT_FALSE(s.not_acceptable);
  EXPECT_EQ(s.video, std::nullopt);
  EXPECT_EQ(s.media[0].send.codec, Codec::kPcmu);
  EXPECT_EQ(s.media[0].ptime_ms, 20u);
  EXPECT_EQ(s.media[0].direction, SdpDirection::kSendRecv);
  EXPECT_FALSE(s.media[0].remote_hold);
  EXPECT_EQ(s.local.origin.session_id, "777");
  EXPECT_EQ(s.local.origin.session_version, 1u);
  EXPECT_EQ(s.local.origin.connection.address, "203.0.113.1");
}

TEST(SdpAnswer, AnswersTheOfferersFirstSupportedCodec) {
  LocalMediaCapabilities caps = Caps();
  caps.audio_codecs = {Codec::kPcma, Codec::kG722};  // Our order does not matter in answers.
  NegotiatedSession s = AnswerOf(test_offers::kYealinkAudio, caps);
  EXPECT_EQ(s.media[0].send.codec, Codec::kPcma);
}

TEST(SdpAnswer, WebRtcOfferIsRejectedBecauseDtlsIsNotSupported) {
  NegotiatedSession s = AnswerOf(test_offers::kWebRtc);
  EXPECT_TRUE(s.not_acceptable);
  ASSERT_EQ(s.local.media.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_FALSE(s.media[i].accepted);
    EXPECT_THAT(s.media[i].reject_reason, HasSubstr("no DTLS-SRTP"));
    EXPECT_EQ(s.local.media[i].port, 0);
    EXPECT_EQ(s.local.media[i].proto, "UDP/TLS/RTP/SAVPF");
  }
  EXPECT_THAT(s.local.media[1].formats, ElementsAre("96", "97"));
}

TEST(SdpAnswer, BaresipGetsOpusAndVp8WithRtcpMux) {
  NegotiatedSession s = AnswerOf(test_offers::kBaresipVideo);
  const NegotiatedMedia& audio = s.media[0];
  EXPECT_EQ(audio.send.codec, Codec::kOpus);
  EXPECT_EQ(audio.send.payload_type, 116);
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_EQ(audio.remote_rtcp_port, 10014);
  EXPECT_TRUE(s.local.media[0].rtcp_mux);
  // Its telephone-event/8000 beside Opus: answered, so its keypad reaches the room.
  EXPECT_EQ(audio.receive_telephone_event_pt, 101);
  EXPECT_THAT(s.local.media[0].fmtps,
              ElementsAre(SdpFmtp{116, "minptime=10;useinbandfec=1"}, SdpFmtp{101, "0-15"}));
  const NegotiatedMedia& video = s.media[1];
  EXPECT_EQ(video.send.codec, Codec::kVp8);
  EXPECT_EQ(video.receiver_limits.max_fs, 3600u);
  EXPECT_EQ(video.receiver_limits.max_fr, 30u);
  EXPECT_TRUE(video.receiver_limits.Fits(1280, 720, 30));
  EXPECT_FALSE(video.receiver_limits.Fits(1920, 1080, 30));
  EXPECT_EQ(video.feedback, (RtcpFeedback{.pli = true, .fir = true}));

  LocalMediaCapabilities h264_only = Caps();
  h264_only.video_codecs = {Codec::kH264};
  h264_only.rtcp_mux = false;
  NegotiatedSession h = AnswerOf(test_offers::kBaresipVideo, h264_only);
  EXPECT_EQ(h.media[1].send.payload_type, 99);
  EXPECT_FALSE(h.media[1].rtcp_mux);
  EXPECT_EQ(h.media[1].remote_rtcp_port, 10017);
  EXPECT_FALSE(h.local.media[1].rtcp_mux);
}

TEST(SdpAnswer, RtcpFeedbackOnlyUnderAvpfWhenConfiguredSo) {
  LocalMediaCapabilities caps = Caps();
  caps.feedback_without_avpf = false;
  NegotiatedSession s = AnswerOf(test_offers::kBaresipVideo, caps);
  EXPECT_EQ(s.media[1].feedback, RtcpFeedback{});
  EXPECT_TRUE(s.local.media[1].rtcp_fbs.empty());
}

TEST(SdpAnswer, AsteriskH264WithoutFmtpMeansMode0) {
  NegotiatedSession s = AnswerOf(test_offers::kAsterisk);
  EXPECT_EQ(s.media[0].send.codec, Codec::kG722);
  EXPECT_EQ(s.media[0].send_telephone_event_pt, 101);
  EXPECT_EQ(s.media[0].maxptime_ms, 150u);
  EXPECT_FALSE(s.media[1].accepted);
  EXPECT_EQ(s.media[1].reject_reason,
            "no supported codec; offered H264 (packetization-mode 0), H263; to accept it, add a "
            "video profile: H264 with single_nal: true");
  EXPECT_TRUE(s.audio_only);

  LocalMediaCapabilities caps = Caps();
  caps.h264.packetization_mode_0 = true;
  NegotiatedSession with_mode0 = AnswerOf(test_offers::kAsterisk, caps);
  ASSERT_TRUE(with_mode0.media[1].accepted);
  EXPECT_EQ(with_mode0.media[1].send.packetization_mode, 0);
  EXPECT_EQ(with_mode0.media[1].receiver_limits.h264_level_idc, 0x1f);  // Assumed, see sdp_codecs.
}

TEST(SdpAnswer, FreeSwitchGetsOpusWithWidebandDtmfAndAvpfFeedback) {
  NegotiatedSession s = AnswerOf(test_offers::kFreeSwitch);
  EXPECT_EQ(s.media[0].send.codec, Codec::kOpus);
  EXPECT_EQ(s.media[0].send_telephone_event_pt, 101);
  EXPECT_THAT(s.local.media[0].rtpmaps, ElementsAre(SdpRtpMap{102, "opus", 48000, 2},
                                                    SdpRtpMap{101, "telephone-event", 48000, 0}));
  const NegotiatedMedia& video = s.media[1];
  EXPECT_TRUE(video.avpf);
  EXPECT_EQ(video.send.codec, Codec::kVp8);
  EXPECT_EQ(video.feedback, (RtcpFeedback{.nack = true, .pli = true, .fir = true, .remb = true}));
  EXPECT_EQ(video.remote_rtcp_port, 22415);
  EXPECT_EQ(video.remote_rtcp_address->address, "203.0.113.8");
  EXPECT_EQ(video.receiver_limits.max_bitrate_bps, 3072000u);
  EXPECT_EQ(s.local.media[1].proto, "RTP/AVPF");
}

TEST(SdpAnswer, OnlyUnsupportedCodecsIsNotAcceptable) {
  NegotiatedSession s = AnswerOf(test_offers::kUnsupportedCodecs);
  EXPECT_TRUE(s.not_acceptable);
  EXPECT_TRUE(s.audio_only);
  EXPECT_THAT(s.local.media[0].formats, ElementsAre("18", "4"));
  EXPECT_EQ(s.local.media[0].port, 0);
  EXPECT_EQ(s.local.media[1].port, 0);
  // What the offer had, and what Tessera takes: no config change would help.
  EXPECT_EQ(s.media[0].reject_reason,
            "no supported codec; offered G729, G723; Tessera takes opus, G722, PCMU, PCMA");
  EXPECT_EQ(s.media[1].reject_reason,
            "no supported codec; offered H263; Tessera sends only VP8, VP9 profile 0 and H264 that "
            "a constrained baseline decoder takes, in packetization-mode 0 or 1");
}

// Linphone's video (H.264 in mode 0, VP8) in a room whose only profiles are H.264 in mode 1: the
// decline says what the offer had and which profile would take it; either one does.
TEST(SdpAnswer, DeclinedVideoSaysWhatWasOfferedAndWhichProfileWouldTakeIt) {
  LocalMediaCapabilities caps = Caps();
  caps.video_codecs = {Codec::kH264};
  NegotiatedSession s = AnswerOf(test_offers::kLinphoneVideo, caps);
  ASSERT_TRUE(s.media[0].accepted) << s.media[0].reject_reason;
  EXPECT_FALSE(s.media[1].accepted);
  EXPECT_TRUE(s.audio_only);
  EXPECT_EQ(s.media[1].reject_reason,
            "no supported codec; offered H264 (packetization-mode 0, profile-level-id 42801f), "
            "VP8; to accept it, add a video profile: H264 with single_nal: true, or VP8");

  caps.h264.packetization_mode_0 = true;  // a single_nal profile
  NegotiatedSession mode0 = AnswerOf(test_offers::kLinphoneVideo, caps);
  ASSERT_TRUE(mode0.media[1].accepted) << mode0.media[1].reject_reason;
  EXPECT_EQ(mode0.media[1].send.codec, Codec::kH264);
  EXPECT_EQ(mode0.media[1].send.packetization_mode, 0);

  caps.h264.packetization_mode_0 = false;
  caps.video_codecs = {Codec::kH264, Codec::kVp8};  // a VP8 profile
  NegotiatedSession vp8 = AnswerOf(test_offers::kLinphoneVideo, caps);
  ASSERT_TRUE(vp8.media[1].accepted) << vp8.media[1].reject_reason;
  EXPECT_EQ(vp8.media[1].send.codec, Codec::kVp8);
}

// A browser behind a gateway offers VP9 profile 2 before profile 0 (libwebrtc's order): a room
// with a VP9 profile takes profile 0, which it sends, and both directions use it.
TEST(SdpAnswer, Vp9TakesProfileZeroOnly) {
  const std::string offer =
      "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
      "m=video 4000 RTP/AVPF 98 100 96\na=rtpmap:98 VP9/90000\na=fmtp:98 profile-id=2\n"
      "a=rtpmap:100 VP9/90000\na=fmtp:100 profile-id=0;max-fs=1200;max-fr=15\n"
      "a=rtpmap:96 VP8/90000\na=rtcp-fb:* nack pli\n";
  LocalMediaCapabilities caps = Caps();
  caps.video_codecs = {Codec::kH264, Codec::kVp9};
  caps.vp9 = {.max_fs = 8160, .max_fr = 30};
  NegotiatedSession s = AnswerOf(offer, caps);
  ASSERT_TRUE(s.media[0].accepted) << s.media[0].reject_reason;
  EXPECT_EQ(s.media[0].send.codec, Codec::kVp9);
  EXPECT_EQ(s.media[0].send.payload_type, 100);
  EXPECT_THAT(s.local.media[0].formats, ElementsAre("100"));
  EXPECT_EQ(s.local.media[0].FindFmtp(100)->parameters, "profile-id=0;max-fs=8160;max-fr=30");
  EXPECT_EQ(s.media[0].receiver_limits.max_fs, 1200u);
  EXPECT_EQ(s.media[0].receiver_limits.max_fr, 15u);
  EXPECT_EQ(s.media[0].feedback, (RtcpFeedback{.pli = true}));

  // Without a VP9 profile: declined, with the profile that would take it; profile 2 is shown
  // and would not.
  caps.video_codecs = {Codec::kH264};
  NegotiatedSession declined = AnswerOf(offer, caps);
  EXPECT_FALSE(declined.media[0].accepted);
  EXPECT_EQ(declined.media[0].reject_reason,
            "no supported codec; offered VP9 (profile-id 2), VP9, VP8; to accept it, add a video "
            "profile: VP8, or VP9");
}

TEST(SdpAnswer, DeclinedH264InAVp8RoomAsksForAnH264Profile) {
  LocalMediaCapabilities caps = Caps();
  caps.video_codecs = {Codec::kVp8};
  NegotiatedSession s = AnswerOf(test_offers::kRoomSystem, caps);
  EXPECT_FALSE(s.media[1].accepted);
  EXPECT_EQ(s.media[1].reject_reason,
            "no supported codec; offered H264 (packetization-mode 0, profile-level-id 428016), "
            "H264 (packetization-mode 1, profile-level-id 428016), H263; to accept it, add a "
            "video profile: H264");
}

TEST(SdpAnswer, AcceptsOneAudioAndOneVideoStream) {
  NegotiatedSession s = AnswerOf(test_offers::kManyStreams);
  ASSERT_EQ(s.local.media.size(), 6u);
  EXPECT_EQ(s.audio, 0u);
  EXPECT_EQ(s.video, 2u);
  EXPECT_EQ(s.media[1].reject_reason, "one audio stream per participant");
  EXPECT_EQ(s.media[3].reject_reason, "one video stream per participant");
  EXPECT_EQ(s.media[4].reject_reason, "unsupported media type application");
  EXPECT_EQ(s.media[5].reject_reason, "unsupported media type image");
  EXPECT_THAT(s.local.media[4].formats, ElementsAre("*"));
  EXPECT_EQ(s.media[2].remote_address.addrtype, "IP6");
  // High profile decoders take constrained baseline: answered with the offer's profile.
  EXPECT_THAT(s.local.media[2].fmtps[0].parameters, HasSubstr("profile-level-id=64001f"));
  // Without level asymmetry both directions use the common level 3.1, not the offer's 4.0.
  EXPECT_EQ(s.media[2].receiver_limits.h264_level_idc, 0x1f);
  EXPECT_EQ(s.media[2].receiver_limits.max_fs, 3600u);
  EXPECT_FALSE(s.media[2].receiver_limits.Fits(1920, 1080, 30));
}

TEST(SdpAnswer, AudioOnlyRoomRejectsVideo) {
  LocalMediaCapabilities caps = Caps();
  caps.video = false;
  NegotiatedSession s = AnswerOf(test_offers::kBaresipVideo, caps);
  EXPECT_TRUE(s.audio_only);
  EXPECT_EQ(s.media[1].reject_reason, "audio-only room");
}

TEST(SdpAnswer, RejectsUnsupportedH264ProfilesAndMoreThanOnePort) {
  std::string offer =
      "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
      "m=video 4000 RTP/AVP 96\na=rtpmap:96 H264/90000\n"
      "a=fmtp:96 profile-level-id=f4001f;packetization-mode=1\n"
      "m=video 4002/2 RTP/AVP 97\na=rtpmap:97 VP8/90000\n";
  NegotiatedSession s = AnswerOf(offer);
  EXPECT_EQ(s.media[0].reject_reason,
            "no supported codec; offered H264 (packetization-mode 1, profile-level-id f4001f); "
            "Tessera sends only VP8, VP9 profile 0 and H264 that a constrained baseline decoder "
            "takes, in packetization-mode 0 or 1");
  EXPECT_EQ(s.media[1].reject_reason, "more than one port per stream");
}

TEST(SdpAnswer, KeepsTheSpropParameterSetsOfTheChosenH264Format) {
  // Mode 0 (not taken here) and mode 1 each with their own parameter sets; Tessera's answer
  // carries none (it states what the peer sends).
  const std::string offer =
      "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
      "m=video 4000 RTP/AVP 96 97\na=rtpmap:96 H264/90000\n"
      "a=fmtp:96 packetization-mode=0;sprop-parameter-sets=Z0IAHg==,aM4="
      "\na=rtpmap:97 H264/90000\n"
      "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1;"
      "sprop-parameter-sets=Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=,aOvjyyLA\n";
  NegotiatedSession s = AnswerOf(offer);
  ASSERT_TRUE(s.video);
  const NegotiatedMedia& video = s.media[*s.video];
  EXPECT_EQ(video.receive.payload_type, 97);
  EXPECT_EQ(video.receive_sprop_parameter_sets, "Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=,aOvjyyLA");
  EXPECT_THAT(s.local.media[0].fmtps[0].parameters, ::testing::Not(HasSubstr("sprop")));

  // None given, or not H.264: none kept.
  NegotiatedSession plain = AnswerOf(test_offers::kRoomSystem);
  EXPECT_EQ(plain.media[1].receive_sprop_parameter_sets, "");
}

}  // namespace
}  // namespace tessera::sip
