#include <gtest/gtest.h>
#include <tessera/net/impairment.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

namespace tessera::net {
namespace {

std::vector<std::vector<uint8_t>> RunModel(const ImpairmentConfig& c, int n) {
  ImpairmentModel m(c);
  std::vector<std::vector<uint8_t>> out;
  for (int i = 0; i < n; ++i) {
    for (auto& d : m.Process({static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)})) {
      out.push_back(std::move(d));
    }
  }
  for (auto& d : m.Flush()) out.push_back(std::move(d));
  return out;
}

int Index(const std::vector<uint8_t>& d) { return (d[0] << 8) | d[1]; }

TEST(ImpairmentModel, SameSeedSameOutput) {
  ImpairmentConfig c{.drop = 0.1, .duplicate = 0.1, .reorder = 0.1, .reorder_depth = 3, .seed = 7};
  EXPECT_EQ(RunModel(c, 1000), RunModel(c, 1000));
  c.seed = 8;
  ImpairmentConfig c7 = c;
  c7.seed = 7;
  EXPECT_NE(RunModel(c, 1000), RunModel(c7, 1000));
}

TEST(ImpairmentModel, ProducesEachImpairmentAtRoughlyItsRate) {
  ImpairmentConfig c{
      .drop = 0.05, .duplicate = 0.05, .reorder = 0.05, .reorder_depth = 3, .seed = 3};
  ImpairmentModel m(c);
  for (int i = 0; i < 10000; ++i) (void)m.Process({1});
  (void)m.Flush();
  const auto& s = m.stats();
  EXPECT_EQ(s.in, 10000u);
  EXPECT_NEAR(static_cast<double>(s.dropped), 500, 100);
  EXPECT_NEAR(static_cast<double>(s.reordered), 475, 100);
  EXPECT_NEAR(static_cast<double>(s.duplicated), 450, 100);
  EXPECT_EQ(s.out, s.in - s.dropped + s.duplicated);
}

TEST(ImpairmentModel, ReorderedDatagramsArriveLaterButArrive) {
  ImpairmentConfig c{.reorder = 0.2, .reorder_depth = 2, .seed = 11};
  auto out = RunModel(c, 500);
  ASSERT_EQ(out.size(), 500u);  // nothing lost, nothing duplicated
  std::set<int> seen;
  int inversions = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    seen.insert(Index(out[i]));
    if (i && Index(out[i]) < Index(out[i - 1])) ++inversions;
  }
  EXPECT_EQ(seen.size(), 500u);
  EXPECT_GT(inversions, 20);
}

// Datagram i carries i in its first two bytes and is `size` bytes long.
std::vector<uint8_t> Datagram(int i, size_t size) {
  std::vector<uint8_t> d(size, 0);
  d[0] = static_cast<uint8_t>(i >> 8);
  d[1] = static_cast<uint8_t>(i);
  return d;
}

struct Departure {
  int index;
  int64_t at_us;
  bool operator==(const Departure&) const = default;
};

// Pushes datagram i at arrivals_us[i] and pops every datagram at exactly its departure time (the
// explicit clock jumps from event to event), then drains the queue.
std::vector<Departure> Simulate(ImpairmentModel& m, const std::vector<int64_t>& arrivals_us,
                                size_t size) {
  std::vector<Departure> out;
  auto pop_until = [&](int64_t t) {
    for (auto next = m.NextDepartureUs(); next && *next <= t; next = m.NextDepartureUs()) {
      for (auto& d : m.Pop(*next)) out.push_back({Index(d), *next});
    }
  };
  for (size_t i = 0; i < arrivals_us.size(); ++i) {
    pop_until(arrivals_us[i]);
    m.Push(Datagram(static_cast<int>(i), size), arrivals_us[i]);
  }
  pop_until(INT64_MAX);
  return out;
}

// n arrivals, one every interval_us from 0.
std::vector<int64_t> Every(int64_t interval_us, int n) {
  std::vector<int64_t> t(n);
  for (int i = 0; i < n; ++i) t[i] = i * interval_us;
  return t;
}

TEST(ImpairmentModel, WithoutLinkImpairmentsDatagramsLeaveOnArrival) {
  ImpairmentModel m(ImpairmentConfig{});
  m.Push(Datagram(1, 100), 5000);
  EXPECT_EQ(m.NextDepartureUs(), 5000);
  auto out = m.Pop(5000);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Index(out[0]), 1);
  EXPECT_FALSE(m.NextDepartureUs().has_value());
  EXPECT_EQ(m.stats().delayed, 0u);
}

TEST(ImpairmentModel, RateLimitPassesTheRateAndDropsTheExcessPastTheQueue) {
  // 1 Mbit/s in (1000-byte datagrams every 8 ms) for a simulated second into a 500 kbit/s
  // bottleneck with a 200 ms queue.
  ImpairmentConfig c{.rate_bps = 500'000, .queue_ms = 200};
  ImpairmentModel m(c);
  const auto arrivals = Every(8000, 125);
  std::vector<Departure> out;
  uint64_t drops_before_queue_full = 0;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    for (auto next = m.NextDepartureUs(); next && *next <= arrivals[i];
         next = m.NextDepartureUs()) {
      for (auto& d : m.Pop(*next)) out.push_back({Index(d), *next});
    }
    m.Push(Datagram(static_cast<int>(i), 1000), arrivals[i]);
    // Datagram 25 (at 200 ms) waits exactly 200 ms; datagram 26 would wait 208 ms.
    if (i == 25) drops_before_queue_full = m.stats().rate_dropped;
  }
  EXPECT_EQ(drops_before_queue_full, 0u);
  for (auto& d : m.Pop(1'000'000)) out.push_back({Index(d), 1'000'000});

  uint64_t bits_in_first_second = 0;
  for (const auto& d : out) bits_in_first_second += d.at_us <= 1'000'000 ? 8000 : 0;
  EXPECT_NEAR(static_cast<double>(bits_in_first_second), 500'000, 8000);  // within a datagram
  // Accepted: what left in the second plus what the 200 ms queue holds (~12.5 datagrams).
  EXPECT_NEAR(static_cast<double>(m.stats().rate_dropped), 125 - 62.5 - 12.5, 2);

  // The rest drains at the rate, and no accepted datagram waited past the queue's 200 ms (plus
  // its own 16 ms of serialization).
  auto rest = Simulate(m, {}, 0);
  out.insert(out.end(), rest.begin(), rest.end());
  EXPECT_EQ(out.size() + m.stats().rate_dropped, 125u);
  EXPECT_EQ(m.stats().out, out.size());
  for (const auto& d : out) EXPECT_LE(d.at_us - arrivals[d.index], 216'000) << d.index;
  EXPECT_LE(out.back().at_us, 1'000'000 + 216'000);
}

TEST(ImpairmentModel, DeparturesAreSpacedBySerializationTime) {
  ImpairmentModel m(ImpairmentConfig{.rate_bps = 500'000, .queue_ms = 1000});
  // A burst at t=0: 1250-byte datagrams take 20 ms each at 500 kbit/s, 500-byte ones 8 ms.
  for (int i = 0; i < 5; ++i) m.Push(Datagram(i, 1250), 0);
  for (int i = 5; i < 10; ++i) m.Push(Datagram(i, 500), 0);
  std::vector<int64_t> expected = {20000,  40000,  60000,  80000,  100000,
                                   108000, 116000, 124000, 132000, 140000};
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(m.NextDepartureUs(), expected[i]) << i;
    EXPECT_TRUE(m.Pop(expected[i] - 1).empty()) << "released before it was serialized";
    auto out = m.Pop(expected[i]);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(Index(out[0]), i);
  }
  EXPECT_EQ(m.stats().delayed, 10u);
  // An idle link serializes a new datagram from its arrival, not from the last departure.
  m.Push(Datagram(10, 1250), 500'000);
  EXPECT_EQ(m.NextDepartureUs(), 520'000);
}

TEST(ImpairmentModel, DelayShiftsEveryDepartureByDelayMs) {
  const auto arrivals = Every(3000, 200);
  ImpairmentModel plain(ImpairmentConfig{.rate_bps = 2'000'000});
  ImpairmentModel delayed(ImpairmentConfig{.rate_bps = 2'000'000, .delay_ms = 50});
  auto a = Simulate(plain, arrivals, 1000);
  auto b = Simulate(delayed, arrivals, 1000);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(b[i].index, a[i].index);
    EXPECT_EQ(b[i].at_us, a[i].at_us + 50'000);
  }
  // Without a rate limit the delay alone.
  ImpairmentModel only_delay(ImpairmentConfig{.delay_ms = 50});
  for (const auto& d : Simulate(only_delay, arrivals, 1000)) {
    EXPECT_EQ(d.at_us, arrivals[d.index] + 50'000);
  }
}

TEST(ImpairmentModel, JitterStaysWithinDelayAndDelayPlusJitter) {
  ImpairmentModel m(ImpairmentConfig{.seed = 5, .delay_ms = 30, .jitter_ms = 20});
  const auto arrivals = Every(1000, 2000);
  auto out = Simulate(m, arrivals, 100);
  ASSERT_EQ(out.size(), 2000u);
  int64_t lo = INT64_MAX, hi = 0;
  int inversions = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t delay = out[i].at_us - arrivals[out[i].index];
    lo = std::min(lo, delay);
    hi = std::max(hi, delay);
    if (i && out[i].index < out[i - 1].index) ++inversions;
  }
  EXPECT_GE(lo, 30'000);
  EXPECT_LE(hi, 50'000);
  EXPECT_LT(lo, 31'000);  // the whole range is used
  EXPECT_GT(hi, 49'000);
  EXPECT_GT(inversions, 100);  // 20 ms of jitter on 1 ms spacing reorders, as a real link would
  EXPECT_EQ(m.stats().delayed, 2000u);
}

TEST(ImpairmentModel, SameSeedSameTimedOutput) {
  ImpairmentConfig c{.drop = 0.05,
                     .duplicate = 0.05,
                     .reorder = 0.05,
                     .seed = 9,
                     .rate_bps = 800'000,
                     .queue_ms = 100,
                     .delay_ms = 20,
                     .jitter_ms = 15};
  const auto arrivals = Every(7000, 1000);
  ImpairmentModel a(c), b(c);
  auto out_a = Simulate(a, arrivals, 1000);
  EXPECT_EQ(out_a, Simulate(b, arrivals, 1000));
  EXPECT_GT(a.stats().rate_dropped, 0u);
  c.seed = 10;
  ImpairmentModel other(c);
  EXPECT_NE(out_a, Simulate(other, arrivals, 1000));
}

TEST(ImpairmentModel, JitterLeavesTheFaultPatternAlone) {
  // The link stage draws from its own stream: the same seed drops the same datagrams whatever
  // the jitter.
  ImpairmentConfig c{.drop = 0.1, .seed = 4};
  ImpairmentModel a(c);
  c.jitter_ms = 10;
  ImpairmentModel b(c);
  std::set<int> left_a, left_b;
  for (const auto& d : Simulate(a, Every(1000, 1000), 10)) left_a.insert(d.index);
  for (const auto& d : Simulate(b, Every(1000, 1000), 10)) left_b.insert(d.index);
  EXPECT_EQ(left_a, left_b);
  EXPECT_LT(left_a.size(), 1000u);
}

TEST(ImpairmentModel, SetConfigAppliesToLaterArrivalsOnly) {
  ImpairmentModel m(ImpairmentConfig{.rate_bps = 100'000, .queue_ms = 1000});
  for (int i = 0; i < 3; ++i) m.Push(Datagram(i, 1250), 0);  // 100 ms each
  m.SetConfig(ImpairmentConfig{});                           // lift the limit
  m.Push(Datagram(3, 1250), 10'000);
  auto now = m.Pop(10'000);
  ASSERT_EQ(now.size(), 1u);  // the new datagram is not held behind the old queue
  EXPECT_EQ(Index(now[0]), 3);
  EXPECT_EQ(m.NextDepartureUs(), 100'000);  // queued ones keep their departure times
  EXPECT_EQ(m.Pop(300'000).size(), 3u);
}

TEST(ImpairmentModel, FlushReleasesTheQueueAndHeldDatagrams) {
  ImpairmentModel m(ImpairmentConfig{.reorder = 0.3, .seed = 2, .rate_bps = 10'000});
  for (int i = 0; i < 50; ++i) m.Push(Datagram(i, 100), i * 1000);
  auto out = m.Flush();
  const auto& s = m.stats();
  EXPECT_GT(s.rate_dropped, 0u);
  EXPECT_EQ(out.size(), s.in - s.rate_dropped);
  EXPECT_EQ(s.out, out.size());
  EXPECT_FALSE(m.NextDepartureUs().has_value());
}

TEST(ImpairmentSpec, ParsesLinkKeys) {
  auto c = ParseImpairmentSpec("rate=500k,queue_ms=150,delay_ms=40,jitter_ms=10");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->rate_bps, 500'000);
  EXPECT_EQ(c->queue_ms, 150);
  EXPECT_EQ(c->delay_ms, 40);
  EXPECT_EQ(c->jitter_ms, 10);
  auto d = ParseImpairmentSpec("drop=0.1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->rate_bps, 0);  // unlimited
  EXPECT_EQ(d->queue_ms, 200);
  EXPECT_EQ(d->delay_ms, 0);
  for (auto [spec, bps] :
       std::vector<std::pair<const char*, int64_t>>{{"rate=0", 0},
                                                    {"rate=64000", 64'000},
                                                    {"rate=2M", 2'000'000},
                                                    {"rate=1.5M", 1'500'000},
                                                    {"rate=0.5k", 500},
                                                    {"rate=1G", 1'000'000'000}}) {
    auto r = ParseImpairmentSpec(spec);
    ASSERT_TRUE(r.ok()) << spec;
    EXPECT_EQ(r->rate_bps, bps) << spec;
  }
  for (const char* bad :
       {"rate=-1",     "rate=-500k",   "rate=abc",       "rate=",           "rate=k",
        "rate=500x",   "rate=500kk",   "rate=5 k",       "rate=nan",        "rate=inf",
        "rate=0.1",    "delay_ms=-5",  "delay_ms=1.5",   "jitter_ms=abc",   "jitter_ms=",
        "queue_ms=-1", "queue_ms=10s", "bandwidth=500k", "rate_bps=500000", "delay=40"}) {
    EXPECT_FALSE(ParseImpairmentSpec(bad).ok()) << bad;
  }
}

TEST(ImpairmentSpec, ParsesAndRejects) {
  auto c = ParseImpairmentSpec("drop=0.02,reorder=0.05,duplicate=0.01,depth=4,seed=42");
  ASSERT_TRUE(c.ok());
  EXPECT_DOUBLE_EQ(c->drop, 0.02);
  EXPECT_EQ(c->reorder_depth, 4);
  EXPECT_EQ(c->seed, 42u);
  EXPECT_FALSE(ParseImpairmentSpec("drop=2").ok());
  EXPECT_FALSE(ParseImpairmentSpec("jitter=0.1").ok());
  EXPECT_FALSE(ParseImpairmentSpec("drop").ok());
  EXPECT_TRUE(ParseImpairmentSpec("").ok());
}

}  // namespace
}  // namespace tessera::net
