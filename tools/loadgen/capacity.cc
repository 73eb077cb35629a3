#include "loadgen/capacity.h"

#include <algorithm>
#include <cstdio>

namespace tessera::loadgen {
namespace {

std::string Fmt(const char* format, double a, double b) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), format, a, b);
  return buf;
}

// Skipped ticks of room i in percent of the ticks due.
std::optional<double> SkippedPct(const RunResult& r, size_t i) {
  if (i < r.server_rooms.size() && r.server_rooms[i]) {
    const ServerRoomFigures& f = *r.server_rooms[i];
    const double due = f.ticks + f.skipped_ticks;
    if (due > 0) return 100 * f.skipped_ticks / due;
  }
  const RoomResult& room = r.rooms[i];
  if (room.decoded && room.composites_expected > 0) {
    return 100 * static_cast<double>(room.missing_intervals) / room.composites_expected;
  }
  return std::nullopt;
}

}  // namespace

Verdict Judge(const RunResult& r, const CapacityCriteria& c) {
  Verdict v;
  if (r.server_gone) v.failures.push_back("the server went away during the run");
  if (r.interrupted) v.failures.push_back("the run was interrupted");
  if (r.rooms.empty()) v.failures.push_back("no rooms");
  for (size_t i = 0; i < r.rooms.size(); ++i) {
    if (!r.rooms[i].decoded) {
      v.failures.push_back("room " + r.rooms[i].name + ": no composite was decoded");
      continue;
    }
    if (const auto pct = SkippedPct(r, i)) v.skipped_pct = std::max(v.skipped_pct, *pct);
  }
  if (v.skipped_pct > c.max_skipped_pct) {
    v.failures.push_back(Fmt("skipped ticks %.2f%% > %.2f%%", v.skipped_pct, c.max_skipped_pct));
  }
  v.p99_ms = r.total.latency.p99_ms;
  if (r.total.latency.samples == 0) {
    v.failures.push_back("no latency samples (no input frame was seen in a composite)");
  } else if (v.p99_ms > c.max_p99_ms) {
    v.failures.push_back(Fmt("latency p99 %.1f ms > %.1f ms", v.p99_ms, c.max_p99_ms));
  }
  if (r.server_cores_mean && r.server_cpus > 0) {
    v.cpu_pct = 100 * *r.server_cores_mean / r.server_cpus;
  }
  if (c.max_cpu_pct > 0) {
    if (!r.server_cores_mean || r.server_cpus <= 0) {
      v.failures.push_back("the server's CPU is unknown (no --pid)");
    } else if (v.cpu_pct > c.max_cpu_pct) {
      v.failures.push_back(Fmt("server CPU %.1f%% > %.1f%%", v.cpu_pct, c.max_cpu_pct));
    }
  }
  v.delivered_pct = 100 * r.total.DeliveredRatio();
  if (c.min_delivered_pct > 0 && v.delivered_pct < c.min_delivered_pct) {
    v.failures.push_back(Fmt("delivered %.1f%% < %.1f%%", v.delivered_pct, c.min_delivered_pct));
  }
  v.pass = v.failures.empty();
  return v;
}

CapacitySearch::CapacitySearch(int start, int max)
    : start_(std::clamp(start, 1, std::max(max, 1))), max_(std::max(max, 1)) {}

std::optional<int> CapacitySearch::SmallestFail() const {
  for (const auto& [rooms, pass] : runs_) {
    if (!pass) return rooms;
  }
  return std::nullopt;
}

int CapacitySearch::capacity() const {
  const std::optional<int> fail = SmallestFail();
  int best = 0;
  for (const auto& [rooms, pass] : runs_) {
    if (pass && (!fail || rooms < *fail)) best = std::max(best, rooms);
  }
  return best;
}

std::optional<int> CapacitySearch::Next() const {
  const int pass = capacity();
  const std::optional<int> fail = SmallestFail();
  if (!fail) {
    if (pass == 0) return start_;
    if (pass >= max_) return std::nullopt;
    return std::min(max_, pass * 2);
  }
  // Every M between the largest pass and the smallest failure is still unknown.
  if (*fail - pass <= 1) return std::nullopt;
  return pass + (*fail - pass) / 2;
}

void CapacitySearch::Record(int rooms, bool pass) { runs_[rooms] = pass; }

}  // namespace tessera::loadgen
