// Token buckets per source address: against SIP floods (RFC 3261 26.3.2.4 style attacks) and for
// the HTTP API's per-source request and failed-authentication limits. Each source may spend
// `burst` tokens at once, refilled at `per_second`. The table of sources is bounded; when full,
// sources whose bucket is full again are forgotten (they lose nothing), and if none is, the table
// starts over.
// Runs on: one thread (the control io_context).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace tessera::net {

struct RateLimit {
  double per_second = 20;
  double burst = 40;
};

class SourceRateLimiter {
 public:
  explicit SourceRateLimiter(RateLimit limit, size_t max_sources = 4096)
      : limit_(limit), max_sources_(max_sources) {}
  // Takes one token from `source`'s bucket at `now_us` (a monotonic clock); false if empty.
  bool Allow(const std::string& source, int64_t now_us);
  // Seconds until `source`'s bucket holds one token again, at `now_us`; 0 when it holds one now
  // (a source not tracked has a full bucket). Takes nothing and changes nothing. Infinity when
  // the limit never gives a token (per_second <= 0, or a burst below one).
  double RetryAfterSeconds(const std::string& source, int64_t now_us) const;
  size_t tracked() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    int64_t last_us = 0;
  };
  // The tokens `b` holds at `now_us`, earned since its last refill included.
  double TokensAt(const Bucket& b, int64_t now_us) const;
  void Refill(Bucket& b, int64_t now_us) const;

  RateLimit limit_;
  size_t max_sources_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace tessera::net
