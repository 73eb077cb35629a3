// Runs one mixing room: its AudioRoom on a media thread, driven by a drift-free 20 ms timer, and
// its participants' legs on the network shards.
#pragma once

#include <tessera/session/audio_room.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "app/audio_leg.h"
#include "app/config.h"

namespace tessera::app {

// Runs on: its media io_context (the room's strand). Legs run on their shards; work crosses by
// post with moved data only.
class RoomHost {
 public:
  RoomHost(const RoomConfig& config, boost::asio::io_context& media, Clock& clock);
  ~RoomHost();

  // Set-up, before any thread runs: creates the legs and adds them to the room.
  Status AddLeg(std::unique_ptr<AudioLeg> leg);
  // Starts the tick timer (posted to the media context) and the legs (posted to their shards).
  void Start();
  // On the media context: stops ticking. The legs are stopped by the Server on their shards.
  void StopTicks();

  const std::string& name() const { return config_.name; }
  boost::asio::io_context& media() { return media_; }
  std::vector<std::unique_ptr<AudioLeg>>& legs() { return legs_; }
  std::string SummaryJson() const;

  // The sink a leg posts received packets through.
  AudioLeg::RoomSink SinkForLegs();

 private:
  void ScheduleTick();
  void OnTick();

  RoomConfig config_;
  boost::asio::io_context& media_;
  Clock& clock_;
  session::AudioRoom room_;
  std::vector<std::unique_ptr<AudioLeg>> legs_;
  std::vector<AudioLeg*> leg_by_id_;  // index: participant id - 1
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point next_tick_;
  bool stopped_ = false;
  uint64_t skipped_ticks_ = 0;
  uint64_t late_ticks_ = 0;  // ran more than 5 ms after their deadline
  // Tick lateness (start of the tick minus its deadline) in 0.1 ms buckets up to 50 ms.
  std::array<uint64_t, 501> lateness_histogram_{};
  double LatenessPercentileMs(double q) const;
  ThreadChecker checker_;
};

}  // namespace tessera::app
