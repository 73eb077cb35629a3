// The capacity search: how many rooms a server carries before quality fails. Each step is a whole
// load generator run with M rooms on a freshly started server; Judge() decides whether that run
// met the criteria and CapacitySearch picks the next M.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/run_result.h"

namespace tessera::loadgen {

struct CapacityCriteria {
  // Skipped video ticks, in percent of the ticks due, in the worst room (the server's count; the
  // composite's missing frame intervals where the server gave none).
  double max_skipped_pct = 1.0;
  // The load generator's MCU-added latency p99 over every room, in ms.
  double max_p99_ms = 100;
  // The server's CPU, mean over the window, in percent of the CPUs it may use; 0: no limit.
  double max_cpu_pct = 0;
  // Input frames shown in a composite, in percent of those sent; 0: no limit.
  double min_delivered_pct = 0;
};

// What one run measured against the criteria.
struct Verdict {
  bool pass = false;
  std::vector<std::string> failures;  // one per failed criterion: what was measured, the limit
  double skipped_pct = 0;             // worst room
  double p99_ms = 0;
  double cpu_pct = 0;  // 0 when the server's CPU is unknown
  double delivered_pct = 0;
};

// A run without latency samples, with a room whose composite was never decoded, or whose server
// went away fails whatever the figures say: an empty result is not a pass.
Verdict Judge(const RunResult& r, const CapacityCriteria& c);

// Doubling from `start` rooms while runs pass, then bisection between the largest pass and the
// smallest failure; never above `max`. A machine's result near its limit can flip between runs,
// so every step is reported, and the capacity is the largest M that passed below the smallest M
// that failed.
class CapacitySearch {
 public:
  CapacitySearch(int start, int max);

  // The number of rooms to run next; nullopt when the search is over.
  std::optional<int> Next() const;
  void Record(int rooms, bool pass);

  // The largest passing number of rooms below the smallest failing one; 0 when none passed.
  int capacity() const;
  // True when every run passed up to `max` (the capacity is at least max).
  bool hit_max() const { return !SmallestFail() && capacity() >= max_; }

 private:
  std::optional<int> SmallestFail() const;

  int start_;
  int max_;
  std::map<int, bool> runs_;  // rooms -> passed
};

}  // namespace tessera::loadgen
