#include "app/room_host.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
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

}  // namespace

RoomHost::RoomHost(const RoomConfig& config, boost::asio::io_context& media, Clock& clock)
    : config_(config),
      media_(media),
      clock_(clock),
      room_(RoomConfigFor(config), clock),
      timer_(media) {}

RoomHost::~RoomHost() = default;

Status RoomHost::AddLeg(std::unique_ptr<AudioLeg> leg) {
  session::AudioParticipantConfig pc;
  pc.id = leg->id();
  pc.name = leg->config().name;
  pc.codec = leg->config().audio_codec;
  pc.channels = leg->config().audio_channels;
  pc.muted = leg->config().muted;
  pc.deaf = leg->config().deaf;
  TESSERA_RETURN_IF_ERROR(room_.AddParticipant(pc));
  if (leg_by_id_.size() < pc.id) leg_by_id_.resize(pc.id, nullptr);
  leg_by_id_[pc.id - 1] = leg.get();
  legs_.push_back(std::move(leg));
  return Status::Ok();
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
  const auto late_100us =
      std::chrono::duration_cast<std::chrono::microseconds>(now - next_tick_).count() / 100;
  ++lateness_histogram_[static_cast<size_t>(
      std::clamp<int64_t>(late_100us, 0, static_cast<int64_t>(lateness_histogram_.size()) - 1))];
  session::AudioTick tick = room_.Tick(clock_.NowUs());
  for (auto& out : tick.outputs) {
    AudioLeg* leg = out.participant_id >= 1 && out.participant_id <= leg_by_id_.size()
                        ? leg_by_id_[out.participant_id - 1]
                        : nullptr;
    if (!leg) continue;
    boost::asio::post(leg->shard(), [leg, payload = out.payload, ts = out.rtp_timestamp] {
      leg->SendAudio(payload, ts);
    });
  }
  if (tick.dominant_speaker_changed) {
    const uint32_t id = *tick.dominant_speaker_changed;
    spdlog::info("room {}: dominant speaker is now {}", config_.name,
                 id >= 1 && id <= leg_by_id_.size() && leg_by_id_[id - 1]
                     ? leg_by_id_[id - 1]->config().name
                     : std::to_string(id));
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

double RoomHost::LatenessPercentileMs(double q) const {
  uint64_t total = 0;
  for (uint64_t c : lateness_histogram_) total += c;
  if (total == 0) return 0;
  const auto want = static_cast<uint64_t>(q * static_cast<double>(total));
  uint64_t seen = 0;
  for (size_t i = 0; i < lateness_histogram_.size(); ++i) {
    seen += lateness_histogram_[i];
    if (seen > want) return static_cast<double>(i + 1) / 10.0;  // bucket's upper edge
  }
  return static_cast<double>(lateness_histogram_.size()) / 10.0;
}

std::string RoomHost::SummaryJson() const {
  const auto& s = room_.stats();
  std::ostringstream os;
  os << "{\"room\":\"" << config_.name << "\",\"participants\":" << room_.participant_count()
     << ",\"ticks\":" << s.ticks << ",\"skipped_ticks\":" << skipped_ticks_
     << ",\"late_ticks\":" << late_ticks_
     << ",\"tick_lateness_p50_ms\":" << LatenessPercentileMs(0.50)
     << ",\"tick_lateness_p99_ms\":" << LatenessPercentileMs(0.99) << ",\"encodes\":" << s.encodes
     << ",\"max_encodes_per_tick\":" << s.max_tick_encodes << ",\"concealed\":" << s.concealed
     << ",\"decode_errors\":" << s.decode_errors << ",\"jitter\":{";
  bool first = true;
  for (const auto& [id, j] : room_.JitterStats()) {
    const AudioLeg* leg = id >= 1 && id <= leg_by_id_.size() ? leg_by_id_[id - 1] : nullptr;
    os << (first ? "" : ",") << '"' << (leg ? leg->config().name : std::to_string(id))
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
