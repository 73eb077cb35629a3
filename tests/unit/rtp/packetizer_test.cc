#include <gtest/gtest.h>
#include <tessera/rtp/depacketizer.h>
#include <tessera/rtp/packetizer.h>

#include <vector>

namespace tessera::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(CreatePacketizer, ReturnsTheCodecsPayloadFormat) {
  const Bytes frame = {0, 0, 0, 1, 0x65, 0x88, 0x80, 0x21};
  auto h264 = CreatePacketizer(Codec::kH264);
  ASSERT_NE(h264, nullptr);
  EXPECT_EQ(h264->Packetize(frame, true), (std::vector<Bytes>{{0x65, 0x88, 0x80, 0x21}}));

  auto vp8 = CreatePacketizer(Codec::kVp8);
  ASSERT_NE(vp8, nullptr);
  auto vp8_payloads = vp8->Packetize(frame, true);
  ASSERT_EQ(vp8_payloads.size(), 1u);
  EXPECT_EQ(vp8_payloads[0], (Bytes{0x90, 0x80, 0x80, 0x00, 0, 0, 0, 1, 0x65, 0x88, 0x80, 0x21}));

  // AV1: a temporal unit of a temporal delimiter and a frame OBU: the delimiter is left out.
  auto av1 = CreatePacketizer(Codec::kAv1);
  ASSERT_NE(av1, nullptr);
  EXPECT_EQ(av1->Packetize(Bytes{0x12, 0x00, 0x32, 0x02, 0xaa, 0xbb}, false),
            (std::vector<Bytes>{{0x00, 0x03, 0x30, 0xaa, 0xbb}}));

  for (Codec codec : {Codec::kOpus, Codec::kPcmu, Codec::kPcma, Codec::kG722}) {
    auto audio = CreatePacketizer(codec);
    ASSERT_NE(audio, nullptr) << CodecName(codec);
    EXPECT_EQ(audio->Packetize(frame, true), std::vector<Bytes>{frame});
  }
}

TEST(CreatePacketizer, HonoursMtuAndPacketizationMode) {
  PacketizerConfig config;
  config.mtu = 600;
  config.h264_packetization_mode = 0;
  auto h264 = CreatePacketizer(Codec::kH264, config);
  Bytes frame = {0, 0, 0, 1, 0x41};
  frame.resize(5 + 600, 0x5A);
  EXPECT_TRUE(h264->Packetize(frame, false).empty());
  config.h264_packetization_mode = 1;
  EXPECT_EQ(CreatePacketizer(Codec::kH264, config)->Packetize(frame, false).size(), 2u);
  EXPECT_TRUE(CreatePacketizer(Codec::kOpus, config)->Packetize(Bytes(557, 1), true).empty());
}

TEST(CreatePacketizer, RoundTripsThroughCreateDepacketizer) {
  for (Codec codec : {Codec::kH264, Codec::kVp8, Codec::kVp9, Codec::kOpus, Codec::kPcma}) {
    Bytes frame = {0, 0, 0, 1, 0x41, 0x9A};
    if (KindOf(codec) == MediaKind::kVideo) frame.resize(4000, 0x33);
    auto packetizer = CreatePacketizer(codec);
    auto depacketizer = CreateDepacketizer(codec);
    Bytes joined;
    for (const auto& payload : packetizer->Packetize(frame, false)) {
      auto out = depacketizer->Parse(payload);
      ASSERT_TRUE(out) << CodecName(codec);
      joined.insert(joined.end(), out->data.begin(), out->data.end());
    }
    EXPECT_EQ(joined, frame) << CodecName(codec);
  }
}

}  // namespace
}  // namespace tessera::rtp
