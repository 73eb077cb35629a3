#include <gtest/gtest.h>
#include <tessera/rtp/rtp_sender.h>

#include <vector>

namespace tessera::rtp {
namespace {

constexpr uint32_t kSsrc = 0xABCD0001;

RtpSender::Config MakeConfig() {
  RtpSender::Config config;
  config.ssrc = kSsrc;
  config.payload_type = 96;
  config.clock_rate = 90000;
  config.cname = "tessera@mcu";
  config.initial_sequence = 65534;
  config.initial_timestamp = 1'000'000;
  return config;
}

std::vector<uint8_t> Payload(size_t size, uint8_t fill) { return std::vector<uint8_t>(size, fill); }

TEST(RtpSender, StampsOwnSsrcSequenceAndPayloadType) {
  FakeClock clock;
  RtpSender sender(MakeConfig(), clock);
  const auto payload = Payload(100, 0x11);
  RtpPacket a = sender.Send(payload, 5555, false, 1);
  RtpPacket b = sender.Send(payload, 5555, true, 1);
  RtpPacket c = sender.Send(payload, 8555, true, 1);
  EXPECT_EQ(a.ssrc(), kSsrc);
  EXPECT_EQ(a.payload_type(), 96);
  EXPECT_EQ(a.sequence_number(), 65534);
  EXPECT_EQ(b.sequence_number(), 65535);
  EXPECT_EQ(c.sequence_number(), 0);
  EXPECT_EQ(a.timestamp(), 1'000'000u);
  EXPECT_EQ(b.timestamp(), 1'000'000u);
  EXPECT_EQ(c.timestamp(), 1'003'000u);  // follows the source's 3000-tick step
  EXPECT_TRUE(b.marker());
  EXPECT_TRUE(std::equal(c.payload().begin(), c.payload().end(), payload.begin()));
}

TEST(RtpSender, StaysContinuousAcrossSourceSwitch) {
  FakeClock clock;
  RtpSender sender(MakeConfig(), clock);
  const auto payload = Payload(50, 0);
  RtpPacket last = sender.Send(payload, 7000, true, /*source_id=*/1);
  for (uint32_t ts = 10000; ts <= 16000; ts += 3000) {
    clock.AdvanceMs(33);
    last = sender.Send(payload, ts, true, 1);
  }
  // Switch to a source whose timestamps are unrelated and lower, 40 ms after the last frame.
  clock.AdvanceMs(40);
  RtpPacket switched = sender.Send(payload, 123, false, /*source_id=*/2);
  EXPECT_EQ(switched.sequence_number(), static_cast<uint16_t>(last.sequence_number() + 1));
  EXPECT_EQ(switched.timestamp(), last.timestamp() + 40 * 90);
  // The new source's own steps are kept from there on.
  clock.AdvanceMs(33);
  RtpPacket next = sender.Send(payload, 123 + 2970, true, 2);
  EXPECT_EQ(next.timestamp(), switched.timestamp() + 2970);
  // And switching back continues, rather than returning to the old offset.
  clock.AdvanceMs(20);
  RtpPacket back = sender.Send(payload, 19000, true, 1);
  EXPECT_EQ(back.timestamp(), next.timestamp() + 20 * 90);
}

TEST(RtpSender, SwitchWithoutElapsedTimeStillAdvancesTimestamp) {
  FakeClock clock;
  RtpSender sender(MakeConfig(), clock);
  const auto payload = Payload(10, 0);
  RtpPacket a = sender.Send(payload, 500, false, 1);
  RtpPacket b = sender.Send(payload, 9, false, 2);
  EXPECT_EQ(b.timestamp(), a.timestamp() + 1);
}

TEST(RtpSender, AnswersNackFromHistoryWithIdenticalBytes) {
  FakeClock clock;
  RtpSender sender(MakeConfig(), clock);
  std::vector<RtpPacket> sent;
  for (int i = 0; i < 5; ++i) {
    sent.push_back(sender.Send(Payload(200 + i, static_cast<uint8_t>(i)), 90 * i, i == 4, 1));
    clock.AdvanceMs(5);
  }
  const std::vector<uint16_t> seqs = {sent[1].sequence_number(), sent[3].sequence_number()};
  auto resent = sender.OnNack(seqs, clock.NowUs());
  ASSERT_EQ(resent.size(), 2u);
  EXPECT_TRUE(std::ranges::equal(resent[0].data(), sent[1].data()));
  EXPECT_TRUE(std::ranges::equal(resent[1].data(), sent[3].data()));
  EXPECT_EQ(sender.packets_retransmitted(), 2u);
}

TEST(RtpSender, IgnoresNackForEvictedUnknownOrTooOldPackets) {
  FakeClock clock;
  RtpSender::Config config = MakeConfig();
  config.history_size = 4;
  RtpSender sender(config, clock);
  std::vector<uint16_t> seqs;
  for (int i = 0; i < 10; ++i)
    seqs.push_back(sender.Send(Payload(10, 0), 0, false, 1).sequence_number());
  EXPECT_EQ(sender.history_packets(), 4u);
  // The first six were pushed out; a sequence number never sent is unknown.
  const std::vector<uint16_t> evicted = {seqs[0], seqs[5], static_cast<uint16_t>(seqs[9] + 1)};
  EXPECT_TRUE(sender.OnNack(evicted, clock.NowUs()).empty());
  EXPECT_EQ(sender.OnNack(std::vector<uint16_t>{seqs[6]}, clock.NowUs()).size(), 1u);
  // Past max_history_age_ms nothing is resent.
  clock.AdvanceMs(1001);
  EXPECT_TRUE(sender.OnNack(std::vector<uint16_t>{seqs[7], seqs[8]}, clock.NowUs()).empty());
}

TEST(RtpSender, DoesNotResendWithinHalfRtt) {
  FakeClock clock;
  RtpSender sender(MakeConfig(), clock);
  sender.UpdateRtt(200'000);
  const uint16_t seq = sender.Send(Payload(10, 0), 0, false, 1).sequence_number();
  const std::vector<uint16_t> nack = {seq, seq};
  EXPECT_EQ(sender.OnNack(nack, clock.NowUs()).size(), 1u);  // the repeat is skipped
  clock.AdvanceMs(99);
  EXPECT_TRUE(sender.OnNack(nack, clock.NowUs()).empty());
  clock.AdvanceMs(1);
  EXPECT_EQ(sender.OnNack(std::vector<uint16_t>{seq}, clock.NowUs()).size(), 1u);
}

TEST(RtpSender, SenderReportMapsRtpTimeToWallClock) {
  FakeClock clock;
  RtpSender sender(MakeConfig(), clock);
  const RtpPacket pkt = sender.Send(Payload(1000, 0), 42, true, 1);
  clock.AdvanceMs(1000);
  const NtpTime now_ntp = clock.NowNtp();
  const SenderReport sr = sender.BuildSenderReport(now_ntp, clock.NowUs());
  EXPECT_EQ(sr.sender_ssrc, kSsrc);
  EXPECT_EQ(sr.ntp.ToU64(), now_ntp.ToU64());
  EXPECT_EQ(sr.rtp_timestamp, pkt.timestamp() + 90000);
  EXPECT_EQ(sr.packet_count, 1u);
  EXPECT_EQ(sr.octet_count, 1000u);
}

TEST(RtpSender, SenderReportCountsFromFirstPacketOfLatestTimestamp) {
  FakeClock clock;
  RtpSender sender(MakeConfig(), clock);
  const RtpPacket first = sender.Send(Payload(10, 0), 42, false, 1);
  clock.AdvanceMs(10);  // the rest of the frame leaves later, same timestamp
  (void)sender.Send(Payload(10, 0), 42, true, 1);
  clock.AdvanceMs(90);
  const SenderReport sr = sender.BuildSenderReport(clock.NowNtp(), clock.NowUs());
  EXPECT_EQ(sr.rtp_timestamp, first.timestamp() + 9000);
}

TEST(RtpSender, SenderReportMapsTheTimestampToItsSourceTimeNotTheLateSend) {
  FakeClock clock;
  RtpSender sender(MakeConfig(), clock);
  // A mixer's frame for the slot at 1.000 s, sent 25 ms late.
  const int64_t slot_us = clock.NowUs();
  clock.AdvanceMs(25);
  const RtpPacket pkt = sender.Send(Payload(10, 0), 3000, true, 1, {}, slot_us);
  clock.AdvanceMs(75);
  const SenderReport sr = sender.BuildSenderReport(clock.NowNtp(), clock.NowUs());
  EXPECT_EQ(sr.rtp_timestamp, pkt.timestamp() + 9000);  // 100 ms after the slot, not 75
  // A switch of source counts from the slots too: the next slot is 40 ms after the last.
  const RtpPacket switched = sender.Send(Payload(10, 0), 77, true, 2, {}, slot_us + 40'000);
  EXPECT_EQ(switched.timestamp(), pkt.timestamp() + 40 * 90);
}

TEST(RtpSender, CountsPacketsAndPayloadOctetsButNotRetransmissions) {
  FakeClock clock;
  RtpSender sender(MakeConfig(), clock);
  const std::vector<ExtensionElement> ext = {{1, {0xAA, 0xBB}}};
  const uint16_t seq = sender.Send(Payload(300, 1), 0, false, 1, ext).sequence_number();
  (void)sender.Send(Payload(700, 2), 0, true, 1);
  (void)sender.OnNack(std::vector<uint16_t>{seq}, clock.NowUs());
  EXPECT_EQ(sender.packets_sent(), 2u);
  EXPECT_EQ(sender.payload_octets_sent(), 1000u);
  const SenderReport sr = sender.BuildSenderReport(clock.NowNtp(), clock.NowUs());
  EXPECT_EQ(sr.packet_count, 2u);
  EXPECT_EQ(sr.octet_count, 1000u);
}

TEST(RtpSender, CarriesHeaderExtensions) {
  FakeClock clock;
  RtpSender sender(MakeConfig(), clock);
  const std::vector<ExtensionElement> ext = {{3, {0x01, 0x02, 0x03}}};
  const RtpPacket pkt = sender.Send(Payload(20, 7), 0, false, 1, ext);
  auto value = pkt.extension(3);
  ASSERT_TRUE(value);
  EXPECT_EQ(std::vector<uint8_t>(value->begin(), value->end()), ext[0].data);
  EXPECT_EQ(pkt.payload().size(), 20u);
}

TEST(RtpSender, BuildsSdesAndBye) {
  FakeClock clock;
  RtpSender sender(MakeConfig(), clock);
  EXPECT_EQ(sender.BuildSdes().Cname(kSsrc), "tessera@mcu");
  EXPECT_EQ(sender.BuildBye("done").ssrcs, (std::vector<uint32_t>{kSsrc}));
}

}  // namespace
}  // namespace tessera::rtp
