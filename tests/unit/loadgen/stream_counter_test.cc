#include "loadgen/stream_counter.h"

#include <gtest/gtest.h>

namespace tessera::loadgen {
namespace {

rtp::RtpPacket Packet(uint16_t seq, uint32_t ts, bool marker, uint32_t ssrc = 1) {
  rtp::RtpHeader h;
  h.sequence_number = seq;
  h.timestamp = ts;
  h.marker = marker;
  h.ssrc = ssrc;
  h.payload_type = 96;
  const uint8_t payload[10] = {};
  return rtp::RtpPacket::Build(h, {}, payload);
}

TEST(StreamCounter, CountsLossBySequenceAcrossTheWrap) {
  StreamCounter c;
  c.OnPacket(Packet(65534, 0, true));
  c.OnPacket(Packet(65535, 0, true));
  c.OnPacket(Packet(1, 0, true));  // 0 lost
  const auto s = c.stats();
  EXPECT_EQ(s.packets, 3u);
  EXPECT_EQ(s.expected, 4u);
  EXPECT_EQ(s.lost, 1u);
  EXPECT_EQ(s.frames, 3u);
  EXPECT_EQ(s.bytes, 3u * 22);
}

TEST(StreamCounter, LateArrivalMakesUpForTheGap) {
  StreamCounter c;
  c.OnPacket(Packet(10, 0, false));
  c.OnPacket(Packet(12, 0, false));
  c.OnPacket(Packet(11, 0, false));
  EXPECT_EQ(c.stats().lost, 0u);
}

TEST(StreamCounter, SkippedTickShowsAsMissingInterval) {
  StreamCounter c(3000);
  c.OnPacket(Packet(1, 1000, false));
  c.OnPacket(Packet(2, 1000, true));
  c.OnPacket(Packet(3, 4000, true));   // one interval
  c.OnPacket(Packet(4, 10000, true));  // two intervals: one missing
  c.OnPacket(Packet(5, 22100, true));  // four (rounded): three missing
  EXPECT_EQ(c.stats().missing_intervals, 4u);
  EXPECT_EQ(c.stats().frames, 4u);
}

TEST(StreamCounter, NewSsrcStartsItsOwnCountAndKeepsTheOldLoss) {
  StreamCounter c;
  c.OnPacket(Packet(1, 0, true, 1));
  c.OnPacket(Packet(3, 0, true, 1));  // 1 lost
  c.OnPacket(Packet(500, 0, true, 2));
  c.OnPacket(Packet(501, 0, true, 2));
  const auto s = c.stats();
  EXPECT_EQ(s.lost, 1u);
  EXPECT_EQ(s.expected, 5u);
  EXPECT_EQ(s.ssrc_changes, 1u);
}

}  // namespace
}  // namespace tessera::loadgen
