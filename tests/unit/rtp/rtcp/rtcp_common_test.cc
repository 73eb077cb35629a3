#include <gtest/gtest.h>
#include <tessera/rtp/rtcp/rtcp_common.h>

#include <vector>

namespace tessera::rtp {
namespace {

TEST(RtcpCommonHeader, ParsesFieldsAndBody) {
  const std::vector<uint8_t> packet = {0x81, 201, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};
  auto view = ParseRtcpPacket(packet);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->header.version, 2);
  EXPECT_FALSE(view->header.padding);
  EXPECT_EQ(view->header.count, 1);
  EXPECT_EQ(view->header.packet_type, 201);
  EXPECT_EQ(view->header.length, 1);
  EXPECT_EQ(view->size, 8u);
  EXPECT_EQ(view->body.size(), 4u);
  EXPECT_EQ(view->body[0], 0x11);
}

TEST(RtcpCommonHeader, StripsPadding) {
  // P bit set; the last octet says 3 octets of padding.
  const std::vector<uint8_t> packet = {0xA0, 204, 0x00, 0x01, 0xAA, 0x00, 0x00, 0x03};
  auto view = ParseRtcpPacket(packet);
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->header.padding);
  ASSERT_EQ(view->body.size(), 1u);
  EXPECT_EQ(view->body[0], 0xAA);
}

TEST(RtcpCommonHeader, RejectsBadVersionOverrunAndBadPadding) {
  EXPECT_FALSE(ParseRtcpPacket(std::vector<uint8_t>{0x40, 201, 0x00, 0x00}));        // version 1
  EXPECT_FALSE(ParseRtcpPacket(std::vector<uint8_t>{0x80, 201, 0x00, 0x01, 0, 0}));  // overrun
  EXPECT_FALSE(ParseRtcpPacket(std::vector<uint8_t>{0x80, 201}));                    // short
  // Padding count of zero, and padding longer than the body.
  EXPECT_FALSE(ParseRtcpPacket(std::vector<uint8_t>{0xA0, 204, 0x00, 0x01, 0, 0, 0, 0}));
  EXPECT_FALSE(ParseRtcpPacket(std::vector<uint8_t>{0xA0, 204, 0x00, 0x01, 0, 0, 0, 5}));
  // Padding bit on a packet with no body.
  EXPECT_FALSE(ParseRtcpPacket(std::vector<uint8_t>{0xA0, 204, 0x00, 0x00}));
}

TEST(RtcpCommonHeader, ParseOfTypeNeedsExactSizeAndType) {
  const std::vector<uint8_t> packet = {0x80, 201, 0x00, 0x01, 0, 0, 0, 1, 0xFF};
  EXPECT_FALSE(ParseRtcpPacketOfType(packet, RtcpPacketType::kReceiverReport));  // trailing byte
  EXPECT_TRUE(ParseRtcpPacketOfType(std::span(packet).first(8), RtcpPacketType::kReceiverReport));
  EXPECT_FALSE(ParseRtcpPacketOfType(std::span(packet).first(8), RtcpPacketType::kSenderReport));
}

TEST(RtcpCommonHeader, FinishPadsUnalignedBodiesAndPatchesLength) {
  std::vector<uint8_t> out = {0xEE};  // unrelated bytes before the packet
  const size_t start = BeginRtcpPacket(out, 7, RtcpPacketType::kApp);
  out.push_back(0x42);
  EXPECT_TRUE(FinishRtcpPacket(out, start));
  const std::vector<uint8_t> expected = {0xEE, 0xA7, 204, 0x00, 0x01, 0x42, 0x00, 0x00, 0x03};
  EXPECT_EQ(out, expected);
  auto view = ParseRtcpPacket(std::span(out).subspan(1));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->body.size(), 1u);
}

TEST(RtcpCommonHeader, FinishDropsPacketTooLongForLengthField) {
  std::vector<uint8_t> out;
  const size_t start = BeginRtcpPacket(out, 0, RtcpPacketType::kApp);
  out.resize(kRtcpMaxPacketSize + 4);
  EXPECT_FALSE(FinishRtcpPacket(out, start));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace tessera::rtp
