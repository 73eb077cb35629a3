// From a negotiated SIP session to the room participant it joins as, and back on a re-INVITE.
#include "sipua/sip_media.h"

#include <gtest/gtest.h>
#include <tessera/sip/sdp.h>

namespace tessera::sipua {
namespace {

RoomConfig Room() {
  RoomConfig room;
  room.name = "main";
  room.video.emplace();
  room.video->profiles.push_back(
      {.name = "hd", .codec = rtp::Codec::kH264, .width = 1280, .height = 720, .fps = 30});
  room.video->profiles.push_back(
      {.name = "sd", .codec = rtp::Codec::kH264, .width = 640, .height = 360, .fps = 15});
  room.video->profiles.push_back(
      {.name = "vp8", .codec = rtp::Codec::kVp8, .width = 640, .height = 360, .fps = 30});
  return room;
}

sip::NegotiatedSession Negotiate(const std::string& offer_text, const RoomConfig& room) {
  auto offer = sip::ParseSdp(offer_text);
  EXPECT_TRUE(offer.ok()) << offer.status().message();
  auto caps = RoomCapabilities(room, SipConfig{}, "192.0.2.1", 30000, 30002);
  auto session = sip::Answer(*offer, caps);
  EXPECT_TRUE(session.ok()) << session.status().message();
  return *session;
}

const char* kPhoneOffer =
    "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 9 0 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
    "m=video 4002 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n"
    "a=fmtp:99 profile-level-id=42e01e;packetization-mode=1\r\n";

TEST(SipMedia, PhoneOfferBecomesAParticipantWithItsCodecsAndPorts) {
  const RoomConfig room = Room();
  const auto session = Negotiate(kPhoneOffer, room);
  auto pc = ParticipantFor(room, session, "alice", 30000, 30002);
  ASSERT_TRUE(pc.ok()) << pc.status().message();
  EXPECT_EQ(pc->config.name, "alice");
  EXPECT_EQ(pc->config.remote_address, "198.51.100.7");
  EXPECT_EQ(pc->config.remote_rtp_port, 4000);
  EXPECT_EQ(pc->config.local_port, 30000);
  EXPECT_EQ(pc->config.audio_codec, rtp::Codec::kG722);
  EXPECT_EQ(pc->config.audio_payload_type, 9);
  EXPECT_EQ(pc->options.telephone_event_pt, 101);
  EXPECT_FALSE(pc->config.srtp.has_value());
  ASSERT_TRUE(pc->config.video.has_value());
  EXPECT_EQ(pc->config.video->local_port, 30002);
  EXPECT_EQ(pc->config.video->remote_rtp_port, 4002);
  EXPECT_EQ(pc->config.video->codec, rtp::Codec::kH264);
  EXPECT_EQ(pc->config.video->payload_type, 99);
  EXPECT_EQ(pc->config.video->receive_payload_type, 99);
  EXPECT_TRUE(pc->config.video->send);
  // No a=rtcp-fb: the phone is asked for keyframes by SIP INFO, never by PLI or FIR.
  EXPECT_FALSE(pc->options.video_pli);
  EXPECT_FALSE(pc->options.video_fir);
  // Level 3.0 (0x1e) holds 720p only at up to ~20 fps: the 720p30 profile does not fit.
  EXPECT_EQ(pc->config.video->profile, "sd");
}

TEST(SipMedia, TheOffersSpropParameterSetsGoToTheCamerasVideo) {
  const RoomConfig room = Room();
  std::string offer = kPhoneOffer;
  const std::string fmtp = "packetization-mode=1\r\n";
  offer.insert(offer.find(fmtp) + fmtp.size() - 2,
               ";sprop-parameter-sets=Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=,aOvjyyLA");
  auto pc = ParticipantFor(room, Negotiate(offer, room), "alice", 30000, 30002);
  ASSERT_TRUE(pc.ok()) << pc.status().message();
  ASSERT_TRUE(pc->config.video.has_value());
  EXPECT_EQ(pc->config.video->sprop_parameter_sets,
            "Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=,aOvjyyLA");
  // Without them in the offer: none.
  auto plain = ParticipantFor(room, Negotiate(kPhoneOffer, room), "alice", 30000, 30002);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  ASSERT_TRUE(plain->config.video.has_value());
  EXPECT_EQ(plain->config.video->sprop_parameter_sets, "");
}

TEST(SipMedia, KeyframeRequestsAreOnlyThoseTheCameraNegotiated) {
  const RoomConfig room = Room();
  std::string offer = kPhoneOffer;
  offer += "a=rtcp-fb:* nack pli\r\n";
  const auto session = Negotiate(offer, room);
  auto pc = ParticipantFor(room, session, "dave", 30000, 30002);
  ASSERT_TRUE(pc.ok());
  ASSERT_TRUE(pc->config.video.has_value());
  EXPECT_TRUE(pc->options.video_pli);
  EXPECT_FALSE(pc->options.video_fir);  // never sent a FIR it did not offer
}

TEST(SipMedia, AudioOnlyRoomRejectsVideoAndJoinsAudioOnly) {
  RoomConfig room = Room();
  room.video.reset();
  const auto session = Negotiate(kPhoneOffer, room);
  ASSERT_TRUE(session.video == std::nullopt);
  auto pc = ParticipantFor(room, session, "bob", 30000, 0);
  ASSERT_TRUE(pc.ok());
  EXPECT_FALSE(pc->config.video.has_value());
  EXPECT_TRUE(pc->config.has_audio);
  EXPECT_NE(sip::WriteSdp(session.local).find("m=video 0 "), std::string::npos);
}

TEST(SipMedia, SdesKeysGoOnePerDirection) {
  const std::string offer =
      "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
      "m=audio 4000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n";
  RoomConfig room = Room();
  room.video.reset();
  auto caps = RoomCapabilities(room, SipConfig{}, "192.0.2.1", 30000, 0);
  ASSERT_TRUE(sip::FillSrtpKeys(caps).ok());
  auto session = sip::Answer(*sip::ParseSdp(offer), caps);
  ASSERT_TRUE(session.ok());
  auto pc = ParticipantFor(room, *session, "carol", 30000, 0);
  ASSERT_TRUE(pc.ok());
  ASSERT_TRUE(pc->config.srtp.has_value());
  EXPECT_EQ(pc->config.srtp->suite, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(pc->config.srtp->key, "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
  EXPECT_EQ(pc->config.srtp->send_key.rfind("inline:", 0), 0u);
  EXPECT_NE(pc->config.srtp->send_key, pc->config.srtp->key);
}

TEST(SipMedia, HoldSendsNothingAndResumeRestoresTheAddress) {
  const RoomConfig room = Room();
  std::string held = kPhoneOffer;
  held.replace(held.find("m=video"), 0, "a=sendonly\r\n");
  held += "a=sendonly\r\n";
  const auto on_hold = Negotiate(held, room);
  EXPECT_EQ(RemoteFor(on_hold).address, "0.0.0.0");
  const auto resumed = Negotiate(kPhoneOffer, room);
  const RemoteUpdate r = RemoteFor(resumed);
  EXPECT_EQ(r.address, "198.51.100.7");
  EXPECT_EQ(r.audio_rtp_port, 4000);
  EXPECT_EQ(r.audio_rtcp_port, 4001);
  EXPECT_EQ(r.video_rtp_port, 4002);
}

TEST(SipMedia, ProfileIsTheLargestThatFitsElseTheSmallest) {
  const RoomConfig room = Room();
  EXPECT_EQ(PickProfile(*room.video, rtp::Codec::kH264, {}), "hd");
  sip::VideoLimits tiny;
  tiny.max_fs = 99;  // QCIF
  EXPECT_EQ(PickProfile(*room.video, rtp::Codec::kH264, tiny), "sd");
  sip::VideoLimits slow;
  slow.max_bitrate_bps = 100'000;
  EXPECT_EQ(PickProfile(*room.video, rtp::Codec::kH264, slow), "sd");
  EXPECT_EQ(PickProfile(*room.video, rtp::Codec::kVp8, {}), "vp8");
}

// A VP9 profile (a small composite for weak links) makes VP9 negotiable, in both directions.
TEST(SipMedia, AVp9ProfileTakesAVp9Offer) {
  RoomConfig room = Room();
  const std::string vp9_offer =
      "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
      "m=video 4002 RTP/AVP 101\r\na=rtpmap:101 VP9/90000\r\n";
  EXPECT_FALSE(Negotiate(vp9_offer, room).media[1].accepted);
  room.video->profiles.push_back(
      {.name = "vp9", .codec = rtp::Codec::kVp9, .width = 320, .height = 180, .fps = 15});
  const auto session = Negotiate(vp9_offer, room);
  ASSERT_TRUE(session.media[1].accepted) << session.media[1].reject_reason;
  auto pc = ParticipantFor(room, session, "weak", 30000, 30002);
  ASSERT_TRUE(pc.ok()) << pc.status().message();
  ASSERT_TRUE(pc->config.video);
  EXPECT_EQ(pc->config.video->codec, rtp::Codec::kVp9);
  EXPECT_EQ(pc->config.video->payload_type, 101);
  EXPECT_EQ(pc->config.video->profile, "vp9");
}

TEST(SipMedia, PacketizationModeZeroIsAnsweredOnlyWithASingleNalProfile) {
  const std::string mode0 =
      "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
      "m=video 4002 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n"
      "a=fmtp:99 profile-level-id=42e01f;packetization-mode=0\r\n";
  RoomConfig room = Room();
  EXPECT_FALSE(Negotiate(mode0, room).video.has_value());  // no profile a mode 0 leg can take
  room.video->profiles.push_back({.name = "legacy",
                                  .codec = rtp::Codec::kH264,
                                  .width = 640,
                                  .height = 360,
                                  .fps = 15,
                                  .single_nal = true});
  const auto session = Negotiate(mode0, room);
  ASSERT_TRUE(session.video.has_value());
  EXPECT_EQ(session.media[*session.video].send.packetization_mode, 0);
  auto pc = ParticipantFor(room, session, "polycom", 30000, 30002);
  ASSERT_TRUE(pc.ok());
  EXPECT_EQ(pc->config.video->profile, "legacy");
}

// The video profiles of configs/sip-example.yaml (and of the embedded default's room), and the
// profile each common phone's offer gets from them.
RoomConfig PhoneRoom() {
  RoomConfig room;
  room.name = "main";
  room.video.emplace();
  auto& p = room.video->profiles;
  p.push_back({.name = "hd", .codec = rtp::Codec::kH264, .width = 1280, .height = 720, .fps = 30});
  p.push_back({.name = "low",
               .codec = rtp::Codec::kH264,
               .width = 640,
               .height = 360,
               .fps = 15,
               .bitrate_bps = 400'000});
  p.push_back({.name = "phone",
               .codec = rtp::Codec::kH264,
               .width = 640,
               .height = 360,
               .fps = 15,
               .bitrate_bps = 400'000,
               .single_nal = true});
  p.push_back({.name = "phone-small",
               .codec = rtp::Codec::kH264,
               .width = 384,
               .height = 216,
               .fps = 15,
               .bitrate_bps = 256'000,
               .single_nal = true});
  p.push_back({.name = "vp8",
               .codec = rtp::Codec::kVp8,
               .width = 640,
               .height = 360,
               .fps = 15,
               .bitrate_bps = 400'000});
  return room;
}

// The profile a phone whose offer has this video m= section (after a PCMU audio line) receives;
// "" when its video is declined.
std::string ProfileFor(const RoomConfig& room, const std::string& video) {
  const std::string offer =
      "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" +
      video;
  const auto session = Negotiate(offer, room);
  auto pc = ParticipantFor(room, session, "phone", 30000, 30002);
  EXPECT_TRUE(pc.ok()) << pc.status().message();
  return pc.ok() && pc->config.video ? pc->config.video->profile : std::string();
}

TEST(SipMedia, TheExampleProfilesGiveCommonPhonesVideo) {
  const RoomConfig room = PhoneRoom();
  // Linphone: H.264 without packetization-mode (mode 0), then VP8.
  EXPECT_EQ(ProfileFor(room,
                       "m=video 4002 RTP/AVP 97 98\r\na=rtpmap:97 H264/90000\r\n"
                       "a=fmtp:97 profile-level-id=42801F\r\na=rtpmap:98 VP8/90000\r\n"),
            "phone");
  // baresip (avcodec): mode 0 before mode 1, VP8 later.
  EXPECT_EQ(ProfileFor(room,
                       "m=video 4002 RTP/AVP 96 97 100\r\na=rtpmap:96 H264/90000\r\n"
                       "a=fmtp:96 packetization-mode=0;profile-level-id=42e01f\r\n"
                       "a=rtpmap:97 H264/90000\r\n"
                       "a=fmtp:97 packetization-mode=1;profile-level-id=42e01f\r\n"
                       "a=rtpmap:100 VP8/90000\r\na=fmtp:100 max-fs=3600\r\n"),
            "phone");
  // Polycom VVX: mode 0 at level 1.3 (396 macroblocks a frame).
  EXPECT_EQ(ProfileFor(room,
                       "m=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                       "a=fmtp:96 profile-level-id=42800d\r\n"),
            "phone-small");
  // pjsip (MicroSIP): mode 1 at level 3.0, too low for 720p30.
  EXPECT_EQ(ProfileFor(room,
                       "m=video 4002 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n"
                       "a=fmtp:99 profile-level-id=42e01e; packetization-mode=1\r\n"),
            "low");
  // VP8 first.
  EXPECT_EQ(ProfileFor(room,
                       "m=video 4002 RTP/AVP 100 99\r\na=rtpmap:100 VP8/90000\r\n"
                       "a=rtpmap:99 H264/90000\r\na=fmtp:99 packetization-mode=1\r\n"),
            "vp8");
}

TEST(SipMedia, ParticipantNamesKeepOnlyAllowedCharacters) {
  EXPECT_EQ(ParticipantNameFrom("Dr. Anna Smith", "1001"), "Dr._Anna_Smith");
  EXPECT_EQ(ParticipantNameFrom("", "1001"), "1001");
  EXPECT_EQ(ParticipantNameFrom("\"<>\"", "!!"), "caller");
}

TEST(SipMedia, ConsentComesFromThePeersTrunkElseIsUnknown) {
  SipConfig sip;
  sip.trunks.push_back(
      {.name = "pbx", .networks = {"10.0.0.0/8"}, .consent = session::Consent::kGranted});
  sip.trunks.push_back({.name = "sbc", .networks = {"192.0.2.0/24"}});
  EXPECT_EQ(ConsentFor(sip, "10.1.2.3"), session::Consent::kGranted);
  EXPECT_EQ(ConsentFor(sip, "192.0.2.7"), session::Consent::kUnknown);
  EXPECT_EQ(ConsentFor(sip, "198.51.100.7"), session::Consent::kUnknown);
}

TEST(SipMedia, G722PcmComesFromThePeersTrunkElseTheBlock) {
  SipConfig sip;
  sip.trunks.push_back({.name = "asterisk", .networks = {"10.0.0.0/8"}});
  sip.trunks.push_back({.name = "linphones",
                        .networks = {"192.0.2.0/24", "2001:db8::/32"},
                        .g722_pcm = codec::G722Pcm::k14Bit});
  EXPECT_EQ(G722PcmFor(sip, "10.1.2.3"), codec::G722Pcm::k16Bit);
  EXPECT_EQ(G722PcmFor(sip, "192.0.2.7"), codec::G722Pcm::k14Bit);
  EXPECT_EQ(G722PcmFor(sip, "2001:db8::7"), codec::G722Pcm::k14Bit);
  EXPECT_EQ(G722PcmFor(sip, "198.51.100.7"), codec::G722Pcm::k16Bit);  // no trunk: the block's
  sip.g722_pcm = codec::G722Pcm::k14Bit;
  EXPECT_EQ(G722PcmFor(sip, "198.51.100.7"), codec::G722Pcm::k14Bit);
  EXPECT_EQ(G722PcmFor(sip, "10.1.2.3"), codec::G722Pcm::k16Bit);  // the trunk's own
  // A participant starts with the default; JoinCall sets what G722PcmFor says.
  const RoomConfig room = Room();
  auto pc = ParticipantFor(room, Negotiate(kPhoneOffer, room), "alice", 30000, 30002);
  ASSERT_TRUE(pc.ok()) << pc.status().message();
  EXPECT_EQ(pc->config.audio_g722_pcm, codec::G722Pcm::k16Bit);
}

}  // namespace
}  // namespace tessera::sipua
