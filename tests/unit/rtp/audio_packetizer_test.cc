#include "rtp/audio_packetizer.h"

#include <gtest/gtest.h>

#include <vector>

namespace tessera::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(AudioPacketizer, SendsFrameAsOnePayload) {
  AudioPacketizer p({});
  const Bytes frame(160, 0xD5);
  EXPECT_EQ(p.Packetize(frame, true), std::vector<Bytes>{frame});
}

TEST(AudioPacketizer, AcceptsFrameOfExactlyTheBudgetAndRejectsLarger) {
  PacketizerConfig config;
  config.mtu = 300;
  AudioPacketizer p(config);
  EXPECT_EQ(p.Packetize(Bytes(300 - kRtpOverhead, 1), true).size(), 1u);
  EXPECT_TRUE(p.Packetize(Bytes(300 - kRtpOverhead + 1, 1), true).empty());
}

TEST(AudioPacketizer, RejectsEmptyFrame) {
  AudioPacketizer p({});
  EXPECT_TRUE(p.Packetize({}, true).empty());
}

}  // namespace
}  // namespace tessera::rtp
