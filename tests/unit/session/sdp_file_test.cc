#include "session/sdp_file.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace tessera::session {
namespace {

SdpStream Stream(rtp::Codec codec, uint8_t payload_type) {
  SdpStream s;
  s.session_name = "composite";
  s.address = "127.0.0.1";
  s.port = 41000;
  s.codec = codec;
  s.payload_type = payload_type;
  return s;
}

TEST(BuildVideoSdp, NamesEachCodecAsPlayersExpect) {
  const std::string h264 = BuildVideoSdp(Stream(rtp::Codec::kH264, 96));
  EXPECT_NE(h264.find("m=video 41000 RTP/AVP 96\r\n"), std::string::npos) << h264;
  EXPECT_NE(h264.find("a=rtpmap:96 H264/90000\r\n"), std::string::npos) << h264;
  EXPECT_NE(h264.find("packetization-mode=1"), std::string::npos) << h264;

  const std::string vp8 = BuildVideoSdp(Stream(rtp::Codec::kVp8, 97));
  EXPECT_NE(vp8.find("a=rtpmap:97 VP8/90000\r\n"), std::string::npos) << vp8;
  EXPECT_EQ(vp8.find("a=fmtp"), std::string::npos) << vp8;

  const std::string vp9 = BuildVideoSdp(Stream(rtp::Codec::kVp9, 98));
  EXPECT_NE(vp9.find("m=video 41000 RTP/AVP 98\r\n"), std::string::npos) << vp9;
  EXPECT_NE(vp9.find("a=rtpmap:98 VP9/90000\r\na=fmtp:98 profile-id=0\r\n"), std::string::npos)
      << vp9;
  EXPECT_NE(vp9.find("a=rtcp-mux\r\n"), std::string::npos) << vp9;
}

}  // namespace
}  // namespace tessera::session
