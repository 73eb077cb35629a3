#include <gtest/gtest.h>
#include <tessera/rtp/rtp_packet.h>

namespace tessera::rtp {
namespace {

RtpHeader Header() {
  RtpHeader h;
  h.marker = true;
  h.payload_type = 96;
  h.sequence_number = 0xBEEF;
  h.timestamp = 0x12345678;
  h.ssrc = 0xCAFEBABE;
  return h;
}

TEST(RtpPacket, ParsesFixedHeader) {
  const uint8_t bytes[] = {0x80, 0xE0, 0x00, 0x2A, 0x00, 0x00, 0x0B,
                           0xB8, 0x11, 0x22, 0x33, 0x44, 0xAA, 0xBB};
  auto p = RtpPacket::Parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->marker());
  EXPECT_EQ(p->payload_type(), 96);
  EXPECT_EQ(p->sequence_number(), 42);
  EXPECT_EQ(p->timestamp(), 3000u);
  EXPECT_EQ(p->ssrc(), 0x11223344u);
  ASSERT_EQ(p->payload().size(), 2u);
  EXPECT_EQ(p->payload()[0], 0xAA);
}

TEST(RtpPacket, RejectsWrongVersionAndTruncation) {
  const uint8_t v1[] = {0x40, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
  EXPECT_FALSE(RtpPacket::Parse(v1));
  const uint8_t short_header[] = {0x80, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0};
  EXPECT_FALSE(RtpPacket::Parse(short_header));
  // CSRC count 2 but no room for them.
  const uint8_t csrc_overrun[] = {0x82, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7};
  EXPECT_FALSE(RtpPacket::Parse(csrc_overrun));
}

TEST(RtpPacket, StripsPaddingAndRejectsBadPadding) {
  const uint8_t padded[] = {0xA0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x11, 0x22, 0, 0, 3};
  auto p = RtpPacket::Parse(padded);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->padding_size(), 3u);
  ASSERT_EQ(p->payload().size(), 2u);
  const uint8_t zero_pad[] = {0xA0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x11, 0};
  EXPECT_FALSE(RtpPacket::Parse(zero_pad));
  const uint8_t over_pad[] = {0xA0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x11, 9};
  EXPECT_FALSE(RtpPacket::Parse(over_pad));
}

TEST(RtpPacket, ParsesOneByteExtensionsWithPaddingBytes) {
  // RFC 8285 one-byte form: id 1 len 1, a padding byte, id 3 len 2.
  const uint8_t bytes[] = {0x90, 0x60, 0,    1,    0,    0,    0,    1,    0,
                           0,    0,    1,    0xBE, 0xDE, 0x00, 0x02, 0x10, 0x7F,
                           0x00, 0x31, 0xAB, 0xCD, 0x00, 0x00, 0x55};
  auto p = RtpPacket::Parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->extension_profile(), ExtensionProfile::kOneByte);
  auto e1 = p->extension(1);
  ASSERT_TRUE(e1);
  ASSERT_EQ(e1->size(), 1u);
  EXPECT_EQ((*e1)[0], 0x7F);
  auto e3 = p->extension(3);
  ASSERT_TRUE(e3);
  ASSERT_EQ(e3->size(), 2u);
  EXPECT_EQ((*e3)[1], 0xCD);
  EXPECT_FALSE(p->extension(2));
  ASSERT_EQ(p->payload().size(), 1u);
  EXPECT_EQ(p->payload()[0], 0x55);
}

TEST(RtpPacket, ParsesTwoByteExtensionsIncludingEmptyElement) {
  const uint8_t bytes[] = {0x90, 0x60, 0, 1, 0,  0, 0,  1, 0, 0, 0, 1,
                           0x10, 0x00, 0, 2, 20, 0, 30, 3, 1, 2, 3, 0};
  auto p = RtpPacket::Parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->extension_profile(), ExtensionProfile::kTwoByte);
  auto empty = p->extension(20);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  auto e30 = p->extension(30);
  ASSERT_TRUE(e30);
  EXPECT_EQ(e30->size(), 3u);
}

TEST(RtpPacket, RejectsExtensionElementOverrunningBlock) {
  const uint8_t bytes[] = {0x90, 0x60, 0,    1,    0,    0,    0,    1,    0,    0,
                           0,    1,    0xBE, 0xDE, 0x00, 0x01, 0x1F, 0x00, 0x00, 0x00};
  EXPECT_FALSE(RtpPacket::Parse(bytes));
}

TEST(RtpPacket, BuildRoundTripsHeaderExtensionsAndPayload) {
  RtpHeader h = Header();
  h.csrcs = {1, 2};
  std::vector<ExtensionElement> ext = {{1, {0x80}}, {5, {1, 2, 3, 4}}};
  const std::vector<uint8_t> payload = {9, 8, 7, 6, 5};
  RtpPacket p = RtpPacket::Build(h, ext, payload, 4);
  auto q = RtpPacket::Parse(p.data());
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->marker());
  EXPECT_EQ(q->sequence_number(), 0xBEEF);
  EXPECT_EQ(q->timestamp(), 0x12345678u);
  EXPECT_EQ(q->ssrc(), 0xCAFEBABEu);
  ASSERT_EQ(q->csrc_count(), 2u);
  EXPECT_EQ(q->csrc(1), 2u);
  EXPECT_EQ(q->extension_profile(), ExtensionProfile::kOneByte);
  EXPECT_EQ(q->extension(5)->size(), 4u);
  EXPECT_EQ(q->padding_size(), 4u);
  EXPECT_EQ(std::vector<uint8_t>(q->payload().begin(), q->payload().end()), payload);
}

TEST(RtpPacket, BuildChoosesTwoByteFormForLargeIdsOrElements) {
  std::vector<ExtensionElement> ext = {{200, std::vector<uint8_t>(20, 0x42)}};
  RtpPacket p = RtpPacket::Build(Header(), ext, std::vector<uint8_t>{1});
  EXPECT_EQ(p.extension_profile(), ExtensionProfile::kTwoByte);
  ASSERT_TRUE(p.extension(200));
  EXPECT_EQ(p.extension(200)->size(), 20u);
}

TEST(RtpPacket, SettersRewriteWireBytes) {
  RtpPacket p = RtpPacket::Build(Header(), {}, std::vector<uint8_t>{1, 2});
  p.SetSequenceNumber(7);
  p.SetTimestamp(90000);
  p.SetSsrc(99);
  p.SetMarker(false);
  p.SetPayloadType(100);
  auto q = RtpPacket::Parse(p.data());
  ASSERT_TRUE(q);
  EXPECT_EQ(q->sequence_number(), 7);
  EXPECT_EQ(q->timestamp(), 90000u);
  EXPECT_EQ(q->ssrc(), 99u);
  EXPECT_FALSE(q->marker());
  EXPECT_EQ(q->payload_type(), 100);
}

TEST(SeqNewer, UsesSerialArithmetic) {
  EXPECT_TRUE(SeqNewer(1, 65535));
  EXPECT_FALSE(SeqNewer(65535, 1));
  EXPECT_FALSE(SeqNewer(5, 5));
  EXPECT_TRUE(TimestampNewer(10, 0xFFFFFF00u));
}

}  // namespace
}  // namespace tessera::rtp
