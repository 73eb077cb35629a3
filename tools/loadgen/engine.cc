#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "loadgen/engine_impl.h"

namespace tessera::loadgen {

Status Engine::Impl::Build(const LoadPlan& plan) {
  const auto address = boost::asio::ip::make_address(plan.server_address);
  uint32_t clip_frames = 1;
  for (const auto& [codec, clip] : clips.video) {
    clip_frames = std::max(clip_frames, static_cast<uint32_t>(clip.frames.size()));
  }
  // Every room first: a participant may decode for a later room (a mirror).
  for (size_t r = 0; r < plan.rooms.size(); ++r) {
    const PlannedRoom& pr = plan.rooms[r];
    auto room = std::make_unique<RoomState>();
    room->plan = &pr;
    room->matcher = std::make_unique<FrameMatcher>(pr.layout.inputs.size(), clip_frames);
    for (const std::string& g : pr.tile_groups) {
      const auto it = std::find(room->groups.begin(), room->groups.end(), g);
      room->group_of_tile.push_back(static_cast<size_t>(it - room->groups.begin()));
      if (it == room->groups.end()) room->groups.push_back(g);
    }
    room->group_latency.resize(room->groups.size());
    if (pr.mirror_of >= 0) {
      if (static_cast<size_t>(pr.mirror_of) >= r) {
        return InvalidArgumentError("room " + pr.name + " mirrors a later room");
      }
      rooms[static_cast<size_t>(pr.mirror_of)]->mirrors.push_back(room.get());
    }
    rooms.push_back(std::move(room));
  }
  for (size_t r = 0; r < plan.rooms.size(); ++r) {
    const PlannedRoom& pr = plan.rooms[r];
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
      l->composite = StreamCounter(static_cast<uint32_t>(90000 / std::max(p.composite_fps, 1)));
      boost::system::error_code bad_address;
      const auto server = p.server_address.empty()
                              ? address
                              : boost::asio::ip::make_address(p.server_address, bad_address);
      if (bad_address) return InvalidArgumentError(p.name + ": bad address " + p.server_address);
      if (p.sends_video || p.receive_video_port) {
        auto s = open(p.receive_video_port, "video");
        if (!s.ok()) return s.status();
        l->video_socket = std::move(*s);
        if (p.server_video_port) l->server_video = net::Endpoint(server, p.server_video_port);
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
        const size_t into = p.decode_room >= 0 ? static_cast<size_t>(p.decode_room) : r;
        if (into >= rooms.size()) return InvalidArgumentError(p.name + ": no room to decode for");
        CompositeReceiverConfig c;
        c.codec = p.composite_codec;
        c.payload_type = p.composite_payload_type;
        c.fps = p.composite_fps;
        c.local_ssrc = static_cast<uint32_t>(rng());
        auto viewer = CompositeReceiver::Create(
            c, plan.rooms[into].layout, SystemClock(),
            boost::asio::make_strand(pool.get_executor()), [this, into](DecodedComposite d) {
              boost::asio::post(
                  io, [this, into, d = std::move(d)]() mutable { OnDecoded(into, std::move(d)); });
            });
        if (!viewer.ok()) return viewer.status();
        l->viewer = std::move(*viewer);
        rooms[into]->viewer = l.get();
      }
      if (p.has_audio) {
        auto s = open(p.receive_audio_port, "audio");
        if (!s.ok()) return s.status();
        l->audio_socket = std::move(*s);
        l->server_audio = net::Endpoint(server, p.server_audio_port);
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
      RoomState& room = *rooms[l.room];
      room.matcher->OnSent(static_cast<size_t>(l.plan->tile), frame.clip_index, sent);
      for (RoomState* m : room.mirrors) {
        m->matcher->OnSent(static_cast<size_t>(l.plan->tile), frame.clip_index, sent);
      }
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
  for (size_t i = 0; i < m.latencies_us.size(); ++i) {
    room.latency.Add(m.latencies_us[i]);
    if (m.participants[i] < room.group_of_tile.size()) {
      room.group_latency[room.group_of_tile[m.participants[i]]].Add(m.latencies_us[i]);
    }
  }
  if (d.arrival_us < send_end_us) ++room.composites;
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