#include "session/room_audio.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <string_view>

namespace tessera::session {
namespace {

constexpr auto kTick = std::chrono::milliseconds(20);

AudioRoomConfig AudioRoomConfigFor(const RoomConfig& c) {
  AudioRoomConfig rc;
  rc.name = c.name;
  rc.mixer.max_speakers = c.max_speakers;
  rc.jitter.min_target_us = int64_t{c.audio_jitter_min_ms} * 1000;
  rc.jitter.max_target_us = int64_t{c.audio_jitter_max_ms} * 1000;
  return rc;
}

}  // namespace

RoomAudio::RoomAudio(const RoomConfig& config, boost::asio::io_context& media, Clock& clock)
    : name_(config.name),
      media_(media),
      clock_(clock),
      room_(AudioRoomConfigFor(config), clock),
      timer_(media) {
  const Labels labels{{"room", name_}, {"kind", "audio"}};
  tick_seconds_ = &series_.Get(kTickDurationFamily, labels);
  lateness_seconds_ = &series_.Get(kTickLatenessFamily, labels);
}

AudioLeg::RoomSink RoomAudio::SinkForLegs() {
  return [this](ReceivedAudio a) {
    // Crosses from the leg's shard to the room's executor with the packet moved.
    boost::asio::post(media_, [this, a = std::move(a)]() mutable {
      if (a.new_stream) room_.RestartStream(a.participant_id);
      room_.OnRtp(a.participant_id, a.seq, a.rtp_timestamp, std::move(a.payload), a.audio_level,
                  a.arrival_us);
    });
  };
}

void RoomAudio::Start() {
  boost::asio::post(media_, [this] {
    next_tick_ = std::chrono::steady_clock::now() + kTick;
    ScheduleTick();
  });
}

void RoomAudio::ScheduleTick() {
  // Deadlines are start + n * 20 ms, never "now + 20 ms": the tick does not drift.
  timer_.expires_at(next_tick_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    OnTick();
  });
}

void RoomAudio::OnTick() {
  TESSERA_DCHECK_RUN_ON(checker_);
  const auto now = std::chrono::steady_clock::now();
  if (now - next_tick_ > std::chrono::milliseconds(5)) ++late_ticks_;
  lateness_.Add(std::chrono::duration_cast<std::chrono::microseconds>(now - next_tick_).count());
  lateness_seconds_->Observe(
      std::max(0.0, std::chrono::duration<double>(now - next_tick_).count()));
  AudioTick tick = room_.Tick(clock_.NowUs());
  for (auto& out : tick.outputs) {
    const auto it = leg_by_id_.find(out.participant_id);
    if (it == leg_by_id_.end()) continue;
    AudioLeg* leg = it->second;
    boost::asio::post(leg->shard(),
                      [leg, payload = out.payload, ts = out.rtp_timestamp,
                       input_us = out.input_time_us] { leg->SendAudio(payload, ts, input_us); });
  }
  if (tick.dominant_speaker_changed) {
    const uint32_t id = *tick.dominant_speaker_changed;
    if (speaker_sink_) speaker_sink_(id);
    spdlog::info("room {}: dominant speaker is now {}", name_, NameOf(id));
  }
  tick_seconds_->Observe(SecondsSince(now));
  next_tick_ += kTick;
  // An overrun that missed whole ticks skips them (counted) instead of bursting to catch up.
  while (std::chrono::steady_clock::now() >= next_tick_ + kTick) {
    next_tick_ += kTick;
    ++skipped_ticks_;
  }
  ScheduleTick();
}

void RoomAudio::StopTicks() {
  stopped_ = true;
  timer_.cancel();
}

Status RoomAudio::Attach(AudioLeg* leg, bool admitted) {
  AudioParticipantConfig pc;
  pc.id = leg->id();
  pc.name = leg->config().name;
  pc.codec = leg->config().audio_codec;
  pc.channels = leg->config().audio_channels;
  pc.g722_pcm = leg->config().audio_g722_pcm;
  // A receive-only participant is never heard: it is not asked for consent to being recorded.
  pc.muted = leg->config().muted || leg->config().receive_only || !admitted;
  pc.deaf = leg->config().deaf || !admitted;
  TESSERA_RETURN_IF_ERROR(room_.AddParticipant(pc));
  leg_by_id_[pc.id] = leg;
  const bool linked = !leg->config().own_voice.empty() ||
                      std::any_of(leg_by_id_.begin(), leg_by_id_.end(), [&](const auto& e) {
                        return e.second->config().own_voice == pc.name;
                      });
  if (leg->config().recorder || linked) RefreshNotHeard();
  return Status::Ok();
}

void RoomAudio::SetExcluded(std::vector<uint32_t> excluded) {
  excluded_ = std::move(excluded);
  RefreshNotHeard();
}

void RoomAudio::RefreshNotHeard() {
  std::unordered_map<std::string_view, uint32_t> by_name;
  for (const auto& [id, leg] : leg_by_id_) by_name.emplace(leg->config().name, id);
  for (const auto& [id, leg] : leg_by_id_) {
    const RoomParticipantConfig& c = leg->config();
    if (!c.recorder && c.own_voice.empty()) continue;
    std::vector<uint32_t> not_heard;
    if (c.recorder) not_heard = excluded_;
    if (!c.own_voice.empty()) {
      if (auto it = by_name.find(c.own_voice); it != by_name.end() && it->second != id) {
        not_heard.push_back(it->second);
      }
    }
    (void)room_.SetNotHeard(id, std::move(not_heard), /*strict=*/c.recorder);
  }
}

void RoomAudio::Detach(uint32_t id) {
  room_.RemoveParticipant(id);
  const auto it = leg_by_id_.find(id);
  const std::string name = it != leg_by_id_.end() ? it->second->config().name : std::string();
  leg_by_id_.erase(id);
  // Whoever did not hear it hears nobody less now.
  if (!name.empty() && std::any_of(leg_by_id_.begin(), leg_by_id_.end(), [&](const auto& e) {
        return e.second->config().own_voice == name;
      })) {
    RefreshNotHeard();
  }
}

Status RoomAudio::Admit(uint32_t id, bool muted, bool deaf) {
  return SetMuteDeaf(id, muted, deaf, true);
}

Status RoomAudio::SetMuteDeaf(uint32_t id, bool muted, bool deaf, bool admitted) {
  const auto leg = leg_by_id_.find(id);
  if (leg == leg_by_id_.end()) return Status::Ok();  // no audio
  // A receive-only participant stays muted whatever changes (a PATCH of deaf, an admission).
  const bool receive_only = leg->second->config().receive_only;
  TESSERA_RETURN_IF_ERROR(room_.SetMuted(id, muted || !admitted || receive_only));
  return room_.SetDeaf(id, deaf || !admitted);
}

Status RoomAudio::SetNotice(uint32_t id, bool on) {
  if (!leg_by_id_.count(id)) {
    if (!on) return Status::Ok();  // nothing to stop: its audio went (a re-INVITE)
    return FailedPreconditionError("participant " + std::to_string(id) +
                                   " has no audio: it cannot hear the recording notice");
  }
  return room_.SetNotice(id, on);
}

std::string RoomAudio::NameOf(uint32_t id) const {
  const auto it = leg_by_id_.find(id);
  return it != leg_by_id_.end() ? it->second->config().name : std::to_string(id);
}

std::string RoomAudio::SummaryJson() const {
  const auto& s = room_.stats();
  nlohmann::ordered_json jitter = nlohmann::ordered_json::object();
  for (const auto& [id, j] : room_.JitterStats()) {
    jitter[NameOf(id)] = {{"played", j.frames_played},
                          {"concealed", j.concealed},
                          {"late", j.late_dropped},
                          {"silence", j.silence},
                          {"resets", j.resets},
                          {"drift_dropped", j.drift_dropped},
                          {"drift_inserted", j.drift_inserted},
                          {"target_ms", j.target_us / 1000},
                          {"level_ms", j.level_us / 1000},
                          {"jitter_ms", j.jitter_us / 1000}};
  }
  const nlohmann::ordered_json j = {{"room", name_},
                                    {"participants", room_.participant_count()},
                                    {"ticks", s.ticks},
                                    {"skipped_ticks", skipped_ticks_},
                                    {"late_ticks", late_ticks_},
                                    {"tick_lateness_p50_ms", lateness_.PercentileMs(0.50)},
                                    {"tick_lateness_p99_ms", lateness_.PercentileMs(0.99)},
                                    {"encodes", s.encodes},
                                    {"max_encodes_per_tick", s.max_tick_encodes},
                                    {"concealed", s.concealed},
                                    {"decode_errors", s.decode_errors},
                                    {"notice_frames", s.notice_frames},
                                    {"input_hold_ms", room_.input_hold_us() / 1000.0},
                                    {"jitter", std::move(jitter)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tessera::session
