#include <gtest/gtest.h>
#include <tessera/rtp/rtcp/rtcp_compound.h>

#include <vector>

namespace tessera::rtp {
namespace {

std::vector<RtcpMessage> AllTypes() {
  ReportBlock block;
  block.ssrc = 99;
  block.cumulative_lost = -3;
  block.jitter = 17;
  return {
      SenderReport{1, {2, 3}, 4, 5, 6, {block}},
      ReceiverReport{7, {block, block}},
      Sdes::WithCname(1, "me@example"),
      Bye{{1, 7}, "bye"},
      Nack{7, 1, {10, 11, 40}},
      Pli{7, 1},
      Fir{7, 0, {{1, 3}}},
      Remb{7, 0, 1'500'000, {1}},
      Tmmbr{7, 0, {{1, 640'000, 40}}},
      Tmmbn{1, 0, {{1, 640'000, 40}}},
      RtcpUnknown{204, 3, {'n', 'a', 'm', 'e', 1, 2, 3, 4}},
  };
}

TEST(RtcpCompound, RoundTripsEveryMessageType) {
  const auto messages = AllTypes();
  const auto bytes = SerializeRtcpCompound(messages);
  auto parsed = ParseRtcpCompound(bytes);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ((*parsed)[i].index(), messages[i].index()) << i;
    EXPECT_TRUE((*parsed)[i] == messages[i]) << i;
  }
}

TEST(RtcpCompound, ParsesSrPlusSdes) {
  std::vector<uint8_t> bytes;
  SenderReport{0xAAAA, {1, 2}, 3, 4, 5, {}}.Serialize(bytes);
  Sdes::WithCname(0xAAAA, "x").Serialize(bytes);
  auto parsed = ParseRtcpCompound(bytes);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ(std::get<SenderReport>((*parsed)[0]).sender_ssrc, 0xAAAAu);
  EXPECT_EQ(std::get<Sdes>((*parsed)[1]).Cname(0xAAAA), "x");
}

TEST(RtcpCompound, SkipsUnknownTypesAndKeepsTheirBytes) {
  std::vector<uint8_t> bytes = {0x80, 207, 0x00, 0x01, 0xDE, 0xAD, 0xBE, 0xEF};  // XR
  Pli{1, 2}.Serialize(bytes);
  // PSFB FMT 15 that is not REMB, and RTPFB FMT 15 (transport-wide CC).
  bytes.insert(bytes.end(), {0x8F, 206, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 'A', 'B', 'C', 'D'});
  bytes.insert(bytes.end(), {0x8F, 205, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2});
  auto parsed = ParseRtcpCompound(bytes);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 4u);
  const auto& xr = std::get<RtcpUnknown>((*parsed)[0]);
  EXPECT_EQ(xr.pt, 207);
  EXPECT_EQ(xr.body, (std::vector<uint8_t>{0xDE, 0xAD, 0xBE, 0xEF}));
  EXPECT_TRUE(std::holds_alternative<Pli>((*parsed)[1]));
  EXPECT_EQ(std::get<RtcpUnknown>((*parsed)[2]).fmt, 15);
  EXPECT_EQ(std::get<RtcpUnknown>((*parsed)[3]).pt, 205);
  // Re-serializing reproduces the input.
  EXPECT_EQ(SerializeRtcpCompound(*parsed), bytes);
}

TEST(RtcpCompound, MalformedKnownPacketBecomesUnknownNotFatal) {
  std::vector<uint8_t> bytes;
  ReceiverReport{1, {}}.Serialize(bytes);
  // A NACK with no FCI entry.
  bytes.insert(bytes.end(), {0x81, 205, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2});
  auto parsed = ParseRtcpCompound(bytes);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_TRUE(std::holds_alternative<ReceiverReport>((*parsed)[0]));
  EXPECT_EQ(std::get<RtcpUnknown>((*parsed)[1]).pt, 205);
}

TEST(RtcpCompound, HandlesPaddingOnTheLastPacket) {
  std::vector<uint8_t> bytes;
  ReceiverReport{1, {}}.Serialize(bytes);
  Pli{1, 2}.Serialize(bytes);
  // Pad the PLI by 4 octets, as SRTCP senders sometimes do.
  bytes[8] |= 0x20;
  bytes[11] = 0x03;
  bytes.insert(bytes.end(), {0, 0, 0, 4});
  auto parsed = ParseRtcpCompound(bytes);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ(std::get<Pli>((*parsed)[1]), (Pli{1, 2}));
}

TEST(RtcpCompound, RejectsMalformedCompounds) {
  std::vector<uint8_t> good;
  ReceiverReport{1, {}}.Serialize(good);
  Pli{1, 2}.Serialize(good);
  ASSERT_TRUE(ParseRtcpCompound(good));

  EXPECT_FALSE(ParseRtcpCompound({}));
  auto bad_version = good;
  bad_version[8] = 0x41;  // second packet has version 1
  EXPECT_FALSE(ParseRtcpCompound(bad_version));
  auto overrun = good;
  overrun[11] = 0x03;  // second packet claims one word more than is there
  EXPECT_FALSE(ParseRtcpCompound(overrun));
  auto trailing = good;
  trailing.push_back(0x80);  // a stray byte after the last packet
  EXPECT_FALSE(ParseRtcpCompound(trailing));
  for (size_t n = 1; n < good.size(); ++n) {
    if (n == 8) continue;  // the first packet alone is a valid compound
    EXPECT_FALSE(ParseRtcpCompound(std::span(good).first(n))) << n;
  }
}

TEST(RtcpCompound, BuilderLeavesOutMessagesWithNothingToSay) {
  const std::vector<RtcpMessage> messages = {Nack{1, 2, {}}, Fir{1, 0, {}}, Pli{1, 2}};
  auto bytes = SerializeRtcpCompound(messages);
  EXPECT_EQ(bytes.size(), 12u);
}

}  // namespace
}  // namespace tessera::rtp
