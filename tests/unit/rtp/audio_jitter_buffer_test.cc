#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <tessera/base/metrics.h>
#include <tessera/rtp/audio_jitter_buffer.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <set>
#include <vector>

namespace tessera::rtp {
namespace {

using Kind = AudioPull::Kind;

constexpr int64_t kTickUs = 20'000;
constexpr int64_t kStartUs = 1'000'000;

// Each payload is the packet's index in the sent stream (4 bytes, big endian).
std::vector<uint8_t> IndexBytes(uint32_t i) {
  return {static_cast<uint8_t>(i >> 24), static_cast<uint8_t>(i >> 16),
          static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
}
int64_t IndexOf(const std::vector<uint8_t>& p) {
  if (p.size() != 4) return -1;
  return int64_t{p[0]} << 24 | int64_t{p[1]} << 16 | int64_t{p[2]} << 8 | p[3];
}

struct Sent {
  uint32_t index = 0;
  uint16_t seq = 0;
  uint32_t ts = 0;
  int64_t arrival_us = 0;
};

// A stream of `count` packets of `ptime_ms`, sent by a clock running at sender_rate Hz while the
// RTP timestamps count 48 kHz: packet i leaves at i * ptime * 48000 / sender_rate.
std::vector<Sent> Stream(int count, int ptime_ms = 20, double sender_rate = 48000,
                         uint16_t seq0 = 1000, uint32_t ts0 = 5000) {
  std::vector<Sent> out;
  const uint32_t samples = static_cast<uint32_t>(48 * ptime_ms);
  for (int i = 0; i < count; ++i) {
    Sent s;
    s.index = static_cast<uint32_t>(i);
    s.seq = static_cast<uint16_t>(seq0 + i);
    s.ts = ts0 + static_cast<uint32_t>(i) * samples;
    s.arrival_us = kStartUs + static_cast<int64_t>(i * samples * 1e6 / sender_rate) + 3'000;
    out.push_back(s);
  }
  return out;
}

class Sim {
 public:
  explicit Sim(AudioJitterConfig config = {})
      : clock_(kStartUs), jb_(config, clock_), drops_(registry_, "test") {
    jb_.SetDropCounters(&drops_);
  }

  // Delivers `packets` (in any order; sorted by arrival here) and pulls every 20 ms from
  // kStartUs + 10 ms until until_us, honouring each result's ticks. on_pull sees every result.
  void Run(std::vector<Sent> packets, int64_t until_us,
           const std::function<void(const AudioPull&, int64_t)>& on_pull = {}) {
    std::stable_sort(packets.begin(), packets.end(),
                     [](const Sent& a, const Sent& b) { return a.arrival_us < b.arrival_us; });
    size_t next = 0;
    for (int64_t t = next_pull_us_; t <= until_us; t += kTickUs) {
      while (next < packets.size() && packets[next].arrival_us <= t) {
        const Sent& s = packets[next++];
        clock_.AdvanceUs(std::max<int64_t>(0, s.arrival_us - clock_.NowUs()));
        jb_.Insert(s.seq, s.ts, IndexBytes(s.index), s.arrival_us);
      }
      clock_.AdvanceUs(t - clock_.NowUs());
      next_pull_us_ = t + kTickUs;
      if (skip_ > 0) {
        --skip_;
        continue;
      }
      const AudioPull pull = jb_.Pull(t);
      max_level_us_ = std::max(max_level_us_, jb_.stats().level_us);
      if (pull.ticks > 1) skip_ = pull.ticks - 1;
      if (pull.kind == Kind::kFrame) {
        const int64_t index = IndexOf(pull.payload);
        EXPECT_GT(index, last_index_) << "frames out of order or repeated";
        last_index_ = index;
        played_.push_back(index);
        conceals_before_last_frame_ = conceals_;
      } else if (pull.kind == Kind::kConceal) {
        ++conceals_;
      }
      if (on_pull) on_pull(pull, t);
    }
  }

  AudioJitterBuffer& jb() { return jb_; }
  const std::vector<int64_t>& played() const { return played_; }
  // Concealments up to the last frame played (the 2 ticks concealed after a stream ends are
  // not counted).
  int conceals() const { return conceals_before_last_frame_; }
  int64_t max_level_us() const { return max_level_us_; }
  uint64_t drops(DropReason r) const { return drops_.Get(r); }

 private:
  FakeClock clock_;
  AudioJitterBuffer jb_;
  MetricsRegistry registry_;
  DropCounters drops_;
  int64_t next_pull_us_ = kStartUs + 10'000;
  int skip_ = 0;
  int64_t last_index_ = -1;
  std::vector<int64_t> played_;
  int conceals_ = 0;
  int conceals_before_last_frame_ = 0;
  int64_t max_level_us_ = 0;
};

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t i = from; i < to; ++i) out.push_back(i);
  return out;
}

TEST(AudioJitterBuffer, SteadyStreamPlaysEveryFrameInOrderAtMinimumTarget) {
  Sim sim;
  int leading_silence = 0;
  sim.Run(Stream(500), kStartUs + 10'200'000, [&](const AudioPull& p, int64_t) {
    if (p.kind == Kind::kSilence && sim.played().empty()) ++leading_silence;
    if (p.kind == Kind::kFrame) {
      EXPECT_EQ(p.ticks, 1);
      EXPECT_EQ(p.samples, 960u);
      EXPECT_EQ(p.rtp_timestamp, 5000u + 960u * static_cast<uint32_t>(sim.played().back()));
    }
  });
  EXPECT_EQ(sim.played(), Range(0, 500));
  EXPECT_EQ(sim.conceals(), 0);
  EXPECT_EQ(leading_silence, 1);  // buffering to 40 ms (two packets)
  EXPECT_EQ(sim.jb().stats().target_us, 40'000);
  EXPECT_EQ(sim.jb().stats().drift_dropped, 0u);
  EXPECT_EQ(sim.jb().stats().frames_played, 500u);
}

TEST(AudioJitterBuffer, AFrameCarriesWhenItsPacketArrived) {
  const std::vector<Sent> packets = Stream(100);
  Sim sim;
  int frames = 0;
  sim.Run(packets, kStartUs + 2'100'000, [&](const AudioPull& p, int64_t now) {
    if (p.kind != Kind::kFrame) return;
    const Sent& sent = packets[static_cast<size_t>(sim.played().back())];
    EXPECT_EQ(p.arrival_us, sent.arrival_us);
    // Held from its arrival for about the target (40 ms, the frame about to play included).
    EXPECT_GT(now - p.arrival_us, 20'000);
    EXPECT_LT(now - p.arrival_us, 60'000);
    ++frames;
  });
  EXPECT_EQ(frames, 100);
}

TEST(AudioJitterBuffer, JitteryArrivalRaisesTargetAndConcealsNothingOnceAdapted) {
  std::vector<Sent> packets = Stream(3000);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> delay(0, 60'000);
  for (Sent& s : packets) s.arrival_us += delay(rng);
  Sim sim;
  int late_conceals = 0;
  sim.Run(packets, kStartUs + 61'000'000, [&](const AudioPull& p, int64_t now) {
    if (p.kind == Kind::kConceal && now > kStartUs + 5'000'000) ++late_conceals;
  });
  EXPECT_EQ(late_conceals, 2);  // when the stream ends
  EXPECT_GE(sim.jb().stats().target_us, 60'000);
  EXPECT_GE(sim.jb().stats().jitter_us, 10'000);
  EXPECT_GE(sim.played().size(), 2950u);
}

TEST(AudioJitterBuffer, RandomLossConcealsExactlyTheLostFramesWithNextPayload) {
  std::vector<Sent> all = Stream(1000);
  std::mt19937 rng(11);
  std::bernoulli_distribution lose(0.1);
  std::set<int64_t> lost;
  std::vector<Sent> packets;
  for (const Sent& s : all) {
    // Keep the first and last few so that every loss lies inside the stream, and no more than
    // 2 in a row (a longer gap with nothing held is a sender pause).
    const bool after_two = lost.count(s.index - 1) != 0 && lost.count(s.index - 2) != 0;
    if (s.index > 3 && s.index < 990 && !after_two && lose(rng)) {
      lost.insert(s.index);
    } else {
      packets.push_back(s);
    }
  }
  ASSERT_GT(lost.size(), 50u);
  Sim sim;
  std::set<int64_t> concealed;
  int with_next = 0;
  sim.Run(packets, kStartUs + 20'500'000, [&](const AudioPull& p, int64_t) {
    if (p.kind != Kind::kConceal) return;
    const int64_t index = (p.rtp_timestamp - 5000) / 960;
    if (index >= 1000) return;  // after the stream ended
    concealed.insert(index);
    if (lost.count(index + 1) == 0) {
      // The following packet arrived before this tick: FEC data is offered.
      ASSERT_TRUE(p.next_payload.has_value()) << index;
      EXPECT_EQ(IndexOf(*p.next_payload), index + 1);
      ++with_next;
    }
  });
  EXPECT_EQ(concealed, lost);
  EXPECT_EQ(sim.jb().stats().concealed, lost.size() + 2);  // + 2 after the end
  EXPECT_EQ(sim.jb().stats().drift_inserted, 0u);
  EXPECT_EQ(sim.jb().stats().drift_dropped, 0u);
  EXPECT_EQ(sim.played().size(), 1000 - lost.size());
  EXPECT_GT(with_next, 40);
}

TEST(AudioJitterBuffer, PacketArrivingAfterItsSlotIsDroppedAsTooLate) {
  std::vector<Sent> packets = Stream(100);
  packets[30].arrival_us += 200'000;
  Sim sim;
  sim.Run(packets, kStartUs + 2'500'000);
  EXPECT_EQ(sim.conceals(), 1);
  EXPECT_EQ(sim.jb().stats().late_dropped, 1u);
  EXPECT_EQ(sim.drops(DropReason::kTooLate), 1u);
  std::vector<int64_t> expected = Range(0, 100);
  expected.erase(expected.begin() + 30);
  EXPECT_EQ(sim.played(), expected);
}

TEST(AudioJitterBuffer, HeldDtxGapPlaysSilenceNotConcealment) {
  FakeClock clock;
  AudioJitterBuffer jb({}, clock);
  // Five packets, then the next sequence number 100 ms later in RTP time, all held already.
  for (uint32_t i = 0; i < 5; ++i) jb.Insert(static_cast<uint16_t>(i), i * 960, IndexBytes(i), 0);
  jb.Insert(5, 4 * 960 + 960 * 6, IndexBytes(5), 0);
  std::vector<Kind> kinds;
  for (int i = 0; i < 11; ++i) kinds.push_back(jb.Pull(clock.NowUs()).kind);
  const std::vector<Kind> expected = {
      Kind::kFrame,   Kind::kFrame,   Kind::kFrame,   Kind::kFrame,   Kind::kFrame, Kind::kSilence,
      Kind::kSilence, Kind::kSilence, Kind::kSilence, Kind::kSilence, Kind::kFrame};
  EXPECT_EQ(kinds, expected);
  EXPECT_EQ(jb.stats().concealed, 0u);
}

TEST(AudioJitterBuffer, RealTimeDtxGapConcealsAtMostTwoTicksThenPlaysSilence) {
  // A talk spurt, 400 ms of DTX (consecutive sequence numbers, timestamp jump), another spurt.
  std::vector<Sent> packets = Stream(50);
  std::vector<Sent> second = Stream(50, 20, 48000, 1050, 5000 + 960 * 70);
  for (Sent& s : second) {
    s.index += 50;
    s.arrival_us += 70 * kTickUs;
  }
  packets.insert(packets.end(), second.begin(), second.end());
  Sim sim;
  sim.Run(packets, kStartUs + 3'000'000);
  // The buffer runs dry before the packet after the gap arrives: like a loss at first.
  EXPECT_EQ(sim.played(), Range(0, 100));
  EXPECT_LE(sim.conceals(), 2);
  EXPECT_GE(sim.jb().stats().silence, 15u);
}

TEST(AudioJitterBuffer, SenderPauseConcealsAtMostTwoTicksThenRebuffers) {
  // The sender stops for 2 s without a timestamp jump, then goes on.
  std::vector<Sent> packets = Stream(200);
  for (size_t i = 100; i < packets.size(); ++i) packets[i].arrival_us += 2'000'000;
  Sim sim;
  int silence_before_resume = 0;
  int resume_silence_run = 0;
  sim.Run(packets, kStartUs + 6'500'000, [&](const AudioPull& p, int64_t) {
    if (sim.played().size() == 100 && p.kind == Kind::kSilence) ++silence_before_resume;
    if (sim.played().size() == 100 && p.kind == Kind::kFrame) resume_silence_run = 1;
  });
  EXPECT_EQ(sim.played(), Range(0, 200));
  EXPECT_LE(sim.conceals(), 2);
  EXPECT_GE(silence_before_resume, 95);
  EXPECT_EQ(resume_silence_run, 1);
  EXPECT_EQ(sim.jb().stats().late_dropped, 0u);
}

void RunDrift(double sender_rate) {
  const int packets = 30'000;  // 10 minutes
  Sim sim;
  sim.Run(Stream(packets, 20, sender_rate), kStartUs + 601'000'000);
  const auto& stats = sim.jb().stats();
  EXPECT_LE(sim.max_level_us(), 120'000 + 2 * 20'000);
  EXPECT_LE(sim.conceals(), 600 / 50);
  EXPECT_GE(sim.played().size(), static_cast<size_t>(packets) - 20);
  EXPECT_EQ(stats.late_dropped, 0u);
  if (sender_rate < 48000) {
    EXPECT_GE(stats.drift_inserted, 3u);
    EXPECT_EQ(stats.drift_dropped, 0u);
  } else {
    EXPECT_GE(stats.drift_dropped, 3u);
    EXPECT_EQ(stats.drift_inserted, 0u);
  }
}

TEST(AudioJitterBuffer, SlowSenderClockKeepsLevelBoundedOverTenMinutes) { RunDrift(47990); }

TEST(AudioJitterBuffer, FastSenderClockKeepsLevelBoundedOverTenMinutes) { RunDrift(48010); }

TEST(AudioJitterBuffer, PlaysAcrossSequenceAndTimestampWrap) {
  Sim sim;
  sim.Run(Stream(300, 20, 48000, 65'400, 0xFFFF'0000u), kStartUs + 6'500'000);
  EXPECT_EQ(sim.played(), Range(0, 300));
  EXPECT_EQ(sim.conceals(), 0);
}

TEST(AudioJitterBuffer, DropsAndCountsDuplicates) {
  std::vector<Sent> packets = Stream(100);
  std::vector<Sent> twice = packets;
  for (const Sent& s : packets) twice.push_back(s);
  Sim sim;
  sim.Run(twice, kStartUs + 2'500'000);
  EXPECT_EQ(sim.played(), Range(0, 100));
  EXPECT_EQ(sim.jb().stats().duplicates, 100u);
  EXPECT_EQ(sim.drops(DropReason::kDuplicate), 100u);
}

TEST(AudioJitterBuffer, AcceptsPacketsReorderedWithinTheBuffer) {
  std::vector<Sent> packets = Stream(100);
  for (size_t i = 10; i + 1 < packets.size(); i += 7) {
    std::swap(packets[i].arrival_us, packets[i + 1].arrival_us);
  }
  Sim sim;
  sim.Run(packets, kStartUs + 2'500'000);
  EXPECT_EQ(sim.played(), Range(0, 100));
  // Reordering is jitter: the target may rise (an inserted concealment), but nothing is lost.
  EXPECT_EQ(static_cast<uint64_t>(sim.conceals()), sim.jb().stats().drift_inserted);
  EXPECT_EQ(sim.jb().stats().late_dropped, 0u);
}

TEST(AudioJitterBuffer, PlaysFortyMsPacketsOverTwoTicks) {
  Sim sim;
  int frames = 0;
  sim.Run(Stream(100, 40), kStartUs + 4'500'000, [&](const AudioPull& p, int64_t) {
    if (p.kind != Kind::kFrame) return;
    ++frames;
    EXPECT_EQ(p.ticks, 2);
    EXPECT_EQ(p.samples, 1920u);
  });
  EXPECT_EQ(sim.played(), Range(0, 100));
  EXPECT_EQ(sim.conceals(), 0);
  EXPECT_EQ(sim.jb().packet_samples(), 1920u);
  EXPECT_EQ(sim.jb().stats().drift_dropped, 0u);
}

TEST(AudioJitterBuffer, AfterRestartANewStreamWithLowerNumbersPlaysAtOnce) {
  FakeClock clock(kStartUs);
  AudioJitterBuffer jb({}, clock);
  for (uint32_t i = 0; i < 20; ++i) {
    jb.Insert(static_cast<uint16_t>(30000 + i), 100000 + i * 960, IndexBytes(i), clock.NowUs());
    clock.AdvanceUs(kTickUs);
    (void)jb.Pull(clock.NowUs());
  }
  // The sender restarted (a new SSRC, confirmed upstream) with lower numbers and timestamps:
  // without the restart they would all be too late for the old playout point.
  jb.Restart();
  for (uint32_t i = 0; i < 10; ++i) {
    jb.Insert(static_cast<uint16_t>(100 + i), 5000 + i * 960, IndexBytes(1000 + i), clock.NowUs());
  }
  std::vector<int64_t> played;
  for (int k = 0; k < 10; ++k) {
    clock.AdvanceUs(kTickUs);
    const AudioPull p = jb.Pull(clock.NowUs());
    if (p.kind == Kind::kFrame) played.push_back(IndexOf(p.payload));
  }
  ASSERT_FALSE(played.empty()) << "the new stream did not play within 200 ms";
  EXPECT_GE(played.front(), 1000) << "a packet of the old stream played after the restart";
  EXPECT_EQ(jb.stats().late_dropped, 0u);
  EXPECT_EQ(jb.stats().resets, 1u);
}

TEST(AudioJitterBuffer, OverflowDropsTheOldestPackets) {
  FakeClock clock;
  MetricsRegistry registry;
  DropCounters drops(registry, "test");
  AudioJitterConfig config;
  config.max_packets = 8;
  AudioJitterBuffer jb(config, clock);
  jb.SetDropCounters(&drops);
  for (uint32_t i = 0; i < 20; ++i) {
    jb.Insert(static_cast<uint16_t>(i), i * 960, IndexBytes(i), clock.NowUs());
  }
  EXPECT_EQ(jb.size(), 8u);
  EXPECT_EQ(jb.stats().overflow_dropped, 12u);
  EXPECT_EQ(drops.Get(DropReason::kBufferFull), 12u);
  const AudioPull first = jb.Pull(clock.NowUs());
  ASSERT_EQ(first.kind, Kind::kFrame);
  EXPECT_EQ(IndexOf(first.payload), 12);
}

}  // namespace
}  // namespace tessera::rtp
