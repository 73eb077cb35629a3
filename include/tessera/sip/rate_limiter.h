// Token buckets per source address, for the SIP floods of RFC 3261 26.3.2.4 style attacks:
// each source may spend `burst` tokens at once, refilled at `per_second`. The table of sources is
// bounded; when full, sources whose bucket is full again are forgotten (they lose nothing), and
// if none is, the table starts over.
// Runs on: one thread (the control io_context).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace tessera::sip {

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
  size_t tracked() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    int64_t last_us = 0;
  };
  void Refill(Bucket& b, int64_t now_us) const;

  RateLimit limit_;
  size_t max_sources_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace tessera::sip
