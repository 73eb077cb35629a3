// A fixed histogram of latencies in 0.1 ms buckets up to 500 ms (the last bucket holds the rest):
// constant memory, no allocation per sample.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

namespace tessera::session {

class LatencyHistogram {
 public:
  void Add(int64_t us) {
    const int64_t bucket = std::clamp<int64_t>(us / 100, 0, kBuckets - 1);
    ++counts_[static_cast<size_t>(bucket)];
    ++total_;
  }
  void Merge(const LatencyHistogram& o) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
  }
  uint64_t count() const { return total_; }
  // The q-quantile (0..1) in milliseconds (a bucket's upper edge); 0 without samples.
  double PercentileMs(double q) const {
    if (total_ == 0) return 0;
    const auto want = static_cast<uint64_t>(q * static_cast<double>(total_));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen > want) return static_cast<double>(i + 1) / 10.0;
    }
    return kBuckets / 10.0;
  }

 private:
  static constexpr int64_t kBuckets = 5000;
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
};

}  // namespace tessera::session
