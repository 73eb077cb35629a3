// How a run is shown: a progress line a second, a table at the end, and JSON for tools.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "loadgen/run_result.h"

namespace tessera::loadgen {

// The run's settings, as (key, value) text pairs, for the JSON's "config" object.
using RunSettings = std::vector<std::pair<std::string, std::string>>;

std::string FormatProgress(const SecondSample& s, int warmup_s);
std::string FormatTable(const RunResult& r);
std::string ToJson(const RunResult& r, const RunSettings& settings);

}  // namespace tessera::loadgen
