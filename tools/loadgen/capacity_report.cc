#include "loadgen/capacity_report.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace tessera::loadgen {
namespace {

template <typename... Args>
std::string Printf(const char* format, Args... args) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), format, args...);
  return buf;
}

double RssMb(const RunResult& r) { return static_cast<double>(r.server_rss_max_kb) / 1024; }

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : "; ") + item;
  return out;
}

}  // namespace

std::string FormatStepVerdict(const CapacityStep& s) {
  const Verdict& v = s.verdict;
  std::string line = Printf(
      "%d rooms %s | server CPU %.1f%% | RSS %.0f MB | latency p50/p99 %.1f/%.1f ms | skipped "
      "%.2f%% | delivered %.1f%%",
      s.rooms, v.pass ? "PASS" : "FAIL", v.cpu_pct, RssMb(s.result), s.result.total.latency.p50_ms,
      v.p99_ms, v.skipped_pct, v.delivered_pct);
  if (!v.pass) line += " | " + Joined(v.failures);
  return line;
}

std::string FormatCapacityTable(const CapacityReport& report) {
  std::vector<const CapacityStep*> sorted;
  for (const auto& s : report.steps) sorted.push_back(&s);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->rooms < b->rooms; });
  std::string o = Printf("%-6s %-7s %9s %8s %19s %9s %10s  %s\n", "rooms", "verdict", "srv CPU",
                         "RSS MB", "latency p50/p99 ms", "skipped", "delivered", "failed criteria");
  for (const CapacityStep* s : sorted) {
    const Verdict& v = s->verdict;
    o += Printf("%-6d %-7s %8.1f%% %8.0f %9.1f/%-9.1f %8.2f%% %9.1f%%  %s\n", s->rooms,
                v.pass ? "pass" : "FAIL", v.cpu_pct, RssMb(s->result),
                s->result.total.latency.p50_ms, v.p99_ms, v.skipped_pct, v.delivered_pct,
                Joined(v.failures).c_str());
  }
  const CapacityCriteria& c = report.criteria;
  std::string criteria =
      Printf("skipped ticks <= %.2f%%, latency p99 <= %.0f ms", c.max_skipped_pct, c.max_p99_ms);
  if (c.max_cpu_pct > 0) criteria += Printf(", server CPU <= %.0f%%", c.max_cpu_pct);
  if (c.min_delivered_pct > 0) criteria += Printf(", delivered >= %.0f%%", c.min_delivered_pct);
  if (report.capacity == 0) {
    o += "capacity: none; even the smallest run failed (" + criteria + ")\n";
  } else {
    o += Printf("capacity: %d room%s%s (%s)\n", report.capacity, report.capacity == 1 ? "" : "s",
                report.at_max ? " or more (the search stopped at --capacity-max)" : "",
                criteria.c_str());
  }
  return o;
}

std::string CapacityJson(const CapacityReport& report, const RunSettings& settings) {
  using nlohmann::json;
  const CapacityCriteria& c = report.criteria;
  json criteria = {{"max_skipped_pct", c.max_skipped_pct}, {"max_p99_ms", c.max_p99_ms}};
  if (c.max_cpu_pct > 0) criteria["max_cpu_pct"] = c.max_cpu_pct;
  if (c.min_delivered_pct > 0) criteria["min_delivered_pct"] = c.min_delivered_pct;
  json steps = json::array();
  for (const CapacityStep& s : report.steps) {
    const Verdict& v = s.verdict;
    const RunResult& r = s.result;
    json step = {{"rooms", s.rooms},
                 {"pass", v.pass},
                 {"failures", v.failures},
                 {"skipped_pct_worst_room", v.skipped_pct},
                 {"latency_p50_ms", r.total.latency.p50_ms},
                 {"latency_p95_ms", r.total.latency.p95_ms},
                 {"latency_p99_ms", v.p99_ms},
                 {"latency_samples", r.total.latency.samples},
                 {"delivered_pct", v.delivered_pct},
                 {"server_rss_max_mb", RssMb(r)},
                 {"server_cpus", r.server_cpus},
                 {"result", s.json_path}};
    if (r.server_cores_mean) {
      step["server_cpu_cores_mean"] = *r.server_cores_mean;
      step["server_cpu_pct"] = v.cpu_pct;
    }
    steps.push_back(std::move(step));
  }
  json config = json::object();
  for (const auto& [key, value] : settings) {
    if (key != "rooms") config[key] = value;
  }
  json out = {{"capacity_rooms", report.capacity},
              {"at_max", report.at_max},
              {"criteria", criteria},
              {"steps", steps},
              {"config", config}};
  return out.dump(2) + "\n";
}

}  // namespace tessera::loadgen
