// One room's audio: its AudioRoom (jitter buffers, decoders, the K-loudest N-1 mixer, encoders),
// driven by a drift-free 20 ms timer, and where each participant's mix goes.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/thread_checker.h>
#include <tessera/session/audio_room.h>
#include <tessera/session/config.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <unordered_map>

#include "session/audio_leg.h"
#include "session/latency_histogram.h"
#include "session/room_metrics.h"

namespace tessera::session {

// Runs on: the room's media io_context (its audio thread): every method, except set-up before
// any thread runs and the sink SinkForLegs returns (called on legs' shards; it posts here).
class RoomAudio {
 public:
  RoomAudio(const RoomConfig& config, boost::asio::io_context& media, Clock& clock);

  // Set-up: where a change of dominant speaker is reported (the video layout; it posts to its
  // own context).
  void SetSpeakerSink(std::function<void(uint32_t id)> sink) { speaker_sink_ = std::move(sink); }
  // The sink a leg posts received packets through.
  AudioLeg::RoomSink SinkForLegs();
  // Posts the first tick (from any thread).
  void Start();
  void StopTicks();

  // The leg's participant joins the mix and its mix goes to the leg from the next tick on.
  // admitted false: muted and deaf until Admit.
  Status Attach(AudioLeg* leg, bool admitted);
  // The id leaves the mix; no task for its leg is posted after this.
  void Detach(uint32_t id);
  // Heard and hearing from now on, unless muted / deaf.
  Status Admit(uint32_t id, bool muted, bool deaf);
  // The operator's mute and deafen; a participant not yet admitted stays muted and deaf.
  Status SetMuteDeaf(uint32_t id, bool muted, bool deaf, bool admitted);
  // Who the room's recorder (a leg whose participant joined with `recorder`) must not hear from
  // now on: the participants its recording leaves out (RoomHost::UpdateExclusion).
  void SetExcluded(std::vector<uint32_t> excluded);
  // The recording notice over what the participant hears (AudioRoom::SetNotice).
  // FailedPrecondition: it has no audio.
  Status SetNotice(uint32_t id, bool on);
  std::string SummaryJson() const;
  boost::asio::io_context& context() { return media_; }
  Clock& clock() { return clock_; }

 private:
  void ScheduleTick();
  void OnTick();
  // Each recorder's and each linked participant's (own_voice) not_heard, from excluded_ and who
  // is attached now.
  void RefreshNotHeard();
  std::string NameOf(uint32_t id) const;

  std::string name_;
  boost::asio::io_context& media_;
  Clock& clock_;
  AudioRoom room_;
  std::function<void(uint32_t)> speaker_sink_;
  // Where the mix for each id goes. A map, not a vector by id: ids are never reused, so a vector
  // would grow with every join.
  std::unordered_map<uint32_t, AudioLeg*> leg_by_id_;
  std::vector<uint32_t> excluded_;  // SetExcluded
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point next_tick_;
  bool stopped_ = false;
  uint64_t skipped_ticks_ = 0;
  uint64_t late_ticks_ = 0;    // ran more than 5 ms after their deadline
  LatencyHistogram lateness_;  // start of each audio tick minus its deadline
  // /metrics: tick duration and lateness {room, kind="audio"}.
  RoomSeries series_;
  Histogram* tick_seconds_ = nullptr;
  Histogram* lateness_seconds_ = nullptr;
  ThreadChecker checker_;
};

}  // namespace tessera::session
