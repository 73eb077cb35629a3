#include <gtest/gtest.h>
#include <tessera/net/rate_limiter.h>

#include <cmath>
#include <string>

namespace tessera::net {
namespace {

TEST(SourceRateLimiter, AllowsTheBurstThenTheRate) {
  SourceRateLimiter limiter({.per_second = 2, .burst = 3});
  int64_t now = 1'000'000;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("10.0.0.1", now));
  EXPECT_FALSE(limiter.Allow("10.0.0.1", now));
  EXPECT_TRUE(limiter.Allow("10.0.0.2", now));  // per source
  now += 499'000;
  EXPECT_FALSE(limiter.Allow("10.0.0.1", now));
  now += 1'000;
  EXPECT_TRUE(limiter.Allow("10.0.0.1", now));  // one token per 500 ms
  EXPECT_FALSE(limiter.Allow("10.0.0.1", now));
}

TEST(SourceRateLimiter, TableIsBoundedAndForgetsIdleSources) {
  SourceRateLimiter limiter({.per_second = 1, .burst = 2}, /*max_sources=*/4);
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(limiter.Allow("10.0.0." + std::to_string(i), 1'000'000));
    EXPECT_LE(limiter.tracked(), 4u);
  }
  // A flooder with an empty bucket stays tracked while idle sources are forgotten.
  SourceRateLimiter small({.per_second = 1, .burst = 1}, 2);
  EXPECT_TRUE(small.Allow("flooder", 0));
  EXPECT_FALSE(small.Allow("flooder", 0));
  EXPECT_TRUE(small.Allow("a", 0));
  EXPECT_TRUE(small.Allow("b", 10'000'000));  // "a" is full again and forgotten
  EXPECT_TRUE(small.Allow("flooder", 10'000'000));
}

TEST(SourceRateLimiter, RetryAfterIsTheTimeUntilOneTokenIsBack) {
  SourceRateLimiter limiter({.per_second = 2, .burst = 2});
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1", 0), 0.0);  // unknown: a full bucket
  EXPECT_TRUE(limiter.Allow("10.0.0.1", 0));
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1", 0), 0.0);  // one token left
  EXPECT_TRUE(limiter.Allow("10.0.0.1", 0));
  EXPECT_NEAR(limiter.RetryAfterSeconds("10.0.0.1", 0), 0.5, 1e-9);
  EXPECT_NEAR(limiter.RetryAfterSeconds("10.0.0.1", 200'000), 0.3, 1e-9);
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1", 500'000), 0.0);
  // Asking takes nothing: the token earned by then is still there.
  EXPECT_TRUE(limiter.Allow("10.0.0.1", 500'000));
  EXPECT_FALSE(limiter.Allow("10.0.0.1", 500'000));
}

TEST(SourceRateLimiter, RetryAfterOfALimitThatNeverRefillsIsInfinite) {
  SourceRateLimiter limiter({.per_second = 0, .burst = 1});
  EXPECT_TRUE(limiter.Allow("10.0.0.1", 0));
  EXPECT_TRUE(std::isinf(limiter.RetryAfterSeconds("10.0.0.1", 1'000'000'000)));
}

}  // namespace
}  // namespace tessera::net
