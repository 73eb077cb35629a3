// How a capacity search is shown: one verdict line per step, a table of the steps and the
// capacity found, and JSON (capacity.json).
#pragma once

#include <string>
#include <vector>

#include "loadgen/capacity.h"
#include "loadgen/report.h"
#include "loadgen/run_result.h"

namespace tessera::loadgen {

struct CapacityStep {
  int rooms = 0;
  Verdict verdict;
  RunResult result;       // empty when the run could not be made
  std::string json_path;  // the step's own result.json
};

struct CapacityReport {
  std::vector<CapacityStep> steps;  // in the order they ran
  int capacity = 0;                 // rooms; 0: none passed
  bool at_max = false;              // every step passed up to --capacity-max
  CapacityCriteria criteria;
};

// "5 rooms PASS | server CPU 81.8% | RSS 325 MB | latency p50/p99 31.9/48.4 ms | skipped 0.40% |
// delivered 95.9%" and, for a failure, the failed criteria.
std::string FormatStepVerdict(const CapacityStep& step);
// The steps sorted by rooms, then "capacity: N rooms ...".
std::string FormatCapacityTable(const CapacityReport& report);
std::string CapacityJson(const CapacityReport& report, const RunSettings& settings);

}  // namespace tessera::loadgen
