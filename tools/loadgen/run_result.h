// What a load generator run measured: one sample per second while it runs, and per room and in
// total over the measurement window (after the warm-up, until the senders stop).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/frame_matcher.h"
#include "loadgen/percentiles.h"

namespace tessera::loadgen {

struct LatencySummary {
  uint64_t samples = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double mean_ms = 0;
};
// Samples in microseconds.
LatencySummary Summarize(const Percentiles& us);

struct SecondSample {
  double t_s = 0;            // since the senders started, at the end of this second
  bool measuring = false;    // this second is inside the measurement window
  double composite_fps = 0;  // decoded composites per second, mean over the decoded rooms
  LatencySummary latency;    // input frames first shown in this second
  uint64_t shown = 0;
  uint64_t missed = 0;
  uint64_t unreadable = 0;
  uint64_t lost_packets = 0;       // on every stream the load generator receives
  uint64_t missing_intervals = 0;  // composite frame intervals without a frame (skipped ticks)
  std::optional<double> server_cores;
  uint64_t server_rss_kb = 0;
  double loadgen_cores = 0;
};

// Latency of the input frames of one group of tiles (where their participants joined).
struct GroupLatency {
  std::string group;
  LatencySummary latency;
};

struct RoomResult {
  std::string name;
  int mirror_of = -1;  // a mirror's source room (its index in RunResult::rooms)
  int senders = 0;
  bool decoded = false;  // a composite of this room was decoded and its tiles read
  int composite_fps = 0;
  uint64_t composites = 0;  // decoded composites that arrived in the window
  double composites_expected = 0;
  uint64_t missing_intervals = 0;  // in the decoded composite's timestamps, in the window
  LatencySummary latency;
  std::vector<GroupLatency> by_group;  // when the room's tiles have groups
  MatchStats match;  // in the window; `missed` includes frames never shown at the end
  uint64_t input_frames_sent = 0;
  uint64_t composite_packets = 0;  // every composite of the room the load generator receives
  uint64_t composite_lost = 0;
  uint64_t mix_packets = 0;
  uint64_t mix_lost = 0;
  uint64_t decode_errors = 0;
  uint64_t decode_dropped = 0;
  uint64_t plis_received = 0;  // keyframe requests from the server for the inputs
  uint64_t nacks_received = 0;
  uint64_t retransmitted = 0;

  double DeliveredRatio() const {
    const uint64_t all = match.shown + match.missed;
    return all ? static_cast<double>(match.shown) / static_cast<double>(all) : 0.0;
  }
  double LossRatio() const {
    const uint64_t all = composite_packets + composite_lost + mix_packets + mix_lost;
    return all ? static_cast<double>(composite_lost + mix_lost) / static_cast<double>(all) : 0.0;
  }
};

// What the server said about a room at stop (only when the load generator started it).
struct ServerRoomFigures {
  double ticks = 0;
  double skipped_ticks = 0;
  std::optional<double> latency_p50_ms;
  std::optional<double> latency_p99_ms;
  double tick_cost_p99_ms = 0;
};

struct RunResult {
  double window_s = 0;  // the measurement window
  std::vector<RoomResult> rooms;
  RoomResult total;  // sums; latency over every room's samples
  std::vector<std::optional<ServerRoomFigures>> server_rooms;  // by room, filled in by the caller
  std::vector<SecondSample> timeline;
  std::optional<double> server_cores_mean;  // over the window
  double server_cores_max = 0;              // of the per-second samples
  uint64_t server_rss_max_kb = 0;
  int server_cpus = 0;  // CPUs the server may use (its affinity)
  double loadgen_cores_mean = 0;
  LatencySummary send_lateness;  // video frames sent after they were due
  uint64_t sender_skipped = 0;   // items the pacer skipped because the load generator was late
  uint64_t send_failures = 0;
  bool server_gone = false;  // the server's process disappeared during the run
  bool interrupted = false;  // SIGINT/SIGTERM ended the run early
};

}  // namespace tessera::loadgen
