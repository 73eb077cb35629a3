// RTX (RFC 4588) wrapping and unwrapping: what Tessera sends a browser that asked for RTX, and
// what it makes of a browser's.
#include <gtest/gtest.h>
#include <tessera/rtp/rtx.h>

#include <vector>

namespace tessera::rtp {
namespace {

RtpPacket Original() {
  RtpHeader h;
  h.marker = true;
  h.payload_type = 96;
  h.sequence_number = 0xBEEF;
  h.timestamp = 123456;
  h.ssrc = 0x11111111;
  h.csrcs = {7};
  const std::vector<uint8_t> payload = {1, 2, 3, 4, 5};
  return RtpPacket::Build(h, {}, payload);
}

TEST(Rtx, AWrappedPacketCarriesTheOsnThenThePayloadOnItsOwnStream) {
  const RtpPacket rtx = WrapRtx(Original(), 97, 0x22222222, 10);
  EXPECT_EQ(rtx.payload_type(), 97);
  EXPECT_EQ(rtx.ssrc(), 0x22222222u);
  EXPECT_EQ(rtx.sequence_number(), 10);
  EXPECT_EQ(rtx.timestamp(), 123456u);
  EXPECT_TRUE(rtx.marker());
  ASSERT_EQ(rtx.csrc_count(), 1u);
  EXPECT_EQ(rtx.csrc(0), 7u);
  EXPECT_EQ(std::vector<uint8_t>(rtx.payload().begin(), rtx.payload().end()),
            (std::vector<uint8_t>{0xBE, 0xEF, 1, 2, 3, 4, 5}));
}

TEST(Rtx, UnwrappingGivesBackTheOriginalPacket) {
  const RtpPacket original = Original();
  auto back = UnwrapRtx(WrapRtx(original, 97, 0x22222222, 10), 96, 0x11111111);
  ASSERT_TRUE(back);
  EXPECT_EQ(std::vector<uint8_t>(back->data().begin(), back->data().end()),
            std::vector<uint8_t>(original.data().begin(), original.data().end()));
}

TEST(Rtx, APaddingOnlyProbeCarriesNothing) {
  RtpHeader h;
  h.payload_type = 97;
  h.ssrc = 0x22222222;
  const RtpPacket probe = RtpPacket::Build(h, {}, {}, /*padding_size=*/200);
  EXPECT_FALSE(UnwrapRtx(probe, 96, 1));
  const std::vector<uint8_t> one = {0xBE};
  EXPECT_FALSE(UnwrapRtx(RtpPacket::Build(h, {}, one), 96, 1));
}

}  // namespace
}  // namespace tessera::rtp
