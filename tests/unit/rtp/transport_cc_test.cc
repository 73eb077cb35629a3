// Transport-wide congestion control (rtp/transport_cc.h): the header extension on RTP packets,
// the feedback a receiver builds from arrivals, and the send-side estimate it drives, run over a
// simulated bottleneck (a drop-tail queue drained at a fixed rate) with every feedback going
// through its wire form.
#include <gtest/gtest.h>
#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtp_packet.h>
#include <tessera/rtp/transport_cc.h>

#include <algorithm>
#include <deque>

namespace tessera::rtp {
namespace {

RtpPacket Packet(uint16_t seq, std::span<const ExtensionElement> ext = {}, uint8_t padding = 0) {
  RtpHeader h;
  h.payload_type = 96;
  h.sequence_number = seq;
  h.timestamp = 1234;
  h.ssrc = 0xCAFE;
  h.csrcs = {7};
  const std::vector<uint8_t> payload = {1, 2, 3, 4, 5};
  return RtpPacket::Build(h, ext, payload, padding);
}

TEST(TransportSequence, SetExtensionAddsReplacesAndKeepsTheRest) {
  RtpPacket p = Packet(10, {}, 4);
  const uint8_t seq[2] = {0x12, 0x34};
  ASSERT_TRUE(p.SetExtension(5, seq));
  EXPECT_EQ(ReadTransportSequence(p.data(), 5), 0x1234);
  EXPECT_EQ(p.sequence_number(), 10);
  EXPECT_EQ(p.csrc(0), 7u);
  EXPECT_EQ(p.padding_size(), 4u);
  EXPECT_EQ(std::vector<uint8_t>(p.payload().begin(), p.payload().end()),
            (std::vector<uint8_t>{1, 2, 3, 4, 5}));
  // In place when it is there already; other elements kept.
  const std::vector<ExtensionElement> ext = {{1, {0xAA}}, {5, {0, 0}}};
  RtpPacket q = Packet(11, ext);
  const size_t size = q.size();
  ASSERT_TRUE(q.SetExtension(5, seq));
  EXPECT_EQ(q.size(), size);
  EXPECT_EQ(ReadTransportSequence(q.data(), 5), 0x1234);
  EXPECT_EQ(q.extension(1)->front(), 0xAA);
}

TEST(TransportSequence, WriteInsertsABlockOrUsesTheOneThere) {
  // No extensions: an 8-byte one-byte-form block goes in after the CSRCs.
  const RtpPacket plain = Packet(3, {}, 2);
  std::vector<uint8_t> bytes(plain.data().begin(), plain.data().end());
  ASSERT_TRUE(WriteTransportSequence(bytes, 4, 0xBEEF));
  EXPECT_EQ(bytes.size(), plain.size() + 8);
  auto p = RtpPacket::Parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(ReadTransportSequence(bytes, 4), 0xBEEF);
  EXPECT_EQ(p->csrc(0), 7u);
  EXPECT_EQ(p->padding_size(), 2u);
  EXPECT_EQ(std::vector<uint8_t>(p->payload().begin(), p->payload().end()),
            (std::vector<uint8_t>{1, 2, 3, 4, 5}));
  // Again: in place.
  ASSERT_TRUE(WriteTransportSequence(bytes, 4, 0x0102));
  EXPECT_EQ(bytes.size(), plain.size() + 8);
  EXPECT_EQ(ReadTransportSequence(bytes, 4), 0x0102);
  // Other extensions kept.
  const std::vector<ExtensionElement> ext = {{1, {0xAA}}};
  const RtpPacket with = Packet(4, ext);
  bytes.assign(with.data().begin(), with.data().end());
  ASSERT_TRUE(WriteTransportSequence(bytes, 4, 9));
  EXPECT_EQ(ReadTransportSequence(bytes, 4), 9);
  EXPECT_EQ(RtpPacket::Parse(bytes)->extension(1)->front(), 0xAA);
  // Not RTP: untouched.
  std::vector<uint8_t> junk = {1, 2, 3};
  EXPECT_FALSE(WriteTransportSequence(junk, 4, 1));
  EXPECT_EQ(junk.size(), 3u);
}

TEST(TransportSequence, ReadRefusesWhatIsNotThere) {
  const std::vector<ExtensionElement> ext = {{1, {0xAA}}, {5, {0x01, 0x02}}};
  RtpPacket p = Packet(1, ext);
  EXPECT_EQ(ReadTransportSequence(p.data(), 5), 0x0102);
  EXPECT_FALSE(ReadTransportSequence(p.data(), 1)) << "one byte long: not a sequence number";
  EXPECT_FALSE(ReadTransportSequence(p.data(), 9));
  EXPECT_FALSE(ReadTransportSequence(Packet(2).data(), 5));
  // A length running past the packet.
  std::vector<uint8_t> bytes(p.data().begin(), p.data().end());
  bytes[16 + 2] = 0x40;
  EXPECT_FALSE(ReadTransportSequence(bytes, 5));
  // Truncations never read past the end.
  for (size_t n = 0; n < p.size(); ++n) {
    (void)ReadTransportSequence(std::span<const uint8_t>(p.data()).first(n), 5);
  }
}

TransportFeedback WireRoundTrip(const TransportFeedback& fb) {
  EXPECT_TRUE(fb.CanSerialize());
  std::vector<uint8_t> bytes;
  fb.Serialize(bytes);
  auto parsed = TransportFeedback::Parse(bytes);
  EXPECT_TRUE(parsed);
  return parsed.value_or(TransportFeedback{});
}

TEST(TransportCcReceiver, AcknowledgesArrivalsAndLossesOnce) {
  TransportCcReceiver r;
  const int64_t t0 = 5'000'000'123;  // far from zero: the reference time wraps at 24 bits
  for (uint16_t s = 65530; s != 6; ++s) {
    if (s == 65534 || s == 2) continue;  // lost
    r.OnPacket(s, t0 + 1000 * static_cast<uint16_t>(s - 65530));
  }
  auto fbs = r.BuildFeedback(1, 2);
  ASSERT_EQ(fbs.size(), 1u);
  const TransportFeedback fb = WireRoundTrip(fbs[0]);
  EXPECT_EQ(fb.base_sequence, 65530);
  ASSERT_EQ(fb.arrivals_us.size(), 12u);
  ASSERT_TRUE(fb.arrivals_us[0]);
  for (size_t i = 0; i < 12; ++i) {
    const bool lost = i == 4 || i == 8;
    ASSERT_EQ(fb.arrivals_us[i].has_value(), !lost) << i;
    if (!lost) {
      EXPECT_NEAR(*fb.arrivals_us[i] - *fb.arrivals_us[0], 1000.0 * i, 250) << i;
    }
  }
  EXPECT_TRUE(r.BuildFeedback(1, 2).empty()) << "nothing new";
  r.OnPacket(2, t0 + 20'000);  // after its feedback
  EXPECT_EQ(r.late(), 1u);
  r.OnPacket(7, t0 + 21'000);
  fbs = r.BuildFeedback(1, 2);
  ASSERT_EQ(fbs.size(), 1u);
  EXPECT_EQ(fbs[0].base_sequence, 6) << "starts where the last one ended: 6 was lost";
  ASSERT_EQ(fbs[0].arrivals_us.size(), 2u);
  EXPECT_FALSE(fbs[0].arrivals_us[0]);
}

TEST(TransportCcReceiver, LongSilencesAndJumpsSplitOrSkip) {
  TransportCcReceiver r;
  r.OnPacket(100, 1'000'000);
  r.OnPacket(101, 11'000'000);  // 10 s later: beyond a delta's reach
  auto fbs = r.BuildFeedback(1, 2);
  ASSERT_EQ(fbs.size(), 2u);
  EXPECT_EQ(fbs[0].base_sequence, 100);
  EXPECT_EQ(fbs[1].base_sequence, 101);
  for (const auto& fb : fbs) EXPECT_TRUE(fb.CanSerialize());
  // A sender that jumps 20000 numbers ahead: the gap is not acknowledged packet by packet.
  r.OnPacket(20101, 11'100'000);
  fbs = r.BuildFeedback(1, 2);
  ASSERT_EQ(fbs.size(), 1u);
  EXPECT_EQ(fbs[0].base_sequence, 20101);
  EXPECT_EQ(fbs[0].arrivals_us.size(), 1u);
}

TEST(TransportCcReceiver, AnOutageIsAcknowledgedAsLossesAndEnds) {
  // 1000, 2000 and 4095 numbers lost in a row (a publisher's outage of seconds): acknowledged
  // as losses, in feedback of at most 1000 entries, and the builder ends.
  for (int gap : {999, 1000, 2000, 4094}) {
    TransportCcReceiver r;
    r.OnPacket(10, 1'000'000);
    ASSERT_EQ(r.BuildFeedback(1, 2).size(), 1u);
    r.OnPacket(static_cast<uint16_t>(11 + gap), 4'000'000);
    auto fbs = r.BuildFeedback(1, 2);
    size_t entries = 0, received = 0;
    for (const auto& fb : fbs) {
      EXPECT_TRUE(fb.CanSerialize());
      EXPECT_LE(fb.arrivals_us.size(), 1000u);
      entries += fb.arrivals_us.size();
      for (const auto& a : fb.arrivals_us) received += a.has_value();
    }
    EXPECT_EQ(entries, static_cast<size_t>(gap + 1)) << gap;
    EXPECT_EQ(received, 1u) << gap;
  }
}

TEST(SendSideEstimator, FeedbackThatRunsBackwardsOrClaimsTooMuchStaysBounded) {
  SendSideEstimator e({.start_bps = 1'000'000, .min_bps = 100'000, .max_bps = 3'000'000});
  int64_t now = 1'000'000;
  for (uint16_t seq = 0; seq < 20000; ++seq) {
    e.OnPacketSent(seq, now, 1000);
    now += 1000;
    if (seq % 100 == 99) {
      // Each feedback's arrival times earlier than the last one's.
      TransportFeedback fb;
      fb.base_sequence = static_cast<uint16_t>(seq - 99);
      fb.reference_time = 1000 - seq / 100;
      for (int i = 0; i < 100; ++i) fb.arrivals_us.push_back(fb.reference_time * 64000 + i);
      e.OnFeedback(fb, now);
    }
  }
  EXPECT_GE(e.estimate_bps(), 100'000);
  EXPECT_LE(e.estimate_bps(), 3'000'000);
  // 65535 entries from a feedback: read no further than the history.
  TransportFeedback huge;
  huge.base_sequence = 0;
  huge.arrivals_us.resize(65535);
  e.OnFeedback(huge, now);
  EXPECT_LE(e.unknown_acks(), 8192u);
}

// A sender at send_bps (1200-byte packets, plus probe padding when the estimator asks) through a
// link of link_bps with a 200 ms drop-tail queue; feedback every 100 ms through its wire form.
struct Simulation {
  explicit Simulation(SendSideEstimator::Config c) : estimator(c) {}
  void Run(int64_t send_bps, int64_t link_bps, int64_t duration_us) {
    const int64_t end = now + duration_us;
    int64_t next_send = now;
    while (now < end) {
      now += 1000;  // 1 ms steps
      const int64_t rate =
          probe_until > now ? std::max(send_bps, estimator.config().probe_bps) : send_bps;
      while (next_send <= now) {
        Send(1200, probe_until > now);
        next_send += int64_t{1200} * 8 * 1'000'000 / rate;
      }
      if (now % 100'000 == 0) {
        for (const auto& fb : receiver.BuildFeedback(1, 2)) {
          std::vector<uint8_t> bytes;
          fb.Serialize(bytes);
          auto parsed = TransportFeedback::Parse(bytes);
          ASSERT_TRUE(parsed);
          estimator.OnFeedback(*parsed, now);
        }
        if (estimator.ProbeDue(now)) probe_until = now + SendSideEstimator::kProbeDurationUs;
      }
      (void)link_bps;
    }
  }
  void Send(size_t bytes, bool probe) {
    const uint16_t seq = next_seq++;
    estimator.OnPacketSent(seq, now, bytes, probe);
    // The link: departs when the packets ahead have; dropped when it would wait over 200 ms.
    const int64_t start = std::max(now, link_free);
    if (start - now > 200'000) return;
    link_free = start + static_cast<int64_t>(bytes) * 8 * 1'000'000 / link_bps_now;
    receiver.OnPacket(seq, link_free + 20'000 /* propagation */ + 7'000'000 /* clock offset */);
  }
  SendSideEstimator estimator;
  TransportCcReceiver receiver;
  int64_t now = 1'000'000;
  int64_t link_free = 0;
  int64_t link_bps_now = 1'000'000'000;
  int64_t probe_until = 0;
  uint16_t next_seq = 65000;
};

TEST(SendSideEstimator, ABottleneckBringsTheEstimateDownToIt) {
  Simulation sim({.start_bps = 2'000'000, .min_bps = 100'000, .max_bps = 4'000'000});
  sim.link_bps_now = 500'000;
  sim.Run(1'200'000, 500'000, 5'000'000);
  EXPECT_LT(sim.estimator.estimate_bps(), 500'000);
  EXPECT_GT(sim.estimator.estimate_bps(), 250'000);
  EXPECT_GT(sim.estimator.queue_delay_us(), 80'000) << "the queue is what gave it away";
}

TEST(SendSideEstimator, AnOpenPathKeepsItAndLossAloneLowersIt) {
  Simulation sim({.start_bps = 2'000'000, .min_bps = 100'000, .max_bps = 4'000'000});
  sim.Run(1'500'000, 0, 5'000'000);
  // Calm: it climbs, but never past 1.5x what is sent (and 50 kbit/s), which says nothing of more.
  EXPECT_GT(sim.estimator.estimate_bps(), 2'000'000);
  EXPECT_LE(sim.estimator.estimate_bps(), 2'450'000);
  EXPECT_LT(sim.estimator.queue_delay_us(), 5'000);
  EXPECT_EQ(sim.estimator.loss(), 0.0);

  // 30 % of the packets never arrive, no queue: down by half the loss, every 300 ms or so.
  SendSideEstimator e({.start_bps = 2'000'000, .min_bps = 100'000, .max_bps = 4'000'000});
  TransportCcReceiver r;
  int64_t t = 0;
  uint16_t seq = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 10; ++i, ++seq) {
      t += 10'000;
      e.OnPacketSent(seq, t, 1000);
      if (seq % 10 >= 3) r.OnPacket(seq, t + 5000);
    }
    for (const auto& fb : r.BuildFeedback(1, 2)) e.OnFeedback(fb, t);
  }
  EXPECT_NEAR(e.loss(), 0.3, 0.05);
  EXPECT_LT(e.estimate_bps(), 1'000'000);
}

TEST(SendSideEstimator, AProbeFindsALiftedBottleneck) {
  // A sender held to 300 kbit/s by a bottleneck; the estimate follows it down. The bottleneck
  // lifts: what it sends alone never shows more, a probe does.
  Simulation sim(
      {.start_bps = 2'000'000, .min_bps = 100'000, .max_bps = 4'000'000, .probe_bps = 1'500'000});
  sim.link_bps_now = 400'000;
  sim.Run(1'000'000, 0, 4'000'000);
  const int64_t low = sim.estimator.estimate_bps();
  EXPECT_LT(low, 450'000);
  sim.Run(300'000, 0, 20'000'000);
  EXPECT_LT(sim.estimator.estimate_bps(), 700'000) << "probes find the bottleneck still there";
  EXPECT_GE(sim.estimator.probes(), 1u);
  sim.link_bps_now = 1'000'000'000;
  const uint64_t probes = sim.estimator.probes();
  sim.Run(300'000, 0, 70'000'000);
  EXPECT_GT(sim.estimator.probes(), probes);
  EXPECT_GE(sim.estimator.estimate_bps(), 1'200'000) << "the probe's rate, less 10 %";
}

}  // namespace
}  // namespace tessera::rtp
