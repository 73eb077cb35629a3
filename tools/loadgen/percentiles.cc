#include "loadgen/percentiles.h"

#include <algorithm>
#include <cmath>

namespace tessera::loadgen {

void Percentiles::Add(int64_t value) {
  if (!values_.empty() && value < values_.back()) sorted_ = false;
  values_.push_back(value);
  sum_ += value;
}

void Percentiles::Merge(const Percentiles& other) {
  for (int64_t v : other.values_) Add(v);
}

void Percentiles::Clear() {
  values_.clear();
  sorted_ = true;
  sum_ = 0;
}

int64_t Percentiles::Quantile(double q) const {
  if (values_.empty()) return 0;
  if (!sorted_) {
    std::sort(values_.begin(), values_.end());
    sorted_ = true;
  }
  const double n = static_cast<double>(values_.size());
  const auto rank = static_cast<size_t>(std::ceil(std::clamp(q, 0.0, 1.0) * n));
  return values_[std::clamp<size_t>(rank, 1, values_.size()) - 1];
}

int64_t Percentiles::Max() const { return Quantile(1.0); }

double Percentiles::Mean() const {
  return values_.empty() ? 0.0 : static_cast<double>(sum_) / static_cast<double>(values_.size());
}

}  // namespace tessera::loadgen
