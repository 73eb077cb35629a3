#include "loadgen/frame_matcher.h"

#include <gtest/gtest.h>

namespace tessera::loadgen {
namespace {

using Readings = std::vector<std::optional<uint32_t>>;

TEST(FrameMatcher, LatencyIsFromTheFramesLastPacketToTheComposite) {
  FrameMatcher m(2, 128);
  m.OnSent(0, 5, 1'000'000);
  m.OnSent(1, 70, 1'010'000);
  const auto r = m.OnComposite(1'050'000, Readings{5u, 70u});
  ASSERT_EQ(r.latencies_us.size(), 2u);
  EXPECT_EQ(r.latencies_us[0], 50'000);
  EXPECT_EQ(r.latencies_us[1], 40'000);
  EXPECT_EQ(r.stats.shown, 2u);
}

TEST(FrameMatcher, EachLatencyNamesItsParticipant) {
  FrameMatcher m(3, 128);
  m.OnSent(0, 5, 1'000'000);
  m.OnSent(2, 9, 1'020'000);
  const auto r = m.OnComposite(1'050'000, Readings{5u, std::nullopt, 9u});
  EXPECT_EQ(r.participants, (std::vector<size_t>{0, 2}));
  ASSERT_EQ(r.latencies_us.size(), 2u);
  EXPECT_EQ(r.latencies_us[1], 30'000);
}

TEST(FrameMatcher, AFrameShownAgainIsNotANewSample) {
  FrameMatcher m(1, 128);
  m.OnSent(0, 0, 0);
  (void)m.OnComposite(30'000, Readings{0u});
  const auto r = m.OnComposite(63'000, Readings{0u});
  EXPECT_TRUE(r.latencies_us.empty());
  EXPECT_EQ(r.stats.repeated, 1u);
}

TEST(FrameMatcher, FramesNeverShownBetweenTwoShownAreMissed) {
  FrameMatcher m(1, 128);
  for (uint32_t i = 0; i < 4; ++i) m.OnSent(0, i, i * 33'000);
  (void)m.OnComposite(40'000, Readings{0u});
  const auto r = m.OnComposite(140'000, Readings{3u});
  EXPECT_EQ(r.stats.missed, 2u);
  EXPECT_EQ(r.latencies_us, std::vector<int64_t>{140'000 - 99'000});
  EXPECT_EQ(m.UnshownTail(0), 0u);
  m.OnSent(0, 4, 132'000);
  EXPECT_EQ(m.UnshownTail(0), 1u);
}

TEST(FrameMatcher, TheLatestSendOfAnIndexBeforeTheCompositeIsTheOne) {
  // A 4-frame loop: index 1 is sent as the 2nd and the 6th frame.
  FrameMatcher m(1, 4);
  for (int n = 0; n < 6; ++n) m.OnSent(0, n % 4, n * 10'000);
  const auto r = m.OnComposite(70'000, Readings{1u});
  EXPECT_EQ(r.latencies_us, std::vector<int64_t>{20'000});
}

TEST(FrameMatcher, UnreadableUnsentAndFutureIndicesAreCountedNotMatched) {
  FrameMatcher m(3, 8);
  m.OnSent(1, 2, 50'000);
  const auto r = m.OnComposite(40'000, Readings{std::nullopt, 2u, 9u});
  EXPECT_EQ(r.stats.unreadable, 1u);
  EXPECT_EQ(r.stats.unmatched, 2u);  // sent after the composite; out of the clip
  EXPECT_TRUE(r.latencies_us.empty());
  const auto r2 = m.OnComposite(60'000, Readings{3u});
  EXPECT_EQ(r2.stats.unmatched, 1u);  // never sent
}

TEST(FrameMatcher, AnOlderFrameAfterANewerOneCountsBackwards) {
  FrameMatcher m(1, 8);
  m.OnSent(0, 0, 0);
  m.OnSent(0, 1, 10);
  (void)m.OnComposite(100, Readings{1u});
  const auto r = m.OnComposite(200, Readings{0u});
  EXPECT_EQ(r.stats.backwards, 1u);
  EXPECT_TRUE(r.latencies_us.empty());
}

}  // namespace
}  // namespace tessera::loadgen
