#include <gtest/gtest.h>
#include <tessera/net/demux.h>

namespace tessera::net {
namespace {

PacketClass Classify(std::initializer_list<uint8_t> bytes) {
  std::vector<uint8_t> v(bytes);
  return ClassifyPacket(v);
}

TEST(Demux, ClassifiesByFirstByteAsRfc7983Says) {
  EXPECT_EQ(Classify({0x00, 0x01}), PacketClass::kStun);
  EXPECT_EQ(Classify({0x03}), PacketClass::kStun);
  EXPECT_EQ(Classify({16}), PacketClass::kZrtp);
  EXPECT_EQ(Classify({22, 0xFE, 0xFD}), PacketClass::kDtls);
  EXPECT_EQ(Classify({63}), PacketClass::kDtls);
  EXPECT_EQ(Classify({64}), PacketClass::kTurnChannel);
  EXPECT_EQ(Classify({0x80, 0x60}), PacketClass::kRtp);
  EXPECT_EQ(Classify({0x80, 0xE0}), PacketClass::kRtp);  // PT 96 with marker
  EXPECT_EQ(Classify({0x80, 200}), PacketClass::kRtcp);  // SR
  EXPECT_EQ(Classify({0x81, 205}), PacketClass::kRtcp);  // RTPFB
  EXPECT_EQ(Classify({0x81, 206}), PacketClass::kRtcp);  // PSFB
  EXPECT_EQ(Classify({0xC0, 0x60}), PacketClass::kUnknown);
  EXPECT_EQ(Classify({}), PacketClass::kUnknown);
  EXPECT_EQ(Classify({0x80}), PacketClass::kUnknown);  // too short to tell RTP from RTCP
}

}  // namespace
}  // namespace tessera::net
