// Internal to the engine (engine.cc: sockets, pacing, receiving; engine_stats.cc: the
// measurement window, per-second samples and the result). Not for other units.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/net/demux.h>
#include <tessera/net/udp_socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "loadgen/composite_receiver.h"
#include "loadgen/engine.h"
#include "loadgen/frame_matcher.h"
#include "loadgen/pacer.h"
#include "loadgen/proc_stats.h"
#include "loadgen/stream_counter.h"
#include "loadgen/stream_sender.h"

namespace tessera::loadgen {

inline constexpr int64_t kSecondUs = 1'000'000;
inline constexpr int64_t kTickUs = 20'000;
inline constexpr int64_t kStartDelayUs = 300'000;
inline constexpr int kClipPhaseStep = 13;  // participant i starts its clip at frame 13 i

inline std::chrono::steady_clock::time_point At(int64_t us) {
  return std::chrono::steady_clock::time_point(std::chrono::microseconds(us));
}

inline int64_t Now() { return SystemClock().NowUs(); }

// One participant the load generator plays. Runs on: the network thread.
struct Link {
  const PlannedParticipant* plan = nullptr;
  size_t room = 0;
  std::unique_ptr<net::UdpSocket> video_socket;
  std::unique_ptr<net::UdpSocket> audio_socket;
  std::optional<net::Endpoint> server_video;
  net::Endpoint server_audio;
  std::unique_ptr<VideoStreamSender> video;
  std::unique_ptr<AudioStreamSender> audio;
  StreamCounter composite{3000};
  StreamCounter mix;
  std::unique_ptr<CompositeReceiver> viewer;  // when this participant's composite is decoded
  ReceivedStats composite_start, mix_start, composite_end, mix_end;  // the window's edges

  ReceivedStats CompositeRtp() const { return viewer ? viewer->stats().rtp : composite.stats(); }
};

// What is measured of one room. Runs on: the network thread (decode results are posted to it).
struct RoomState {
  const PlannedRoom* plan = nullptr;
  std::unique_ptr<FrameMatcher> matcher;
  Link* viewer = nullptr;
  Percentiles latency, second_latency;     // the window's and this second's, in microseconds
  std::vector<RoomState*> mirrors;         // rooms showing this one's tiles elsewhere
  std::vector<std::string> groups;         // distinct tile groups, in order of first tile
  std::vector<size_t> group_of_tile;       // index into groups, per tile (empty: no groups)
  std::vector<Percentiles> group_latency;  // the window's, per group
  MatchStats window, second;
  uint64_t composites = 0, second_composites = 0;
  uint64_t missing_start = 0, missing_end = 0;
};

inline void AddMatch(MatchStats& to, const MatchStats& s) {
  to.shown += s.shown;
  to.missed += s.missed;
  to.repeated += s.repeated;
  to.unreadable += s.unreadable;
  to.unmatched += s.unmatched;
  to.backwards += s.backwards;
}

// Runs on: the network thread (Run's caller), except `pool`, which decodes composites.
struct Engine::Impl {
  explicit Impl(const EngineOptions& o, const Clips& c)
      : options(o),
        clips(c),
        pool(static_cast<size_t>(std::max(1, o.decode_threads))),
        pace_timer(io),
        tick_timer(io),
        second_timer(io),
        finish_timer(io),
        signals(io, SIGINT, SIGTERM),
        rng(std::random_device{}()) {}
  ~Impl() { pool.join(); }

  Status Build(const LoadPlan& plan);
  void Start();
  void WaitForSignal();
  void Drain();
  void ArmPace();
  void OnPace();
  void ArmTick();
  void ArmSecond();
  void OnSecond();
  void StartWindow();
  void EndSending();
  void Finish();
  void OnVideoDatagram(Link& l, std::span<const uint8_t> data);
  void OnDecoded(size_t room, DecodedComposite d);
  void SendTo(net::UdpSocket& s, std::span<const uint8_t> data, const net::Endpoint& to) {
    if (!s.SendTo(data, to)) ++send_failures;
  }
  void SendRtcp(Link& l, const std::vector<uint8_t>& rtcp) {
    if (!rtcp.empty() && l.server_video) SendTo(*l.video_socket, rtcp, *l.server_video);
  }
  uint64_t TotalLost() const;
  RunResult Compile();

  EngineOptions options;
  const Clips& clips;
  boost::asio::io_context io;
  boost::asio::thread_pool pool;
  boost::asio::steady_timer pace_timer, tick_timer, second_timer, finish_timer;
  boost::asio::signal_set signals;
  std::mt19937 rng;
  std::vector<std::unique_ptr<Link>> links;
  std::vector<std::unique_ptr<RoomState>> rooms;
  Pacer pacer;
  struct StreamRef {
    Link* link;
    bool video;
  };
  std::vector<StreamRef> streams;
  std::function<void(const SecondSample&)> on_second;
  int64_t start_us = 0, measure_start_us = 0, send_end_us = 0, next_tick_us = 0;
  int second = 0;
  uint64_t ticks = 0;
  bool sending = false, measuring = false, window_ended = false, finished = false;
  Percentiles send_lateness;
  uint64_t send_failures = 0;
  uint64_t lost_seen = 0, missing_seen = 0;
  std::optional<ProcessSample> server_last, server_start, server_end;
  std::optional<ProcessSample> self_last, self_start, self_end;
  RunResult result;
};

}  // namespace tessera::loadgen
