#include "loadgen/proc_stats.h"

#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <unistd.h>

namespace tessera::loadgen {
namespace {

// A real line from a tessera process, with a comm that needs the last-')' rule.
constexpr std::string_view kStat =
    "4242 (tess (era) x) S 1 4242 4242 0 -1 4194560 2390 0 0 0 1234 567 0 0 20 0 9 0 "
    "100 200000000 5000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcStats, ParsesUtimeStimeAndThreadsAfterTheLastParenthesis) {
  const auto s = ParseProcStat(kStat);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->utime_ticks, 1234u);
  EXPECT_EQ(s->stime_ticks, 567u);
  EXPECT_EQ(s->threads, 9);
}

TEST(ProcStats, RejectsTruncatedOrGarbledStat) {
  EXPECT_FALSE(ParseProcStat("4242 (x) S 1 2 3").has_value());
  EXPECT_FALSE(ParseProcStat("no parenthesis").has_value());
  EXPECT_FALSE(ParseProcStat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 5 0 0 20 0 9 0").has_value());
  EXPECT_FALSE(ParseProcStat("").has_value());
}

TEST(ProcStats, ParsesRssPeakAndAllowedCpus) {
  const auto s = ParseProcStatus(
      "Name:\ttessera\nState:\tS (sleeping)\nVmHWM:\t  204800 kB\nVmRSS:\t  180224 kB\n"
      "Threads:\t9\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->rss_kb, 180224u);
  EXPECT_EQ(s->hwm_kb, 204800u);
  EXPECT_EQ(s->cpus_allowed, 2);
}

TEST(ProcStats, StatusWithoutRssIsNotAUserProcess) {
  EXPECT_FALSE(ParseProcStatus("Name:\tkthreadd\nThreads:\t1\n").has_value());
  EXPECT_FALSE(ParseProcStatus("VmRSS:\tlots kB\n").has_value());
}

TEST(ProcStats, CountsCpuLists) {
  EXPECT_EQ(CountCpuList("0-3,8,10-11"), 7);
  EXPECT_EQ(CountCpuList("5"), 1);
  EXPECT_EQ(CountCpuList("3-1"), std::nullopt);
  EXPECT_EQ(CountCpuList("x"), std::nullopt);
  EXPECT_EQ(CountCpuList(""), std::nullopt);
}

TEST(ProcStats, SamplesThisProcessAndSeesItsCpuTime) {
  const auto a = SampleProcess(getpid(), SystemClock().NowUs());
  ASSERT_TRUE(a.has_value());
  EXPECT_GT(a->rss_kb, 0u);
  EXPECT_GE(a->threads, 1);
  EXPECT_GE(a->cpus_allowed, 1);
  // Burn at least 50 ms of CPU, then the second sample must show it.
  const double start = a->cpu_s;
  volatile uint64_t x = 0;
  std::optional<ProcessSample> b;
  do {
    for (int i = 0; i < 1'000'000; ++i) x = x + i;
    b = SampleProcess(getpid(), SystemClock().NowUs());
    ASSERT_TRUE(b.has_value());
  } while (b->cpu_s - start < 0.05);
  EXPECT_GT(CoresBetween(*a, *b), 0.0);
  EXPECT_EQ(SampleProcess(-1, 0), std::nullopt);
}

TEST(ProcStats, CoresBetweenIsCpuSecondsPerSecond) {
  ProcessSample a, b;
  a.at_us = 1'000'000;
  a.cpu_s = 10;
  b.at_us = 3'000'000;
  b.cpu_s = 13;
  EXPECT_DOUBLE_EQ(CoresBetween(a, b), 1.5);
  EXPECT_EQ(CoresBetween(b, a), 0);
}

}  // namespace
}  // namespace tessera::loadgen
