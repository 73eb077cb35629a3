#include "loadgen/engine.h"

#include <tessera/base/clock.h>
#include <tessera/net/demux.h>
#include <tessera/net/udp_socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <random>

#include "loadgen/composite_receiver.h"
#include "loadgen/pacer.h"
#include "loadgen/proc_stats.h"
#include "loadgen/stream_counter.h"
#include "loadgen/stream_sender.h"

namespace tessera::loadgen {
namespace {

constexpr int64_t kSecondUs = 1'000'000;
constexpr int64_t kTickUs = 20'000;
constexpr int64_t kStartDelayUs = 300'000;
constexpr int kClipPhaseStep = 13;  // participant i starts its clip at frame 13 i

std::chrono::steady_clock::time_point At(int64_t us) {
  return std::chrono::steady_clock::time_point(std::chrono::microseconds(us));
}

int64_t Now() { return SystemClock().NowUs(); }

// One participant the load generator plays.
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

  ReceivedStats CompositeStats() const { return viewer ? viewer->stats().rtp : composite.stats(); }
};

struct RoomState {
  const PlannedRoom* plan = nullptr;
  std::unique_ptr<FrameMatcher> matcher;
  Link* viewer = nullptr;
  Percentiles latency, second_latency;
  MatchStats window, second;
  uint64_t composites = 0, second_composites = 0;
  uint64_t missing_start = 0, missing_end = 0;
};

void AddMatch(MatchStats& to, const MatchStats& s) {
  to.shown += s.shown;
  to.missed += s.missed;
  to.repeated += s.repeated;
  to.unreadable += s.unreadable;
  to.unmatched += s.unmatched;
  to.backwards += s.backwards;
}

}  // namespace

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

Status Engine::Impl::Build(const LoadPlan& plan) {
  const auto address = boost::asio::ip::make_address(plan.server_address);
  uint32_t clip_frames = 1;
  for (const auto& [codec, clip] : clips.video) {
    clip_frames = std::max(clip_frames, static_cast<uint32_t>(clip.frames.size()));
  }
  for (size_t r = 0; r < plan.rooms.size(); ++r) {
    const PlannedRoom& pr = plan.rooms[r];
    auto room = std::make_unique<RoomState>();
    room->plan = &pr;
    room->matcher = std::make_unique<FrameMatcher>(pr.layout.inputs.size(), clip_frames);
    for (const PlannedParticipant& p : pr.participants) {
      auto l = std::make_unique<Link>();
      l->plan = &p;
      l->room = r;
      auto open = [&](uint16_t port,
                      const char* what) -> StatusOr<std::unique_ptr<net::UdpSocket>> {
        auto s = net::UdpSocket::Open(io, plan.server_address, port, 4 << 20);
        if (!s.ok()) {
          return Status(s.status().code(), "participant " + p.name + " (" + what + ", port " +
                                               std::to_string(port) + "): " + s.status().message());
        }
        return s;
      };
      if (p.sends_video || p.receive_video_port) {
        auto s = open(p.receive_video_port, "video");
        if (!s.ok()) return s.status();
        l->video_socket = std::move(*s);
        if (p.server_video_port) l->server_video = net::Endpoint(address, p.server_video_port);
      }
      if (p.sends_video) {
        const auto clip = clips.video.find(p.video_codec);
        if (clip == clips.video.end()) return InternalError("no clip for " + p.name);
        VideoSenderConfig c;
        c.ssrc = static_cast<uint32_t>(rng());
        c.payload_type = p.video_payload_type;
        c.counter_extension_id = options.counter_extension_id;
        c.mtu = options.mtu;
        c.first_clip_frame = static_cast<uint32_t>(std::max(p.tile, 0) * kClipPhaseStep);
        c.cname = "loadgen-" + p.name;
        l->video = std::make_unique<VideoStreamSender>(clip->second, c, SystemClock());
      }
      if (p.decode) {
        CompositeReceiverConfig c;
        c.codec = p.composite_codec;
        c.payload_type = p.composite_payload_type;
        c.fps = p.composite_fps;
        c.local_ssrc = static_cast<uint32_t>(rng());
        auto viewer = CompositeReceiver::Create(
            c, pr.layout, SystemClock(), boost::asio::make_strand(pool.get_executor()),
            [this, r](DecodedComposite d) {
              boost::asio::post(
                  io, [this, r, d = std::move(d)]() mutable { OnDecoded(r, std::move(d)); });
            });
        if (!viewer.ok()) return viewer.status();
        l->viewer = std::move(*viewer);
        room->viewer = l.get();
      }
      if (p.has_audio) {
        auto s = open(p.receive_audio_port, "audio");
        if (!s.ok()) return s.status();
        l->audio_socket = std::move(*s);
        l->server_audio = net::Endpoint(address, p.server_audio_port);
        const auto& set = p.tile == 0 ? clips.speaker : clips.quiet;
        const auto clip = set.find(p.audio_codec);
        if (clip == set.end()) return InternalError("no audio clip for " + p.name);
        AudioSenderConfig c;
        c.ssrc = static_cast<uint32_t>(rng());
        c.payload_type = p.audio_payload_type;
        c.cname = "loadgen-" + p.name;
        l->audio = std::make_unique<AudioStreamSender>(clip->second, c, SystemClock());
      }
      links.push_back(std::move(l));
    }
    rooms.push_back(std::move(room));
  }
  return Status::Ok();
}

void Engine::Impl::Start() {
  for (auto& lp : links) {
    Link* l = lp.get();
    if (l->video_socket) {
      l->video_socket->Start(
          [this, l](std::span<const uint8_t> d, const net::Endpoint&) { OnVideoDatagram(*l, d); });
    }
    if (l->audio_socket) {
      l->audio_socket->Start([l](std::span<const uint8_t> d, const net::Endpoint&) {
        if (net::ClassifyPacket(d) != net::PacketClass::kRtp) return;
        if (auto p = rtp::RtpPacket::Parse(d)) l->mix.OnPacket(*p);
      });
    }
  }
  start_us = Now() + kStartDelayUs;
  measure_start_us = start_us + int64_t{options.warmup_s} * kSecondUs;
  send_end_us = start_us + int64_t{options.seconds} * kSecondUs;
  // Every sender of the run gets its own phase, spread evenly over the frame (packet) period.
  size_t video_count = 0, audio_count = 0;
  for (auto& l : links) {
    video_count += l->video != nullptr;
    audio_count += l->audio != nullptr;
  }
  size_t vi = 0, ai = 0;
  for (auto& l : links) {
    if (l->video) {
      const int fps = clips.video.at(l->plan->video_codec).config.fps;
      const int64_t phase = static_cast<int64_t>(vi++) * kSecondUs / fps /
                            static_cast<int64_t>(std::max<size_t>(video_count, 1));
      (void)pacer.Add(start_us + phase, kSecondUs, fps);
      streams.push_back({l.get(), true});
    }
    if (l->audio) {
      const int64_t phase = static_cast<int64_t>(ai++) * kTickUs /
                            static_cast<int64_t>(std::max<size_t>(audio_count, 1));
      (void)pacer.Add(start_us + phase, kTickUs, 1);
      streams.push_back({l.get(), false});
    }
  }
  sending = true;
  if (options.warmup_s <= 0) StartWindow();
  ArmPace();
  next_tick_us = start_us;
  ArmTick();
  self_last = SampleProcess(getpid(), Now());
  if (options.server_pid) server_last = SampleProcess(options.server_pid, Now());
  ArmSecond();
  WaitForSignal();
}

void Engine::Impl::WaitForSignal() {
  // The first signal ends the sending and drains as usual; a second one ends at once.
  signals.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec || finished) return;
    if (result.interrupted) {
      Finish();
      return;
    }
    result.interrupted = true;
    if (!window_ended) EndSending();
    second_timer.cancel();
    Drain();
    WaitForSignal();
  });
}

void Engine::Impl::Drain() {
  finish_timer.expires_after(std::chrono::milliseconds(options.drain_ms));
  finish_timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !finished) Finish();
  });
}

void Engine::Impl::ArmPace() {
  const auto next = pacer.NextDueUs();
  if (!sending || !next) return;
  pace_timer.expires_at(At(*next));
  pace_timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && sending) OnPace();
  });
}

void Engine::Impl::OnPace() {
  for (const Pacer::Due& due : pacer.PopDue(Now())) {
    if (due.due_us >= send_end_us) continue;
    result.sender_skipped += due.skipped;
    const StreamRef& s = streams[due.stream];
    Link& l = *s.link;
    if (!s.video) {
      const rtp::RtpPacket p = l.audio->NextPacket(due.index);
      SendTo(*l.audio_socket, p.data(), l.server_audio);
      continue;
    }
    const auto frame = l.video->NextFrame(due.index);
    for (const auto& p : frame.packets) SendTo(*l.video_socket, p.data(), *l.server_video);
    const int64_t sent = Now();
    send_lateness.Add(sent - due.due_us);
    if (l.plan->tile >= 0) {
      rooms[l.room]->matcher->OnSent(static_cast<size_t>(l.plan->tile), frame.clip_index, sent);
    }
  }
  ArmPace();
}

void Engine::Impl::ArmTick() {
  tick_timer.expires_at(At(next_tick_us));
  tick_timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec || finished) return;
    const int64_t now = Now();
    const bool report = ++ticks % 50 == 0;
    for (auto& l : links) {
      if (l->viewer) SendRtcp(*l, l->viewer->OnTimer(now));
      if (!report || !sending) continue;
      // Sender reports, once a second, as a real endpoint sends them.
      if (l->video && l->server_video) {
        SendTo(*l->video_socket, l->video->BuildReport(SystemClock().NowNtp(), now),
               *l->server_video);
      }
      if (l->audio) {
        SendTo(*l->audio_socket, l->audio->BuildReport(SystemClock().NowNtp(), now),
               l->server_audio);
      }
    }
    next_tick_us += kTickUs;
    ArmTick();
  });
}

void Engine::Impl::OnVideoDatagram(Link& l, std::span<const uint8_t> data) {
  const int64_t now = Now();
  const net::PacketClass c = net::ClassifyPacket(data);
  if (c == net::PacketClass::kRtcp) {
    if (l.video && l.server_video) {
      for (const auto& p : l.video->OnRtcp(data, now)) {
        SendTo(*l.video_socket, p.data(), *l.server_video);
      }
    }
    if (l.viewer) (void)l.viewer->OnRtcp(data, now);
    return;
  }
  if (c != net::PacketClass::kRtp) return;
  const auto p = rtp::RtpPacket::Parse(data);
  if (!p) return;
  if (l.viewer) {
    SendRtcp(l, l.viewer->OnRtp(*p, now));
  } else {
    l.composite.OnPacket(*p);
  }
}

void Engine::Impl::OnDecoded(size_t r, DecodedComposite d) {
  if (finished) return;
  RoomState& room = *rooms[r];
  if (d.keyframe_needed) {
    SendRtcp(*room.viewer, room.viewer->viewer->OnDecoderFailed(Now()));
    return;
  }
  const FrameMatcher::Result m = room.matcher->OnComposite(d.arrival_us, d.readings);
  ++room.second_composites;
  AddMatch(room.second, m.stats);
  for (int64_t us : m.latencies_us) room.second_latency.Add(us);
  if (d.arrival_us < measure_start_us) return;
  AddMatch(room.window, m.stats);
  for (int64_t us : m.latencies_us) room.latency.Add(us);
  if (d.arrival_us < send_end_us) ++room.composites;
}

void Engine::Impl::StartWindow() {
  measuring = true;
  for (auto& l : links) {
    l->composite_start = l->CompositeStats();
    l->mix_start = l->mix.stats();
  }
  for (auto& room : rooms) {
    if (room->viewer) room->missing_start = room->viewer->viewer->stats().rtp.missing_intervals;
  }
  server_start = server_last;
  self_start = self_last;
}

void Engine::Impl::EndSending() {
  sending = false;
  window_ended = true;
  pace_timer.cancel();
  send_end_us = std::min(send_end_us, Now());  // earlier when a signal ends the run
  if (!measuring) return;  // ended before the warm-up did: nothing measured
  for (auto& l : links) {
    l->composite_end = l->CompositeStats();
    l->mix_end = l->mix.stats();
  }
  for (auto& room : rooms) {
    if (room->viewer) room->missing_end = room->viewer->viewer->stats().rtp.missing_intervals;
  }
  const int64_t now = Now();
  if (options.server_pid) server_end = SampleProcess(options.server_pid, now);
  self_end = SampleProcess(getpid(), now);
  result.window_s = static_cast<double>(send_end_us - measure_start_us) / 1e6;
}

void Engine::Impl::Finish() {
  finished = true;
  for (auto& l : links) {
    if (l->video_socket) l->video_socket->Close();
    if (l->audio_socket) l->audio_socket->Close();
  }
  pace_timer.cancel();
  tick_timer.cancel();
  second_timer.cancel();
  finish_timer.cancel();
  signals.cancel();
  io.stop();
}

uint64_t Engine::Impl::TotalLost() const {
  uint64_t lost = 0;
  for (const auto& l : links) lost += l->CompositeStats().lost + l->mix.stats().lost;
  return lost;
}

void Engine::Impl::ArmSecond() {
  second_timer.expires_at(At(start_us + int64_t{second + 1} * kSecondUs));
  second_timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !finished) OnSecond();
  });
}

void Engine::Impl::OnSecond() {
  ++second;
  const int64_t now = Now();
  SecondSample s;
  s.t_s = second;
  s.measuring = measuring;
  Percentiles latency;
  int decoded_rooms = 0;
  for (auto& room : rooms) {
    latency.Merge(room->second_latency);
    room->second_latency.Clear();
    s.shown += room->second.shown;
    s.missed += room->second.missed;
    s.unreadable += room->second.unreadable;
    room->second = {};
    if (room->viewer) {
      ++decoded_rooms;
      s.composite_fps += static_cast<double>(room->second_composites);
      s.missing_intervals += room->viewer->viewer->stats().rtp.missing_intervals;
    }
    room->second_composites = 0;
  }
  if (decoded_rooms) s.composite_fps /= decoded_rooms;
  s.latency = Summarize(latency);
  const uint64_t missing = s.missing_intervals;
  s.missing_intervals = missing - missing_seen;
  missing_seen = missing;
  const uint64_t lost = TotalLost();
  s.lost_packets = lost - lost_seen;
  lost_seen = lost;
  const auto self = SampleProcess(getpid(), now);
  if (self && self_last) s.loadgen_cores = CoresBetween(*self_last, *self);
  self_last = self;
  if (options.server_pid) {
    const auto server = SampleProcess(options.server_pid, now);
    if (!server) {
      result.server_gone = true;
    } else {
      if (server_last) s.server_cores = CoresBetween(*server_last, *server);
      s.server_rss_kb = server->rss_kb;
      result.server_rss_max_kb = std::max(result.server_rss_max_kb, server->rss_kb);
      result.server_cpus = server->cpus_allowed;
      if (measuring && s.server_cores) {
        result.server_cores_max = std::max(result.server_cores_max, *s.server_cores);
      }
    }
    server_last = server;
  }
  result.timeline.push_back(s);
  if (on_second) on_second(s);
  if (second == options.warmup_s && !measuring) StartWindow();
  if (result.server_gone) {
    if (!window_ended) EndSending();
    Finish();
    return;
  }
  if (second >= options.seconds) {
    if (!window_ended) EndSending();
    Drain();
    return;
  }
  ArmSecond();
}

RunResult Engine::Impl::Compile() {
  RunResult& out = result;
  Percentiles all_latency;
  out.total.name = "total";
  for (size_t ri = 0; ri < rooms.size(); ++ri) {
    RoomState* room = rooms[ri].get();
    RoomResult r;
    r.name = room->plan->name;
    r.decoded = room->viewer != nullptr;
    r.latency = Summarize(room->latency);
    all_latency.Merge(room->latency);
    r.match = room->window;
    if (room->viewer) {
      r.composite_fps = room->viewer->plan->composite_fps;
      r.composites = room->composites;
      r.composites_expected = r.composite_fps * out.window_s;
      r.missing_intervals = room->missing_end - room->missing_start;
      const CompositeStats vs = room->viewer->viewer->stats();
      r.decode_errors = vs.decode_errors;
      r.decode_dropped = vs.decode_dropped;
    }
    for (auto& l : links) {
      if (l->room != ri) continue;
      if (l->video) {
        ++r.senders;
        const SenderStats& ss = l->video->stats();
        r.input_frames_sent += ss.frames;
        r.plis_received += ss.plis + ss.firs;
        r.nacks_received += ss.nacked;
        r.retransmitted += ss.retransmitted;
        // Frames sent after the last one shown were never shown.
        if (room->viewer && l->plan->tile >= 0 && measuring) {
          r.match.missed += room->matcher->UnshownTail(static_cast<size_t>(l->plan->tile));
        }
      }
      r.composite_packets += l->composite_end.packets - l->composite_start.packets;
      r.composite_lost += l->composite_end.lost - l->composite_start.lost;
      r.mix_packets += l->mix_end.packets - l->mix_start.packets;
      r.mix_lost += l->mix_end.lost - l->mix_start.lost;
    }
    RoomResult& t = out.total;
    t.senders += r.senders;
    t.decoded |= r.decoded;
    t.composite_fps = std::max(t.composite_fps, r.composite_fps);
    t.composites += r.composites;
    t.composites_expected += r.composites_expected;
    t.missing_intervals += r.missing_intervals;
    AddMatch(t.match, r.match);
    t.input_frames_sent += r.input_frames_sent;
    t.composite_packets += r.composite_packets;
    t.composite_lost += r.composite_lost;
    t.mix_packets += r.mix_packets;
    t.mix_lost += r.mix_lost;
    t.decode_errors += r.decode_errors;
    t.decode_dropped += r.decode_dropped;
    t.plis_received += r.plis_received;
    t.nacks_received += r.nacks_received;
    t.retransmitted += r.retransmitted;
    out.rooms.push_back(std::move(r));
  }
  out.total.latency = Summarize(all_latency);
  if (server_start && server_end) out.server_cores_mean = CoresBetween(*server_start, *server_end);
  if (self_start && self_end) out.loadgen_cores_mean = CoresBetween(*self_start, *self_end);
  out.send_lateness = Summarize(send_lateness);
  out.send_failures = send_failures;
  out.server_rooms.resize(out.rooms.size());
  return out;
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

StatusOr<std::unique_ptr<Engine>> Engine::Create(const LoadPlan& plan, const Clips& clips,
                                                 const EngineOptions& options) {
  auto impl = std::make_unique<Impl>(options, clips);
  TESSERA_RETURN_IF_ERROR(impl->Build(plan));
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

RunResult Engine::Run(const std::function<void(const SecondSample&)>& on_second) {
  impl_->on_second = on_second;
  impl_->Start();
  impl_->io.run();
  impl_->pool.join();  // decodes still queued finish; their results are not counted
  return impl_->Compile();
}

}  // namespace tessera::loadgen
