#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tessera/sip/sdp.h>

#include <string>

#include "unit/sip/sdp_test_offers.h"

namespace tessera::sip {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

SessionDescription Parse(std::string_view text) {
  StatusOr<SessionDescription> sdp = ParseSdp(text);
  EXPECT_TRUE(sdp.ok()) << sdp.status().ToString();
  return sdp.ok() ? *sdp : SessionDescription{};
}

std::string ErrorOf(std::string_view text, StatusCode code = StatusCode::kInvalidArgument) {
  StatusOr<SessionDescription> sdp = ParseSdp(text);
  EXPECT_FALSE(sdp.ok()) << "accepted: " << text;
  EXPECT_EQ(sdp.status().code(), code);
  return sdp.status().message();
}

std::string Crlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

constexpr std::string_view kMinimal = "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=-\nt=0 0\n";

TEST(ParseSdp, ReadsSessionLevelFields) {
  SessionDescription sdp = Parse(test_offers::kCiscoSrtp);
  EXPECT_EQ(sdp.origin.username, "CiscoSystemsCCM-SIP");
  EXPECT_EQ(sdp.origin.session_id, "2000");
  EXPECT_EQ(sdp.origin.session_version, 1u);
  EXPECT_EQ(sdp.origin.connection.address, "198.51.100.5");
  EXPECT_EQ(sdp.session_name, "SIP Call");
  ASSERT_TRUE(sdp.connection.has_value());
  EXPECT_EQ(sdp.connection->addrtype, "IP4");
  EXPECT_EQ(sdp.connection->address, "198.51.100.20");
  EXPECT_THAT(sdp.bandwidths, ElementsAre(SdpBandwidth{"TIAS", 6000000}, SdpBandwidth{"AS", 6000}));
  ASSERT_EQ(sdp.media.size(), 2u);
}

TEST(ParseSdp, ReadsMediaSectionAttributes) {
  SessionDescription sdp = Parse(test_offers::kFreeSwitch);
  ASSERT_EQ(sdp.media.size(), 2u);
  const MediaDescription& video = sdp.media[1];
  EXPECT_EQ(video.media, "video");
  EXPECT_EQ(video.port, 22414);
  EXPECT_EQ(video.proto, "RTP/AVPF");
  EXPECT_THAT(video.formats, ElementsAre("96", "97"));
  EXPECT_THAT(video.rtpmaps,
              ElementsAre(SdpRtpMap{96, "VP8", 90000, 0}, SdpRtpMap{97, "H264", 90000, 0}));
  ASSERT_NE(video.FindFmtp(97), nullptr);
  EXPECT_EQ(video.FindFmtp(97)->parameters, "profile-level-id=42e01f;packetization-mode=1");
  EXPECT_EQ(video.rtcp_fbs.size(), 5u);
  EXPECT_EQ(video.rtcp_fbs[2], (SdpRtcpFb{96, "nack", "pli"}));
  ASSERT_TRUE(video.rtcp.has_value());
  EXPECT_EQ(video.rtcp->port, 22415);
  EXPECT_EQ(video.rtcp->connection->address, "203.0.113.8");
  EXPECT_EQ(video.direction, SdpDirection::kSendRecv);
  const MediaDescription& audio = sdp.media[0];
  EXPECT_EQ(audio.ptime_ms, 20u);
  EXPECT_EQ(*audio.FindRtpMap(102), (SdpRtpMap{102, "opus", 48000, 2}));
  EXPECT_EQ(audio.direction, std::nullopt);
  EXPECT_EQ(sdp.DirectionOf(audio), SdpDirection::kSendRecv);
}

TEST(ParseSdp, KeepsCryptoLinesAndUnknownAttributesVerbatim) {
  SessionDescription sdp = Parse(test_offers::kCiscoSrtp);
  const MediaDescription& audio = sdp.media[0];
  ASSERT_EQ(audio.crypto.size(), 3u);
  EXPECT_THAT(audio.crypto[0], HasSubstr("AEAD_AES_256_GCM"));
  EXPECT_EQ(audio.crypto[1],
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^31");
  EXPECT_THAT(sdp.media[1].attributes,
              ElementsAre(SdpAttribute{"content", "main"}, SdpAttribute{"label", "11"}));
}

TEST(ParseSdp, ReadsWebRtcSessionAttributesAndExtmap) {
  SessionDescription sdp = Parse(test_offers::kWebRtc);
  EXPECT_FALSE(sdp.connection.has_value());
  EXPECT_EQ(sdp.attributes[0], (SdpAttribute{"group", "BUNDLE 0 1"}));
  EXPECT_EQ(sdp.attributes[1], (SdpAttribute{"extmap-allow-mixed", std::nullopt}));
  const MediaDescription& audio = sdp.media[0];
  EXPECT_TRUE(audio.IsRtp());
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_EQ(sdp.ConnectionOf(audio)->address, "0.0.0.0");
  EXPECT_THAT(
      audio.extmaps,
      ElementsAre(SdpExtmap{1, std::nullopt, "urn:ietf:params:rtp-hdrext:ssrc-audio-level", ""}));
  EXPECT_EQ(sdp.media[1].extmaps[0].direction, SdpDirection::kSendRecv);
}

TEST(ParseSdp, KeepsNonRtpFormatsVerbatim) {
  SessionDescription sdp = Parse(test_offers::kManyStreams);
  ASSERT_EQ(sdp.media.size(), 6u);
  EXPECT_FALSE(sdp.media[4].IsRtp());
  EXPECT_THAT(sdp.media[4].formats, ElementsAre("*"));
  EXPECT_THAT(sdp.media[5].formats, ElementsAre("t38"));
  EXPECT_EQ(sdp.connection->addrtype, "IP6");
}

TEST(ParseSdp, AcceptsCrlfLfTrailingBlanksAndBlankLines) {
  const std::string crlf = Crlf(test_offers::kYealinkAudio);
  EXPECT_EQ(Parse(crlf), Parse(test_offers::kYealinkAudio));
  SessionDescription sdp = Parse("v=0  \r\no=- 1 2 IN IP4 192.0.2.1\t\r\n\r\ns=x \nt=0 0\r\n\r\n");
  EXPECT_EQ(sdp.session_name, "x");
  EXPECT_EQ(sdp.origin.session_version, 2u);
}

TEST(ParseSdp, DefaultsMissingSessionNameAndTiming) {
  SessionDescription sdp = Parse(
      "v=0\no=- 1 2 IN IP4 192.0.2.1\nc=IN IP4 192.0.2.1\n"
      "m=audio 4000 RTP/AVP 0\n");
  EXPECT_EQ(sdp.session_name, "-");
  EXPECT_EQ(sdp.timing, "0 0");
  EXPECT_EQ(Parse("v=0\no=- 1 2 IN IP4 192.0.2.1\ns=\nt=0 0\n").session_name, "-");
}

TEST(ParseSdp, ReadsPortCountAndLeavesOddPtimeAsUnknownAttribute) {
  SessionDescription sdp =
      Parse(std::string(kMinimal) + "m=video 4000/2 RTP/AVP 96\na=ptime:20.5\n");
  EXPECT_EQ(sdp.media[0].port_count, 2);
  EXPECT_EQ(sdp.media[0].ptime_ms, std::nullopt);
  EXPECT_THAT(sdp.media[0].attributes, ElementsAre(SdpAttribute{"ptime", "20.5"}));
}

TEST(ParseSdp, RejectsMalformedLinesWithReasons) {
  EXPECT_EQ(ErrorOf(""), "empty SDP");
  EXPECT_EQ(ErrorOf("o=- 1 2 IN IP4 192.0.2.1\nv=0\n"), "line 1: v= must come first");
  EXPECT_EQ(ErrorOf("v=1\n"), "line 1: unsupported SDP version");
  EXPECT_EQ(ErrorOf("v=0\ns=-\n"), "missing o= line");
  EXPECT_EQ(ErrorOf("v=0\no=- 1 x IN IP4 a\n"), "line 2: bad o= line");
  EXPECT_EQ(ErrorOf("v=0\no=- 1 1 IN IP4\n"), "line 2: bad o= line");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "c=IN IP4\n"), "line 5: bad c= line");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "b=AS\n"), "line 5: bad b= line");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "x=1\n"), "line 5: unknown line type 'x'");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "hello\n"), "line 5: not <type>=<value>");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "m=audio\n"), "line 5: bad m= line");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "m=audio 70000 RTP/AVP 0\n"),
            "line 5: bad port in m= line");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "m=audio 4000/0 RTP/AVP 0\n"),
            "line 5: bad port count in m= line");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "m=audio 4000 RTP/AVP 128\n"),
            "line 5: bad payload type");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "m=audio 4000 RTP/AVP\n"),
            "line 5: m= line without formats");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "m=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU\n"),
            "line 6: bad a=rtpmap");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "m=audio 4000 RTP/AVP 0\na=rtcp-fb:x nack\n"),
            "line 6: bad a=rtcp-fb");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "m=audio 4000 RTP/AVP 0\na=rtcp:abc\n"),
            "line 6: bad a=rtcp");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "m=audio 4000 RTP/AVP 0\na=extmap:1/up x\n"),
            "line 6: bad a=extmap");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "m=audio 4000 RTP/AVP 0\ns=x\n"),
            "line 6: s= inside a media section");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "a=\n"), "line 5: bad a= line");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "s=a\x01z\n"), "line 5: control character");
}

TEST(ParseSdp, EnforcesParseLimits) {
  ParseLimits limits;
  limits.max_sdp_media = 2;
  limits.max_sdp_formats = 3;
  limits.max_sdp_lines = 6;
  std::string two_media = std::string(kMinimal) + "m=audio 1 RTP/AVP 0\nm=audio 2 RTP/AVP 0\n";
  EXPECT_TRUE(ParseSdp(two_media, limits).ok());
  auto too_many_lines = ParseSdp(two_media + "a=x\n", limits);
  EXPECT_EQ(too_many_lines.status().message(), "line 7: too many lines");
  limits.max_sdp_lines = 100;
  auto too_many_media = ParseSdp(two_media + "m=audio 3 RTP/AVP 0\n", limits);
  EXPECT_EQ(too_many_media.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(too_many_media.status().message(), "line 7: too many m= lines");
  auto too_many_formats = ParseSdp(std::string(kMinimal) + "m=audio 1 RTP/AVP 0 8 9 18\n", limits);
  EXPECT_EQ(too_many_formats.status().message(), "line 5: too many formats in m= line");
  limits.max_line_bytes = 26;
  EXPECT_EQ(ParseSdp(std::string(kMinimal) + "s=" + std::string(30, 'x') + "\n", limits)
                .status()
                .message(),
            "line 5: line too long");
  limits.max_body_bytes = 10;
  EXPECT_EQ(ParseSdp(kMinimal, limits).status().message(), "SDP body too large");
}

TEST(WriteSdp, WritesCanonicalCrlfSdp) {
  SessionDescription sdp;
  sdp.origin = SdpOrigin{"tessera", "42", 3, SdpConnection{"IN", "IP4", "192.0.2.1"}};
  sdp.session_name = "Tessera";
  sdp.connection = SdpConnection{"IN", "IP4", "192.0.2.1"};
  MediaDescription m;
  m.media = "video";
  m.port = 5004;
  m.proto = "RTP/AVPF";
  m.formats = {"96"};
  m.bandwidths = {{"TIAS", 2000000}};
  m.rtpmaps = {{96, "H264", 90000, 0}};
  m.fmtps = {{96, "profile-level-id=42e01f;packetization-mode=1"}};
  m.rtcp_fbs = {{96, "nack", "pli"}, {SdpRtcpFb::kAnyPayloadType, "ccm", "fir"}};
  m.rtcp = SdpRtcp{5005, std::nullopt};
  m.direction = SdpDirection::kRecvOnly;
  m.attributes = {{"content", "main"}};
  sdp.media.push_back(m);
  EXPECT_EQ(WriteSdp(sdp),
            "v=0\r\n"
            "o=tessera 42 3 IN IP4 192.0.2.1\r\n"
            "s=Tessera\r\n"
            "c=IN IP4 192.0.2.1\r\n"
            "t=0 0\r\n"
            "m=video 5004 RTP/AVPF 96\r\n"
            "b=TIAS:2000000\r\n"
            "a=rtpmap:96 H264/90000\r\n"
            "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n"
            "a=rtcp-fb:96 nack pli\r\n"
            "a=rtcp-fb:* ccm fir\r\n"
            "a=rtcp:5005\r\n"
            "a=recvonly\r\n"
            "a=content:main\r\n");
}

TEST(WriteSdp, RoundTripsEveryTestOffer) {
  for (const char* text :
       {test_offers::kRoomSystem, test_offers::kCiscoSrtp, test_offers::kYealinkAudio,
        test_offers::kWebRtc, test_offers::kBaresipVideo, test_offers::kSdesAudio,
        test_offers::kAsterisk, test_offers::kFreeSwitch, test_offers::kHoldZeroAddress,
        test_offers::kUnsupportedCodecs, test_offers::kManyStreams}) {
    SessionDescription sdp = Parse(text);
    const std::string written = WriteSdp(sdp);
    EXPECT_EQ(Parse(written), sdp) << written;
    EXPECT_EQ(WriteSdp(Parse(written)), written);
  }
}

TEST(SdpDirection, ReversesSendAndReceive) {
  EXPECT_EQ(ReverseDirection(SdpDirection::kSendOnly), SdpDirection::kRecvOnly);
  EXPECT_EQ(ReverseDirection(SdpDirection::kRecvOnly), SdpDirection::kSendOnly);
  EXPECT_EQ(ReverseDirection(SdpDirection::kInactive), SdpDirection::kInactive);
  EXPECT_EQ(ReverseDirection(SdpDirection::kSendRecv), SdpDirection::kSendRecv);
  EXPECT_EQ(SdpDirectionName(SdpDirection::kInactive), "inactive");
}

}  // namespace
}  // namespace tessera::sip
