#include <gtest/gtest.h>
#include <tessera/base/logging.h>

namespace tessera {
namespace {

TEST(LogRateLimiter, AllowsOncePerIntervalAndCountsTheRest) {
  LogRateLimiter limiter(1'000'000);
  EXPECT_TRUE(limiter.Allow(0));
  EXPECT_FALSE(limiter.Allow(10));
  EXPECT_FALSE(limiter.Allow(999'999));
  EXPECT_TRUE(limiter.Allow(1'000'000));
  EXPECT_EQ(limiter.suppressed(), 2u);
  EXPECT_TRUE(limiter.Allow(3'000'000));
  EXPECT_EQ(limiter.suppressed(), 0u);
}

TEST(ParseLogFormat, AcceptsTextAndJsonAndNamesBothOtherwise) {
  const auto text = ParseLogFormat("text");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, LogFormat::kText);
  const auto json = ParseLogFormat("json");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, LogFormat::kJson);
  const auto bad = ParseLogFormat("JSON");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "unknown log format 'JSON' (want text or json)");
}

}  // namespace
}  // namespace tessera
