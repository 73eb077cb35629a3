#include <gtest/gtest.h>
#include <tessera/base/metrics.h>

#include <set>
#include <string>

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
  registry.GetCounter("x", {{"a", "1"}}).Add(2);
  registry.GetCounter("x", {{"a", "1"}}).Add(3);
  registry.GetCounter("x", {{"a", "2"}}).Add(1);
  auto snapshot = registry.Snapshot();
  ASSERT_EQ(snapshot.size(), 2u);
  EXPECT_EQ(snapshot[0].value, 5u);
  EXPECT_EQ(snapshot[1].value, 1u);
}

TEST(MetricsRegistry, EscapesLabelValues) {
  MetricsRegistry registry;
  registry.GetCounter("y", {{"name", "a\"b\\c\nd"}}).Add();
  EXPECT_NE(registry.ToPrometheusText().find(R"(y{name="a\"b\\c\nd"} 1)"), std::string::npos);
}

}  // namespace
}  // namespace tessera
