#include "loadgen/pacer.h"

#include <gtest/gtest.h>

namespace tessera::loadgen {
namespace {

TEST(Pacer, ThirtyFpsStreamIsDueAtExactMultiplesWithoutDrift) {
  Pacer pacer;
  pacer.Add(1000, 1'000'000, 30);
  std::vector<int64_t> due;
  for (int64_t now = 1000; now <= 1000 + 1'000'000; now += 1000) {
    for (const auto& d : pacer.PopDue(now)) {
      EXPECT_EQ(d.index, due.size());
      EXPECT_EQ(d.skipped, 0u);
      due.push_back(d.due_us);
    }
  }
  ASSERT_EQ(due.size(), 31u);
  EXPECT_EQ(due[1], 1000 + 33'333);
  EXPECT_EQ(due[2], 1000 + 66'666);
  EXPECT_EQ(due[30], 1000 + 1'000'000);
}

TEST(Pacer, NothingIsDueBeforeItsTime) {
  Pacer pacer;
  pacer.Add(5000, 20'000, 1);
  EXPECT_TRUE(pacer.PopDue(4999).empty());
  EXPECT_EQ(pacer.NextDueUs(), 5000);
  EXPECT_EQ(pacer.PopDue(5000).size(), 1u);
  EXPECT_EQ(pacer.NextDueUs(), 25'000);
}

TEST(Pacer, StreamsComeOutInDueOrder) {
  Pacer pacer;
  const size_t video = pacer.Add(0, 1'000'000, 30);
  const size_t audio = pacer.Add(10'000, 20'000, 1);
  const auto due = pacer.PopDue(40'000);
  ASSERT_EQ(due.size(), 4u);  // video 0 @0, audio 0 @10000, audio 1 @30000, video 1 @33333
  EXPECT_EQ(due[0].stream, video);
  EXPECT_EQ(due[1].stream, audio);
  EXPECT_EQ(due[2].stream, audio);
  EXPECT_EQ(due[2].index, 1u);
  EXPECT_EQ(due[3].stream, video);
  EXPECT_EQ(due[3].due_us, 33'333);
}

TEST(Pacer, ShortStallIsCaughtUpWithABurst) {
  Pacer pacer(100'000);
  (void)pacer.Add(0, 20'000, 1);
  const auto due = pacer.PopDue(90'000);
  ASSERT_EQ(due.size(), 5u);
  for (size_t i = 0; i < due.size(); ++i) {
    EXPECT_EQ(due[i].index, i);
    EXPECT_EQ(due[i].skipped, 0u);
  }
}

TEST(Pacer, ItemsTooLateAreSkippedAndCounted) {
  Pacer pacer(15'000);
  const size_t s = pacer.Add(0, 10'000, 1);
  (void)pacer.PopDue(0);
  // Items 1..4 are due; 1 and 2 are more than 15 ms late with later ones due.
  const auto due = pacer.PopDue(45'000);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].index, 3u);
  EXPECT_EQ(due[0].due_us, 30'000);
  EXPECT_EQ(due[0].skipped, 2u);
  EXPECT_EQ(due[1].index, 4u);
  EXPECT_EQ(due[1].skipped, 0u);
  EXPECT_EQ(pacer.skipped(s), 2u);
  EXPECT_EQ(pacer.NextDueUs(), 50'000);
}

TEST(Pacer, TheLatestDueItemIsNeverSkipped) {
  Pacer pacer(1'000);
  (void)pacer.Add(0, 1'000'000, 1);
  const auto due = pacer.PopDue(500'000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].index, 0u);
}

TEST(Pacer, NoStreamsMeansNothingDue) {
  Pacer pacer;
  EXPECT_EQ(pacer.NextDueUs(), std::nullopt);
  EXPECT_TRUE(pacer.PopDue(1'000'000).empty());
}

}  // namespace
}  // namespace tessera::loadgen
