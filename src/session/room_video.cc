#include "session/room_video.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

namespace tessera::session {
namespace {

// BT.601 limited range, as the encoders signal.
mixer::YuvColor RgbToYuv(uint32_t rgb) {
  const double r = (rgb >> 16) & 0xFF, g = (rgb >> 8) & 0xFF, b = rgb & 0xFF;
  const auto clamp = [](double v) { return static_cast<uint8_t>(std::clamp(v + 0.5, 0.0, 255.0)); };
  return {clamp(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255),
          clamp(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255),
          clamp(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255)};
}

VideoRoomConfig VideoRoomConfigFor(const RoomConfig& rc) {
  const RoomVideoConfig& v = *rc.video;
  VideoRoomConfig c;
  c.name = rc.name;
  c.profiles = v.profiles;
  c.layout.fit = v.fit;
  c.layout.border_px = v.border_px;
  c.custom_layouts = v.layouts;
  c.compose.background = RgbToYuv(v.background_rgb);
  c.compose.border_px = v.border_px;
  c.compose.highlight_px = v.highlight_speaker ? 4 : 0;
  c.compose.threads = static_cast<int>(v.compose_threads);
  c.name_labels = v.name_labels;
  c.font_path = v.font;
  c.keyframe_coalesce_us = int64_t{v.keyframe_coalesce_ms} * 1000;
  c.placeholder_after_us = int64_t{v.placeholder_after_ms} * 1000;
  return c;
}

}  // namespace

RoomVideo::RoomVideo(const RoomConfig& config, boost::asio::io_context& video_media,
                     codec::HwSelection hardware, Clock& clock)
    : config_(config),
      video_media_(video_media),
      clock_(clock),
      hardware_(std::move(hardware)),
      timer_(video_media) {
  const Labels labels{{"room", config.name}, {"kind", "video"}};
  tick_seconds_ = &series_.Get(kTickDurationFamily, labels);
  lateness_seconds_ = &series_.Get(kTickLatenessFamily, labels);
  decode_seconds_ = &series_.Get(kDecodeDurationFamily, {{"room", config.name}});
}

StatusOr<std::unique_ptr<RoomVideo>> RoomVideo::Create(const RoomConfig& config,
                                                       boost::asio::io_context& video_media,
                                                       codec::HwSelection hardware, Clock& clock) {
  std::unique_ptr<RoomVideo> v(new RoomVideo(config, video_media, std::move(hardware), clock));
  const codec::HwSelection& hw = v->hardware_;
  const std::string fallbacks = codec::FormatFallbacks(hw.fallbacks);
  spdlog::info("room {}: video backend {}{}{}", config.name, codec::HwBackendName(hw.backend),
               hw.device ? " on " + hw.device->description() : std::string(),
               fallbacks.empty() ? std::string() : " (fallbacks: " + fallbacks + ")");
  VideoRoomConfig room_config = VideoRoomConfigFor(config);
  room_config.hw_device = hw.device;
  auto room = VideoRoom::Create(std::move(room_config), clock);
  if (!room.ok()) {
    return Status(room.status().code(), "room " + config.name + ": " + room.status().message());
  }
  v->room_ = std::move(*room);
  TESSERA_RETURN_IF_ERROR(v->room_->SetLayout(config.video->layout));
  v->tick_ = std::chrono::microseconds(v->room_->tick_interval_us());
  auto recorder = RoomRecorder::Create(config);
  if (!recorder.ok()) return recorder.status();
  v->recorder_ = std::move(*recorder);
  if (v->recorder_) TESSERA_RETURN_IF_ERROR(v->room_->AddRecorder(v->recorder_->profile()));
  return v;
}

VideoLeg::RoomHooks RoomVideo::HooksForLegs() {
  VideoLeg::RoomHooks hooks;
  hooks.keyframe_request = [this](uint32_t id) {
    boost::asio::post(video_media_, [this, id] {
      if (stopped_) return;
      if (forwarded_.count(id)) return AskUpstreamKeyframe(/*urgent=*/false);
      room_->RequestKeyframe(id);
    });
  };
  hooks.ready_to_receive = [this](uint32_t id) {
    boost::asio::post(video_media_, [this, id] {
      if (stopped_) return;
      if (forwarded_.count(id)) return AskUpstreamKeyframe(/*urgent=*/true);
      room_->RequestKeyframe(id, /*urgent=*/true);
    });
  };
  hooks.forward = [this](uint32_t, rtp::EncodedFrame frame, uint64_t stream) {
    boost::asio::post(video_media_, [this, f = std::move(frame), stream] {
      if (!stopped_) OnForwarded(f, stream);
    });
  };
  hooks.feedback = [this](uint32_t id, std::optional<int64_t> bps, std::optional<double> loss) {
    boost::asio::post(video_media_, [this, id, bps, loss] {
      if (!stopped_) room_->OnReceiverFeedback(id, bps, loss, clock_.NowUs());
    });
  };
  return hooks;
}

void RoomVideo::PostSpeaker(uint32_t id) {
  boost::asio::post(video_media_, [this, id] {
    if (!stopped_) room_->SetActiveSpeaker(id);
  });
}

void RoomVideo::Start() {
  boost::asio::post(video_media_, [this] {
    grid_start_ = std::chrono::steady_clock::now() + tick_;
    slot_ = 0;
    next_tick_ = grid_start_;
    ScheduleTick();
  });
}

std::chrono::steady_clock::time_point RoomVideo::SlotTime(int64_t slot) const {
  return grid_start_ + std::chrono::microseconds(room_->SlotOffsetUs(slot));
}

void RoomVideo::ScheduleTick() {
  timer_.expires_at(next_tick_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    OnTick();
  });
}

void RoomVideo::OnTick() {
  TESSERA_DCHECK_RUN_ON(checker_);
  const auto start = std::chrono::steady_clock::now();
  const auto late = std::chrono::duration_cast<std::chrono::microseconds>(start - next_tick_);
  lateness_.Add(late.count());
  lateness_seconds_->Observe(std::max(0.0, std::chrono::duration<double>(late).count()));
  if (late > tick_ / 4) ++late_ticks_;
  // The slot, not the moment: a late tick's frames keep their slot's timestamps.
  VideoTick tick = room_->Tick(clock_.NowUs(), slot_);
  if (room_->stats().layout_changes != layouts_seen_) {
    // The tiles moved: simulcast publishers decode the layer that fills theirs.
    layouts_seen_ = room_->stats().layout_changes;
    for (const auto& [id, size] : room_->TileSizes()) {
      const auto it = leg_by_id_.find(id);
      if (it == leg_by_id_.end() || !it->second->simulcast()) continue;
      VideoLeg* leg = it->second;
      boost::asio::post(leg->shard(),
                        [leg, w = size.first, h = size.second] { leg->SetTileSize(w, h); });
    }
  }
  for (auto& out : tick.outputs) {
    if (out.record && recorder_) recorder_->Write(*out.frame);
    for (uint32_t id : out.recipients) {
      const auto it = leg_by_id_.find(id);
      if (it == leg_by_id_.end()) continue;
      VideoLeg* leg = it->second;
      boost::asio::post(leg->shard(), [leg, frame = out.frame] { leg->SendVideo(frame); });
    }
  }
  const auto end = std::chrono::steady_clock::now();
  tick_cost_.Add(std::chrono::duration_cast<std::chrono::microseconds>(end - start).count());
  tick_seconds_->Observe(std::chrono::duration<double>(end - start).count());
  // An overrunning tick skips the slots it missed (counted) instead of bursting to catch up;
  // the slots keep their places on the grid.
  ++slot_;
  while (end >= SlotTime(slot_ + 1)) {
    ++slot_;
    ++skipped_ticks_;
  }
  next_tick_ = SlotTime(slot_);
  ScheduleTick();
}

void RoomVideo::StopTicks() {
  stopped_ = true;
  timer_.cancel();
  if (recorder_) recorder_->Close();
}

Status RoomVideo::Attach(uint32_t id, const RoomParticipantConfig& pc, bool admitted,
                         std::shared_ptr<mixer::FrameMailbox> mailbox, VideoLeg* leg) {
  if (leg) leg->SetDecodeHistogram(decode_seconds_);
  if (!admitted) {
    pending_[id] = Pending{pc, std::move(mailbox), leg};
    return Status::Ok();
  }
  if (pc.cascade == CascadeRole::kUplink) {
    // A share's uplink: no tile (its picture is the primary's composite, forwarded), the one
    // recipient of the share's sub-canvas.
    if (leg && leg->receives()) {
      TESSERA_RETURN_IF_ERROR(
          room_->AddRecipient(id, config_.video->profiles.front().name, /*adapt=*/false));
    }
    uplink_ = id;
    if (leg) leg_by_id_[id] = leg;
    ids_[pc.name] = id;
    // The share's participants have waited for the primary's picture.
    if (!forwarded_.empty()) AskUpstreamKeyframe(/*urgent=*/true);
    return Status::Ok();
  }
  // Everyone but a receive-only viewer has a tile: a placeholder with the name until (or
  // unless) pictures arrive.
  const bool tile = mailbox != nullptr || (pc.has_audio && !pc.receive_only);
  if (tile) {
    VideoParticipantInfo info;
    info.id = id;
    info.name = pc.name;
    info.role = pc.video ? pc.video->role : std::string();
    TESSERA_RETURN_IF_ERROR(room_->AddParticipant(info, std::move(mailbox)));
    // A cascade link shows its share's cells, never a tile of its own (none until the share
    // says what its sub-canvas holds).
    if (pc.cascade == CascadeRole::kLink) {
      TESSERA_RETURN_IF_ERROR(room_->SetCells(id, CascadeLayout{}));
    }
  }
  if (leg && leg->receives() && config_.share) {
    // A share's participant receives the primary's composite, not the share's sub-canvas.
    forwarded_[id] = false;
    AskUpstreamKeyframe(/*urgent=*/true);
  } else if (leg && leg->receives()) {
    const auto& v = *pc.video;
    const std::string profile =
        v.profile.empty() ? config_.video->profiles.front().name : v.profile;
    // The recorder's participant never adapts (a recording keeps its profile) and gets the
    // recorded variant while someone is left out.
    const Status s = pc.recorder ? room_->AddRecordedRecipient(id, profile)
                                 : room_->AddRecipient(id, profile, v.adapt);
    if (!s.ok()) {
      room_->RemoveParticipant(id);
      return s;
    }
  }
  if (leg) leg_by_id_[id] = leg;
  ids_[pc.name] = id;
  return Status::Ok();
}

void RoomVideo::SetExcluded(std::vector<uint32_t> excluded) {
  room_->SetExcluded(std::move(excluded));
}

Status RoomVideo::Admit(uint32_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return Status::Ok();
  Pending p = std::move(it->second);
  pending_.erase(it);
  return Attach(id, p.pc, /*admitted=*/true, std::move(p.mailbox), p.leg);
}

void RoomVideo::RequestKeyframe(uint32_t id) { room_->RequestKeyframe(id); }

void RoomVideo::Detach(uint32_t id) {
  pending_.erase(id);
  forwarded_.erase(id);
  if (uplink_ == id) uplink_.reset();
  room_->RemoveRecipient(id);
  room_->RemoveParticipant(id);
  leg_by_id_.erase(id);
  std::erase_if(ids_, [id](const auto& entry) { return entry.second == id; });
}

Status RoomVideo::SetCells(uint32_t link, const CascadeLayout& layout) {
  return room_->SetCells(link, layout);
}

CascadeLayout RoomVideo::CanvasCells() const { return room_->CanvasCells(); }

void RoomVideo::AskUpstreamKeyframe(bool urgent) {
  if (!uplink_) return;
  const auto it = leg_by_id_.find(*uplink_);
  if (it == leg_by_id_.end()) return;
  const int64_t now = clock_.NowUs();
  if (!urgent && upstream_keyframe_us_ &&
      now - *upstream_keyframe_us_ < int64_t{config_.video->keyframe_coalesce_ms} * 1000) {
    return;
  }
  upstream_keyframe_us_ = now;
  VideoLeg* leg = it->second;
  boost::asio::post(leg->shard(), [leg] { leg->AskForKeyframe(); });
}

void RoomVideo::OnForwarded(const rtp::EncodedFrame& frame, uint64_t stream) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (forwarded_.empty() || frame.data.empty()) return;
  if (!forward_packetizer_ || forward_codec_ != frame.codec) {
    forward_packetizer_ = rtp::CreatePacketizer(frame.codec, room_->config().packetizer);
    forward_codec_ = frame.codec;
  }
  auto out = std::make_shared<EncodedVideo>();
  // The senders' source: a restarted upstream (another SSRC, another timestamp base) is a new
  // source, which they re-base continuously as they do a profile move.
  out->profile = static_cast<size_t>(stream);
  out->codec = frame.codec;
  out->rtp_timestamp = frame.rtp_timestamp;
  out->keyframe = frame.keyframe;
  out->input_time_us = frame.receive_time_us;
  out->payloads = forward_packetizer_->Packetize(frame.data, frame.keyframe);
  if (out->payloads.empty()) return;
  ++forwarded_frames_;
  std::shared_ptr<const EncodedVideo> shared = std::move(out);
  bool waiting = false;
  for (auto& [id, started] : forwarded_) {
    if (!started && !frame.keyframe) {
      waiting = true;
      continue;
    }
    started = true;
    const auto it = leg_by_id_.find(id);
    if (it == leg_by_id_.end()) continue;
    VideoLeg* leg = it->second;
    boost::asio::post(leg->shard(), [leg, shared] { leg->SendVideo(shared); });
  }
  if (waiting) AskUpstreamKeyframe(/*urgent=*/false);
}

std::optional<uint32_t> RoomVideo::IdOf(const std::string& participant) const {
  const auto it = ids_.find(participant);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

Status RoomVideo::SetLayout(const std::string& layout) {
  TESSERA_RETURN_IF_ERROR(room_->SetLayout(layout));
  spdlog::info("room {}: layout is now {}", config_.name, layout);
  return Status::Ok();
}

Status RoomVideo::SetPinned(const std::string& participant, bool pinned) {
  const auto id = IdOf(participant);
  if (!id) return NotFoundError("room " + config_.name + " has no participant " + participant);
  return room_->SetPinned(*id, pinned);
}

Status RoomVideo::SetPinned(uint32_t id, bool pinned) { return room_->SetPinned(id, pinned); }

Status RoomVideo::SetRole(uint32_t id, const std::string& role) {
  TESSERA_RETURN_IF_ERROR(room_->SetRole(id, role));
  spdlog::info("room {}: participant {} has role '{}'", config_.name, id, role);
  return Status::Ok();
}

Status RoomVideo::SetSpeaker(const std::string& participant) {
  const auto id = IdOf(participant);
  if (!id) return NotFoundError("room " + config_.name + " has no participant " + participant);
  if (!room_->has_participant(*id)) {
    return FailedPreconditionError(participant + " has no tile in room " + config_.name +
                                   " (a receive-only viewer)");
  }
  room_->SetActiveSpeaker(*id);
  return Status::Ok();
}

std::string RoomVideo::SummaryJson(const LatencyHistogram* legs_latency) const {
  const auto& s = room_->stats();
  nlohmann::ordered_json j = {{"room", config_.name},
                              {"media", "video"},
                              {"layout", room_->layout_name()},
                              {"ticks", s.ticks},
                              {"skipped_ticks", skipped_ticks_},
                              {"late_ticks", late_ticks_},
                              {"tick_lateness_p99_ms", lateness_.PercentileMs(0.99)},
                              {"tick_cost_p50_ms", tick_cost_.PercentileMs(0.5)},
                              {"tick_cost_p99_ms", tick_cost_.PercentileMs(0.99)},
                              {"composes", s.composes},
                              {"layout_changes", s.layout_changes},
                              {"keyframe_requests", s.keyframe_requests},
                              {"keyframes_coalesced", s.keyframes_coalesced},
                              {"profile_moves", s.profile_moves},
                              {"max_encodes_per_tick", s.max_tick_encodes},
                              {"input_hold_ms", room_->input_hold_us() / 1000.0}};
  nlohmann::ordered_json profiles = nlohmann::ordered_json::object();
  for (size_t i = 0; i < s.profiles.size(); ++i) {
    const auto& p = s.profiles[i];
    profiles[room_->config().profiles[i].name] = {{"encodes", p.encodes},
                                                  {"keyframes", p.keyframes},
                                                  {"encode_failures", p.encode_failures},
                                                  {"bytes", p.bytes},
                                                  {"recipients", p.recipients}};
  }
  j["profiles"] = std::move(profiles);
  // The recorded variant's extra work (the "exclude" consent policy), once it had any.
  if (s.recorded_composes > 0) {
    j["recorded_variant"] = {{"composes", s.recorded_composes},
                             {"encodes", s.recorded.encodes},
                             {"keyframes", s.recorded.keyframes},
                             {"bytes", s.recorded.bytes}};
  }
  LatencyHistogram latency;
  if (legs_latency) {
    latency.Merge(*legs_latency);
  } else {
    for (const auto& [id, leg] : leg_by_id_) latency.Merge(leg->latency());
  }
  if (latency.count()) {
    j["latency_ms"] = {{"samples", latency.count()},
                       {"p50", latency.PercentileMs(0.5)},
                       {"p99", latency.PercentileMs(0.99)}};
  }
  if (recorder_) recorder_->AddStats(j);
  j["hardware"] = HardwareJson();
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::shared_ptr<codec::HwDevice> RoomVideo::decode_device() const {
  return room_->stats().gpu ? hardware_.device : nullptr;
}

nlohmann::ordered_json RoomVideo::HardwareJson() const {
  nlohmann::ordered_json fallbacks = nlohmann::ordered_json::array();
  for (const auto& f : hardware_.fallbacks) {
    fallbacks.push_back({{"backend", codec::HwBackendName(f.backend)}, {"reason", f.reason}});
  }
  nlohmann::ordered_json j = {
      {"backend", codec::HwBackendName(hardware_.backend)},
      {"device", hardware_.device ? hardware_.device->description() : std::string()},
      {"fallbacks", fallbacks}};
  // What the room's pipeline does on that backend (the GPU pipeline, or why the CPU).
  const VideoRoomStats& s = room_->stats();
  j["gpu_pipeline"] = s.gpu;
  if (!s.backend_note.empty()) j["pipeline"] = s.backend_note;
  if (s.gpu) {
    j["gpu_composes"] = s.gpu_composes;
    j["gpu_failures"] = s.gpu_failures;
    j["uploads"] = s.uploads;
    j["downloads"] = s.downloads;
  }
  return j;
}

}  // namespace tessera::session
