// Exact percentiles of a run's samples (latencies in microseconds): every sample is kept, so the
// p99 of a few hundred thousand frames is the true one, not a bucket edge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tessera::loadgen {

// Runs on: its owner's executor (not thread-safe).
class Percentiles {
 public:
  void Add(int64_t value);
  void Merge(const Percentiles& other);
  void Clear();

  size_t count() const { return values_.size(); }
  // Nearest rank: the smallest sample with at least q (0..1) of all samples at or below it.
  // 0 without samples.
  int64_t Quantile(double q) const;
  int64_t Max() const;
  double Mean() const;

 private:
  mutable std::vector<int64_t> values_;
  mutable bool sorted_ = true;
  int64_t sum_ = 0;
};

}  // namespace tessera::loadgen
