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

}  // namespace
}  // namespace tessera
