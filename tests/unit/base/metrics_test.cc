#include <gtest/gtest.h>
#include <tessera/base/metrics.h>

#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tessera {
namespace {

TEST(DropCounters, CountsPerReasonAndPublishesLabelledCounters) {
  MetricsRegistry registry;
  DropCounters drops(registry, "camera-1");
  drops.Add(DropReason::kMalformed);
  drops.Add(DropReason::kSrtpAuth, 3);
  EXPECT_EQ(drops.Get(DropReason::kMalformed), 1u);
  EXPECT_EQ(drops.Get(DropReason::kSrtpAuth), 3u);
  EXPECT_EQ(drops.Total(), 4u);
  const std::string text = registry.ToPrometheusText();
  EXPECT_NE(text.find("tessera_packets_dropped_total{reason=\"srtp_auth\",scope=\"camera-1\"} 3"),
            std::string::npos)
      << text;
}

// A participant's counters go when it does: a server that sees thousands of callers under new
// names does not keep thousands of series (nor publish them on every scrape).
TEST(DropCounters, LeaveTheRegistryWithTheirParticipant) {
  MetricsRegistry registry;
  {
    DropCounters drops(registry, "caller-1");
    drops.Add(DropReason::kMalformed, 2);
    EXPECT_EQ(registry.Snapshot().size(), static_cast<size_t>(DropReason::kCount));
  }
  EXPECT_TRUE(registry.Snapshot().empty());
  EXPECT_EQ(registry.ToPrometheusText().find("caller-1"), std::string::npos);
  for (int i = 0; i < 1000; ++i) DropCounters(registry, "caller-" + std::to_string(i));
  EXPECT_TRUE(registry.Snapshot().empty());
}

TEST(MetricsRegistry, AHeldCounterLivesUntilItsLastHolderReleasesIt) {
  MetricsRegistry registry;
  registry.HoldCounter("h_total", {{"a", "1"}}).Add(2);
  registry.HoldCounter("h_total", {{"a", "1"}}).Add(3);
  registry.ReleaseCounter("h_total", {{"a", "1"}});
  ASSERT_EQ(registry.Snapshot().size(), 1u);
  EXPECT_EQ(registry.Snapshot()[0].value, 5u);
  registry.ReleaseCounter("h_total", {{"a", "1"}});
  EXPECT_TRUE(registry.Snapshot().empty());
  EXPECT_EQ(registry.HoldCounter("h_total", {{"a", "1"}}).Value(), 0u) << "a new series";
  registry.ReleaseCounter("h_total", {{"a", "1"}});
  registry.ReleaseCounter("h_total", {{"a", "1"}});  // one too many: nothing
  registry.ReleaseCounter("never_total", {});
  EXPECT_TRUE(registry.Snapshot().empty());
}

TEST(MetricsRegistry, RemovingAHeldSeriesLeavesItToItsHolders) {
  MetricsRegistry registry;
  Counter& first = registry.HoldCounter("r_total", {});
  registry.RemoveSeries("r_total", {});  // a held series goes with its last holder only
  Counter& second = registry.HoldCounter("r_total", {});
  EXPECT_EQ(&first, &second);
  registry.ReleaseCounter("r_total", {});
  second.Add(2);  // still valid: the second holder has not released it (ASan would say)
  ASSERT_EQ(registry.Snapshot().size(), 1u);
  EXPECT_EQ(registry.Snapshot()[0].value, 2u);
  registry.ReleaseCounter("r_total", {});
  EXPECT_TRUE(registry.Snapshot().empty());
}

TEST(MetricsRegistry, AHeldCounterSomeoneAlsoGotIsNeverFreed) {
  MetricsRegistry registry;
  Counter& held = registry.HoldCounter("g_total", {});
  Counter& got = registry.GetCounter("g_total", {});
  EXPECT_EQ(&held, &got);
  registry.ReleaseCounter("g_total", {});
  got.Add(4);  // still valid (ASan would say otherwise)
  ASSERT_EQ(registry.Snapshot().size(), 1u);
  EXPECT_EQ(registry.Snapshot()[0].value, 4u);
}

TEST(DropReasonName, EveryReasonHasItsOwnName) {
  std::set<std::string> names;
  for (size_t i = 0; i < static_cast<size_t>(DropReason::kCount); ++i) {
    const std::string name = DropReasonName(static_cast<DropReason>(i));
    EXPECT_NE(name, "unknown") << "reason " << i << " has no name";
    EXPECT_TRUE(names.insert(name).second) << name << " names two reasons";
  }
  EXPECT_EQ(std::string(DropReasonName(DropReason::kUnlatchedSource)), "unlatched_source");
  EXPECT_EQ(std::string(DropReasonName(DropReason::kUnknownSsrc)), "unknown_ssrc");
  EXPECT_EQ(std::string(DropReasonName(DropReason::kSequenceJump)), "sequence_jump");
}

TEST(MetricsRegistry, SameNameAndLabelsIsTheSameCounter) {
  MetricsRegistry registry;
  registry.GetCounter("x_total", {{"a", "1"}}).Add(2);
  registry.GetCounter("x_total", {{"a", "1"}}).Add(3);
  registry.GetCounter("x_total", {{"a", "2"}}).Add(1);
  auto snapshot = registry.Snapshot();
  ASSERT_EQ(snapshot.size(), 2u);
  EXPECT_EQ(snapshot[0].value, 5u);
  EXPECT_EQ(snapshot[1].value, 1u);
}

TEST(MetricsRegistry, EscapesLabelValues) {
  MetricsRegistry registry;
  registry.GetCounter("y_total", {{"name", "a\"b\\c\nd"}}).Add();
  EXPECT_NE(registry.ToPrometheusText().find(R"(y_total{name="a\"b\\c\nd"} 1)"), std::string::npos);
}

TEST(MetricsRegistry, LabelValuesThatAreNotUtf8AreRepairedNotPassedOn) {
  MetricsRegistry registry;
  // A lone continuation byte, a truncated sequence, an overlong '/', and a valid U+00E9 and
  // U+1F600.
  const std::string broken = std::string("a\x80") + "b\xC3";
  registry.GetCounter("z_total", {{"name", broken}}).Add();
  registry.GetCounter("z_total", {{"name", "\xC0\xAF|\xC3\xA9|\xF0\x9F\x98\x80"}}).Add();
  const std::string text = registry.ToPrometheusText();
  EXPECT_NE(text.find("z_total{name=\"a\xEF\xBF\xBD"
                      "b\xEF\xBF\xBD\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("z_total{name=\"\xEF\xBF\xBD\xEF\xBF\xBD|\xC3\xA9|\xF0\x9F\x98\x80\"} 1\n"),
            std::string::npos)
      << text;
}

TEST(MetricsRegistry, WritesTheTextExpositionFormat) {
  MetricsRegistry registry;
  registry.Describe("tessera_things_total", "Things seen.\nA second line, a \\ backslash");
  registry.GetCounter("tessera_things_total", {{"room", "main"}}).Add(1);
  registry.GetCounter("tessera_things_total", {{"room", "a\"b\\c\nd"}}).Add(3);
  registry.Describe("tessera_level", "A level.");
  registry.GetGauge("tessera_level").Set(-1.5);
  Histogram& h = registry.GetHistogram("tessera_work_seconds", {{"kind", "video"}},
                                       std::vector<double>{1.0, 0.125, 0.5});
  for (double v : {0.0625, 0.25, 0.5, 4.0}) h.Observe(v);
  EXPECT_EQ(registry.ToPrometheusText(), R"(# HELP tessera_level A level.
# TYPE tessera_level gauge
tessera_level -1.5
# HELP tessera_things_total Things seen.\nA second line, a \\ backslash
# TYPE tessera_things_total counter
tessera_things_total{room="a\"b\\c\nd"} 3
tessera_things_total{room="main"} 1
# HELP tessera_work_seconds tessera_work_seconds
# TYPE tessera_work_seconds histogram
tessera_work_seconds_bucket{kind="video",le="0.125"} 1
tessera_work_seconds_bucket{kind="video",le="0.5"} 3
tessera_work_seconds_bucket{kind="video",le="1"} 3
tessera_work_seconds_bucket{kind="video",le="+Inf"} 4
tessera_work_seconds_sum{kind="video"} 4.8125
tessera_work_seconds_count{kind="video"} 4
)");
}

TEST(MetricsRegistry, WritesValuesAsPrometheusReadsThem) {
  MetricsRegistry registry;
  registry.GetGauge("g", {{"v", "a"}}).Set(0.0005);
  registry.GetGauge("g", {{"v", "b"}}).Set(1e-05);
  registry.GetGauge("g", {{"v", "c"}}).Set(std::numeric_limits<double>::infinity());
  registry.GetGauge("g", {{"v", "d"}}).Set(std::numeric_limits<double>::quiet_NaN());
  registry.GetGauge("g", {{"v", "e"}}).Set(1234567);
  const std::string text = registry.ToPrometheusText();
  EXPECT_NE(text.find("g{v=\"a\"} 0.0005\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g{v=\"b\"} 1e-05\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g{v=\"c\"} +Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g{v=\"d\"} NaN\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g{v=\"e\"} 1234567\n"), std::string::npos) << text;
}

TEST(MetricsRegistry, MergesCollectorsIntoTheSameFamilies) {
  MetricsRegistry registry;
  registry.GetCounter("tessera_calls_total", {{"direction", "in"}}).Add(2);
  bool duplicate_refused = false;
  bool other_type_refused = false;
  registry.AddCollector([&](MetricsWriter& w) {
    w.AddCounter("tessera_calls_total", {{"direction", "out"}}, 5, "Calls.");
    duplicate_refused = !w.AddCounter("tessera_calls_total", {{"direction", "in"}}, 9);
    other_type_refused = !w.AddGauge("tessera_calls_total", {{"direction", "x"}}, 1);
    w.AddGauge("tessera_rooms", {}, 2, "Rooms now.");
  });
  EXPECT_EQ(registry.ToPrometheusText(), R"(# HELP tessera_calls_total Calls.
# TYPE tessera_calls_total counter
tessera_calls_total{direction="in"} 2
tessera_calls_total{direction="out"} 5
# HELP tessera_rooms Rooms now.
# TYPE tessera_rooms gauge
tessera_rooms 2
)");
  EXPECT_TRUE(duplicate_refused);
  EXPECT_TRUE(other_type_refused);
}

TEST(MetricsRegistry, ARemovedCollectorIsNotCalledAgain) {
  MetricsRegistry registry;
  int calls = 0;
  const uint64_t id = registry.AddCollector([&](MetricsWriter& w) {
    ++calls;
    w.AddGauge("tessera_rooms", {}, 1);
  });
  EXPECT_NE(registry.ToPrometheusText().find("tessera_rooms 1"), std::string::npos);
  registry.RemoveCollector(id);
  EXPECT_EQ(registry.ToPrometheusText(), "");
  EXPECT_EQ(calls, 1);
}

TEST(MetricsRegistry, ACollectorThatThrowsCostsOnlyItsOwnSamples) {
  MetricsRegistry registry;
  registry.GetCounter("tessera_kept_total").Add(1);
  registry.AddCollector([](MetricsWriter&) { throw std::runtime_error("broken"); });
  EXPECT_NE(registry.ToPrometheusText().find("tessera_kept_total 1\n"), std::string::npos);
}

TEST(MetricsRegistry, RemovedSeriesLeaveTheTextAndTheirReferencesStayValid) {
  MetricsRegistry registry;
  Histogram& h =
      registry.GetHistogram("tessera_tick_seconds", {{"room", "main"}}, kDurationBucketsSeconds);
  Gauge& g = registry.GetGauge("tessera_level", {{"room", "main"}});
  registry.RemoveSeries("tessera_tick_seconds", {{"room", "main"}});
  registry.RemoveSeries("tessera_level", {{"room", "main"}});
  registry.RemoveSeries("tessera_never_made", {});
  h.Observe(0.01);  // still valid, no longer published
  g.Set(3);
  EXPECT_EQ(registry.ToPrometheusText(), "");
  // The same name and labels again: a new series from zero.
  Histogram& again =
      registry.GetHistogram("tessera_tick_seconds", {{"room", "main"}}, kDurationBucketsSeconds);
  EXPECT_NE(&again, &h);
  EXPECT_EQ(again.Snapshot().count, 0u);
}

TEST(Histogram, BucketsAreUpperBoundsInclusive) {
  const std::vector<double> bounds = {0.5, 0.1, std::numeric_limits<double>::infinity(), 0.1};
  Histogram h(bounds);
  EXPECT_EQ(h.bounds(), (std::vector<double>{0.1, 0.5}));
  h.Observe(0.1);
  h.Observe(0.2);
  h.Observe(0.5);
  h.Observe(7);
  h.Observe(std::numeric_limits<double>::quiet_NaN());
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{1, 2, 1}));
  EXPECT_EQ(s.count, 4u);
  EXPECT_DOUBLE_EQ(s.sum, 7.8);
}

TEST(Histogram, ObservationsFromManyThreadsAreAllCounted) {
  Histogram h(kDurationBucketsSeconds);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < kPerThread; ++i) h.Observe(1.0);
    });
  }
  for (auto& t : threads) t.join();
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.count, uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(s.sum, double{kThreads} * kPerThread);
}

TEST(Gauge, AddsAndSets) {
  Gauge g;
  g.Add(2.5);
  g.Add(-1.0);
  EXPECT_EQ(g.Value(), 1.5);
  g.Set(-4);
  EXPECT_EQ(g.Value(), -4.0);
}

}  // namespace
}  // namespace tessera
