// The engine's measurement: the window, the per-second samples and the result.
#include <unistd.h>

#include "loadgen/engine_impl.h"

namespace tessera::loadgen {

void Engine::Impl::StartWindow() {
  measuring = true;
  for (auto& l : links) {
    l->composite_start = l->CompositeRtp();
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
  if (!measuring) return;                      // ended before the warm-up did: nothing measured
  for (auto& l : links) {
    l->composite_end = l->CompositeRtp();
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
  for (const auto& l : links) lost += l->CompositeRtp().lost + l->mix.stats().lost;
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
    r.mirror_of = room->plan->mirror_of;
    r.latency = Summarize(room->latency);
    for (size_t g = 0; g < room->groups.size(); ++g) {
      r.by_group.push_back({room->groups[g], Summarize(room->group_latency[g])});
    }
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
      // A mirror's shown and missed frames are of its source room's senders.
      if (room->plan->mirror_of >= 0 && l->room == static_cast<size_t>(room->plan->mirror_of) &&
          l->video && room->viewer && l->plan->tile >= 0 && measuring) {
        r.match.missed += room->matcher->UnshownTail(static_cast<size_t>(l->plan->tile));
      }
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

}  // namespace tessera::loadgen
