#include "app/room_host.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tessera::app {
namespace {

constexpr auto kTick = std::chrono::milliseconds(20);

session::AudioRoomConfig RoomConfigFor(const RoomConfig& c) {
  session::AudioRoomConfig rc;
  rc.name = c.name;
  rc.mixer.max_speakers = c.max_speakers;
  return rc;
}

// BT.601 limited range, as the encoders signal.
mixer::YuvColor RgbToYuv(uint32_t rgb) {
  const double r = (rgb >> 16) & 0xFF, g = (rgb >> 8) & 0xFF, b = rgb & 0xFF;
  const auto clamp = [](double v) { return static_cast<uint8_t>(std::clamp(v + 0.5, 0.0, 255.0)); };
  return {clamp(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255),
          clamp(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255),
          clamp(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255)};
}

session::VideoRoomConfig VideoRoomConfigFor(const RoomConfig& rc) {
  const RoomVideoConfig& v = *rc.video;
  session::VideoRoomConfig c;
  c.name = rc.name;
  for (const auto& p : v.profiles) {
    session::VideoProfile vp;
    vp.name = p.name;
    vp.codec = p.codec;
    vp.width = p.width;
    vp.height = p.height;
    vp.fps = p.fps;
    vp.bitrate_bps = p.bitrate_kbps * 1000;
    vp.keyframe_interval_s = p.keyframe_interval_s;
    vp.single_nal = p.single_nal;
    c.profiles.push_back(vp);
  }
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

RoomHost::RoomHost(const RoomConfig& config, boost::asio::io_context& media, Clock& clock)
    : config_(config),
      media_(media),
      clock_(clock),
      room_(RoomConfigFor(config), clock),
      timer_(media) {}

RoomHost::~RoomHost() = default;

Status RoomHost::InitVideo(boost::asio::io_context& video_media, codec::HwSelection hardware) {
  if (!config_.video) return Status::Ok();
  hardware_ = std::move(hardware);
  const std::string fallbacks = codec::FormatFallbacks(hardware_.fallbacks);
  spdlog::info("room {}: video backend {}{}{}", config_.name,
               codec::HwBackendName(hardware_.backend),
               hardware_.device ? " on " + hardware_.device->description() : std::string(),
               fallbacks.empty() ? std::string() : " (fallbacks: " + fallbacks + ")");
  session::VideoRoomConfig room_config = VideoRoomConfigFor(config_);
  room_config.hw_device = hardware_.device;
  auto room = session::VideoRoom::Create(std::move(room_config), clock_);
  if (!room.ok()) {
    return Status(room.status().code(), "room " + config_.name + ": " + room.status().message());
  }
  video_room_ = std::move(*room);
  TESSERA_RETURN_IF_ERROR(video_room_->SetLayout(config_.video->layout));
  video_media_ = &video_media;
  video_timer_ = std::make_unique<boost::asio::steady_timer>(video_media);
  video_tick_ = std::chrono::microseconds(video_room_->tick_interval_us());
  const RoomVideoConfig& v = *config_.video;
  if (!v.record.empty()) {
    size_t index = 0;
    for (size_t i = 0; i < v.profiles.size(); ++i) {
      if (v.profiles[i].name == v.record_profile) index = i;
    }
    auto recorder = codec::FrameRecorder::Create(v.record, v.profiles[index].codec);
    if (!recorder.ok()) {
      return Status(recorder.status().code(),
                    "room " + config_.name + ": recording: " + recorder.status().message());
    }
    recorder_ = std::move(*recorder);
    record_profile_ = index;
    // The recorder is a recipient of its profile like any other: one encode serves both.
    TESSERA_RETURN_IF_ERROR(video_room_->AddRecipient(0xFFFFFFFF, v.profiles[index].name, false));
  }
  return Status::Ok();
}

rtp::Codec RoomHost::ReceiveCodecFor(const RoomParticipantConfig& pc) const {
  const auto& profiles = config_.video->profiles;
  for (const auto& p : profiles) {
    if (pc.video && p.name == pc.video->profile) return p.codec;
  }
  return profiles.front().codec;
}

VideoLeg::RoomHooks RoomHost::HooksForVideoLegs() {
  VideoLeg::RoomHooks hooks;
  hooks.keyframe_request = [this](uint32_t id) {
    boost::asio::post(*video_media_, [this, id] {
      if (!video_stopped_) video_room_->RequestKeyframe(id);
    });
  };
  hooks.feedback = [this](uint32_t id, std::optional<int64_t> bps, std::optional<double> loss) {
    boost::asio::post(*video_media_, [this, id, bps, loss] {
      if (!video_stopped_) video_room_->OnReceiverFeedback(id, bps, loss, clock_.NowUs());
    });
  };
  return hooks;
}

AudioLeg::RoomSink RoomHost::SinkForLegs() {
  return [this](ReceivedAudio a) {
    // Crosses from the leg's shard to the room's executor with the packet moved.
    boost::asio::post(media_, [this, a = std::move(a)]() mutable {
      room_.OnRtp(a.participant_id, a.seq, a.rtp_timestamp, std::move(a.payload), a.audio_level,
                  a.arrival_us);
    });
  };
}

void RoomHost::Start() {
  for (auto& leg : legs_) {
    AudioLeg* l = leg.get();
    boost::asio::post(l->shard(), [l] { l->Start(); });
  }
  boost::asio::post(media_, [this] {
    next_tick_ = std::chrono::steady_clock::now() + kTick;
    ScheduleTick();
  });
  if (!video_room_) return;
  for (auto& leg : video_legs_) {
    VideoLeg* l = leg.get();
    boost::asio::post(l->shard(), [l] { l->Start(); });
  }
  boost::asio::post(*video_media_, [this] {
    next_video_tick_ = std::chrono::steady_clock::now() + video_tick_;
    ScheduleVideoTick();
  });
}

void RoomHost::ScheduleVideoTick() {
  video_timer_->expires_at(next_video_tick_);
  video_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || video_stopped_) return;
    OnVideoTick();
  });
}

void RoomHost::OnVideoTick() {
  TESSERA_DCHECK_RUN_ON(video_checker_);
  const auto start = std::chrono::steady_clock::now();
  const auto late = std::chrono::duration_cast<std::chrono::microseconds>(start - next_video_tick_);
  video_lateness_.Add(late.count());
  if (late > video_tick_ / 4) ++video_late_ticks_;
  session::VideoTick tick = video_room_->Tick(clock_.NowUs());
  for (auto& out : tick.outputs) {
    for (uint32_t id : out.recipients) {
      if (id == 0xFFFFFFFF) {
        Record(*out.frame);
        continue;
      }
      const auto it = video_leg_by_id_.find(id);
      if (it == video_leg_by_id_.end()) continue;
      VideoLeg* leg = it->second;
      boost::asio::post(leg->shard(), [leg, frame = out.frame] { leg->SendVideo(frame); });
    }
  }
  const auto end = std::chrono::steady_clock::now();
  video_tick_cost_.Add(std::chrono::duration_cast<std::chrono::microseconds>(end - start).count());
  next_video_tick_ += video_tick_;
  // An overrunning tick skips the ticks it missed (counted) instead of bursting to catch up.
  while (end >= next_video_tick_ + video_tick_) {
    next_video_tick_ += video_tick_;
    ++video_skipped_ticks_;
  }
  ScheduleVideoTick();
}

void RoomHost::Record(const session::EncodedVideo& frame) {
  if (!recorder_) return;
  rtp::EncodedFrame f;
  f.data = frame.bitstream;
  f.codec = frame.codec;
  f.rtp_timestamp = frame.rtp_timestamp;
  f.keyframe = frame.keyframe;
  const auto& profile = config_.video->profiles[frame.profile];
  f.width = static_cast<uint16_t>(profile.width);
  f.height = static_cast<uint16_t>(profile.height);
  Status s = recorder_->Write(f);
  if (!s.ok() && record_errors_++ == 0) {
    spdlog::error("room {}: recording {}: {}", config_.name, config_.video->record, s.ToString());
  }
}

void RoomHost::StopVideoTicks() {
  video_stopped_ = true;
  if (video_timer_) video_timer_->cancel();
  if (recorder_) {
    Status s = recorder_->Close();
    if (!s.ok()) spdlog::error("room {}: closing the recording: {}", config_.name, s.ToString());
  }
}

std::string RoomHost::VideoSummaryJson(const LatencyHistogram* legs_latency) const {
  const auto& s = video_room_->stats();
  std::ostringstream os;
  os << "{\"room\":\"" << config_.name << "\",\"media\":\"video\",\"layout\":\""
     << video_room_->layout_name() << "\",\"ticks\":" << s.ticks
     << ",\"skipped_ticks\":" << video_skipped_ticks_ << ",\"late_ticks\":" << video_late_ticks_
     << ",\"tick_lateness_p99_ms\":" << video_lateness_.PercentileMs(0.99)
     << ",\"tick_cost_p50_ms\":" << video_tick_cost_.PercentileMs(0.5)
     << ",\"tick_cost_p99_ms\":" << video_tick_cost_.PercentileMs(0.99)
     << ",\"composes\":" << s.composes << ",\"layout_changes\":" << s.layout_changes
     << ",\"keyframe_requests\":" << s.keyframe_requests
     << ",\"keyframes_coalesced\":" << s.keyframes_coalesced
     << ",\"profile_moves\":" << s.profile_moves
     << ",\"max_encodes_per_tick\":" << s.max_tick_encodes << ",\"profiles\":{";
  LatencyHistogram latency;
  if (legs_latency) {
    latency.Merge(*legs_latency);
  } else {
    for (const auto& leg : video_legs_) latency.Merge(leg->latency());
  }
  for (size_t i = 0; i < s.profiles.size(); ++i) {
    const auto& p = s.profiles[i];
    os << (i ? "," : "") << '"' << video_room_->config().profiles[i].name
       << "\":{\"encodes\":" << p.encodes << ",\"keyframes\":" << p.keyframes
       << ",\"encode_failures\":" << p.encode_failures << ",\"bytes\":" << p.bytes
       << ",\"recipients\":" << p.recipients << "}";
  }
  os << "}";
  if (latency.count()) {
    os << ",\"latency_ms\":{\"samples\":" << latency.count()
       << ",\"p50\":" << latency.PercentileMs(0.5) << ",\"p99\":" << latency.PercentileMs(0.99)
       << "}";
  }
  if (recorder_) {
    os << ",\"recorded_frames\":" << recorder_->frames_written()
       << ",\"record_errors\":" << record_errors_;
  }
  os << ",\"hardware\":" << HardwareJson();
  os << "}";
  return os.str();
}

std::shared_ptr<codec::HwDevice> RoomHost::decode_device() const {
  return video_room_ && video_room_->stats().gpu ? hardware_.device : nullptr;
}

std::string RoomHost::HardwareJson() const {
  nlohmann::json fallbacks = nlohmann::json::array();
  for (const auto& f : hardware_.fallbacks) {
    fallbacks.push_back({{"backend", codec::HwBackendName(f.backend)}, {"reason", f.reason}});
  }
  nlohmann::json j = {
      {"backend", codec::HwBackendName(hardware_.backend)},
      {"device", hardware_.device ? hardware_.device->description() : std::string()},
      {"fallbacks", fallbacks}};
  if (video_room_) {
    // What the room's pipeline does on that backend (the GPU pipeline, or why the CPU).
    const session::VideoRoomStats& s = video_room_->stats();
    j["gpu_pipeline"] = s.gpu;
    if (!s.backend_note.empty()) j["pipeline"] = s.backend_note;
    if (s.gpu) {
      j["gpu_composes"] = s.gpu_composes;
      j["gpu_failures"] = s.gpu_failures;
      j["uploads"] = s.uploads;
      j["downloads"] = s.downloads;
    }
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void RoomHost::ScheduleTick() {
  // Deadlines are start + n * 20 ms, never "now + 20 ms": the tick does not drift.
  timer_.expires_at(next_tick_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    OnTick();
  });
}

void RoomHost::OnTick() {
  TESSERA_DCHECK_RUN_ON(checker_);
  const auto now = std::chrono::steady_clock::now();
  if (now - next_tick_ > std::chrono::milliseconds(5)) ++late_ticks_;
  lateness_.Add(std::chrono::duration_cast<std::chrono::microseconds>(now - next_tick_).count());
  session::AudioTick tick = room_.Tick(clock_.NowUs());
  for (auto& out : tick.outputs) {
    const auto it = leg_by_id_.find(out.participant_id);
    if (it == leg_by_id_.end()) continue;
    AudioLeg* leg = it->second;
    boost::asio::post(leg->shard(), [leg, payload = out.payload, ts = out.rtp_timestamp] {
      leg->SendAudio(payload, ts);
    });
  }
  if (tick.dominant_speaker_changed) {
    const uint32_t id = *tick.dominant_speaker_changed;
    if (video_room_) {
      boost::asio::post(*video_media_, [this, id] {
        if (!video_stopped_) video_room_->SetActiveSpeaker(id);
      });
    }
    const auto it = leg_by_id_.find(id);
    spdlog::info("room {}: dominant speaker is now {}", config_.name,
                 it != leg_by_id_.end() ? it->second->config().name : std::to_string(id));
  }
  next_tick_ += kTick;
  // An overrun that missed whole ticks skips them (counted) instead of bursting to catch up.
  while (std::chrono::steady_clock::now() >= next_tick_ + kTick) {
    next_tick_ += kTick;
    ++skipped_ticks_;
  }
  ScheduleTick();
}

void RoomHost::StopTicks() {
  stopped_ = true;
  timer_.cancel();
}

std::string RoomHost::SummaryJson() const {
  const auto& s = room_.stats();
  std::ostringstream os;
  os << "{\"room\":\"" << config_.name << "\",\"participants\":" << room_.participant_count()
     << ",\"ticks\":" << s.ticks << ",\"skipped_ticks\":" << skipped_ticks_
     << ",\"late_ticks\":" << late_ticks_
     << ",\"tick_lateness_p50_ms\":" << lateness_.PercentileMs(0.50)
     << ",\"tick_lateness_p99_ms\":" << lateness_.PercentileMs(0.99) << ",\"encodes\":" << s.encodes
     << ",\"max_encodes_per_tick\":" << s.max_tick_encodes << ",\"concealed\":" << s.concealed
     << ",\"decode_errors\":" << s.decode_errors << ",\"jitter\":{";
  bool first = true;
  for (const auto& [id, j] : room_.JitterStats()) {
    const auto it = leg_by_id_.find(id);
    os << (first ? "" : ",") << '"'
       << (it != leg_by_id_.end() ? it->second->config().name : std::to_string(id))
       << "\":{\"played\":" << j.frames_played << ",\"concealed\":" << j.concealed
       << ",\"late\":" << j.late_dropped << ",\"drift_dropped\":" << j.drift_dropped
       << ",\"drift_inserted\":" << j.drift_inserted << ",\"target_ms\":" << j.target_us / 1000
       << ",\"level_ms\":" << j.level_us / 1000 << "}";
    first = false;
  }
  os << "}}";
  return os.str();
}

}  // namespace tessera::app
