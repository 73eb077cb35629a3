#include <tessera/net/rate_limiter.h>

#include <algorithm>
#include <iterator>
#include <limits>

namespace tessera::net {

double SourceRateLimiter::TokensAt(const Bucket& b, int64_t now_us) const {
  const double earned =
      static_cast<double>(std::max<int64_t>(0, now_us - b.last_us)) * 1e-6 * limit_.per_second;
  return std::min(limit_.burst, b.tokens + earned);
}

void SourceRateLimiter::Refill(Bucket& b, int64_t now_us) const {
  b.tokens = TokensAt(b, now_us);
  b.last_us = std::max(b.last_us, now_us);
}

bool SourceRateLimiter::Allow(const std::string& source, int64_t now_us) {
  if (buckets_.size() >= max_sources_ && !buckets_.contains(source)) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      Refill(it->second, now_us);
      it = it->second.tokens >= limit_.burst ? buckets_.erase(it) : std::next(it);
    }
    if (buckets_.size() >= max_sources_) buckets_.clear();
  }
  auto [it, inserted] = buckets_.try_emplace(source, Bucket{limit_.burst, now_us});
  Bucket& b = it->second;
  if (!inserted) Refill(b, now_us);
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

double SourceRateLimiter::RetryAfterSeconds(const std::string& source, int64_t now_us) const {
  const auto it = buckets_.find(source);
  const double tokens = it == buckets_.end() ? limit_.burst : TokensAt(it->second, now_us);
  if (tokens >= 1) return 0;
  if (limit_.per_second <= 0 || limit_.burst < 1) return std::numeric_limits<double>::infinity();
  return (1 - tokens) / limit_.per_second;
}

}  // namespace tessera::net
