// The histograms a room's media code observes where the work happens (a tick, an encode, a
// decode): series of the process registry (GlobalMetrics) that /metrics publishes, made when the
// room is set up and out of the exposition when it goes. Families: docs/operations.md, "Metrics".
#pragma once

#include <tessera/base/metrics.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::session {

// {room, kind="audio"|"video"}: the work of one tick, and how late it started.
inline constexpr std::string_view kTickDurationFamily = "tessera_room_tick_duration_seconds";
inline constexpr std::string_view kTickLatenessFamily = "tessera_room_tick_lateness_seconds";
// {room, profile}: one video encode.
inline constexpr std::string_view kEncodeDurationFamily = "tessera_encode_duration_seconds";
// {room}: one video frame of a participant decoded.
inline constexpr std::string_view kDecodeDurationFamily = "tessera_decode_duration_seconds";

// The series one object (a room's audio, its video, a profile) observes. Destroying it takes them
// out of the exposition (MetricsRegistry::RemoveSeries); the histograms themselves stay valid,
// so a decode still running on another thread may observe one.
// Runs on: the owner's thread at set-up and destruction; the histograms on any thread
// (Histogram::Observe is lock-free).
class RoomSeries {
 public:
  RoomSeries() = default;
  RoomSeries(const RoomSeries&) = delete;
  RoomSeries& operator=(const RoomSeries&) = delete;
  ~RoomSeries();

  // The family's histogram for `labels`, with the family's buckets and help text (one of the
  // k*Family above).
  Histogram& Get(std::string_view family, const Labels& labels);

 private:
  std::vector<std::pair<std::string, Labels>> series_;
};

// Seconds from `start` to now, for Histogram::Observe.
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace tessera::session
