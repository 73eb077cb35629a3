#include "loadgen/percentiles.h"

#include <gtest/gtest.h>

namespace tessera::loadgen {
namespace {

TEST(Percentiles, NearestRankOfOneToHundred) {
  Percentiles p;
  for (int v = 100; v >= 1; --v) p.Add(v);  // unsorted on purpose
  EXPECT_EQ(p.count(), 100u);
  EXPECT_EQ(p.Quantile(0.5), 50);
  EXPECT_EQ(p.Quantile(0.95), 95);
  EXPECT_EQ(p.Quantile(0.99), 99);
  EXPECT_EQ(p.Quantile(0.0), 1);
  EXPECT_EQ(p.Max(), 100);
  EXPECT_DOUBLE_EQ(p.Mean(), 50.5);
}

TEST(Percentiles, OneOutlierInAHundredIsNotTheP99) {
  Percentiles p;
  for (int i = 0; i < 99; ++i) p.Add(10);
  p.Add(1000);
  EXPECT_EQ(p.Quantile(0.99), 10);
  EXPECT_EQ(p.Max(), 1000);
}

TEST(Percentiles, EmptyGivesZero) {
  Percentiles p;
  EXPECT_EQ(p.Quantile(0.99), 0);
  EXPECT_EQ(p.Mean(), 0.0);
}

TEST(Percentiles, MergeAndClear) {
  Percentiles a, b;
  a.Add(3);
  b.Add(1);
  b.Add(2);
  a.Merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.Quantile(0.5), 2);
  a.Add(0);  // after a sort, still sorted correctly
  EXPECT_EQ(a.Quantile(0.25), 0);
  a.Clear();
  EXPECT_EQ(a.count(), 0u);
}

}  // namespace
}  // namespace tessera::loadgen
