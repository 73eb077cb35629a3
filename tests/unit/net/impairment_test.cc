#include <gtest/gtest.h>
#include <tessera/net/impairment.h>

#include <set>

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
