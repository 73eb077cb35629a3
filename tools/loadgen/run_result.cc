#include "loadgen/run_result.h"

namespace tessera::loadgen {

LatencySummary Summarize(const Percentiles& us) {
  LatencySummary s;
  s.samples = us.count();
  if (!s.samples) return s;
  s.p50_ms = static_cast<double>(us.Quantile(0.50)) / 1000;
  s.p95_ms = static_cast<double>(us.Quantile(0.95)) / 1000;
  s.p99_ms = static_cast<double>(us.Quantile(0.99)) / 1000;
  s.max_ms = static_cast<double>(us.Max()) / 1000;
  s.mean_ms = us.Mean() / 1000;
  return s;
}

}  // namespace tessera::loadgen
