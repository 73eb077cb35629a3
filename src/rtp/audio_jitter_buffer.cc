#include <tessera/rtp/audio_jitter_buffer.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace tessera::rtp {
namespace {

constexpr int64_t kTickUs = 20'000;
constexpr int64_t kTargetUpdateUs = 500'000;
constexpr int64_t kTargetDecreaseUs = 5'000;
constexpr double kLevelTimeConstantUs = 1'500'000;
constexpr int64_t kMinDriftActionIntervalUs = 100'000;
// Jitter samples beyond this are discontinuities (a sender pause), not jitter.
constexpr int64_t kMaxJitterSampleUs = 500'000;
// A sequence gap longer than this is a discontinuity: playout jumps over it.
constexpr int64_t kMaxConcealRun = 50;
// A held packet further ahead of the playout point than this is a timestamp discontinuity.
constexpr int64_t kMaxSilenceGapUs = 1'000'000;
// Per target update, the jitter peak decays by this factor (a half-life of ~35 s).
constexpr double kJitterPeakDecay = 0.99;
constexpr int kLateRunForReset = 50;
constexpr int kPacketTimesMs[] = {10, 20, 40, 60};
constexpr int kPtimeConfirmations = 3;

}  // namespace

AudioJitterBuffer::AudioJitterBuffer(AudioJitterConfig config, Clock& clock)
    : config_(config),
      clock_(clock),
      tick_samples_(static_cast<uint32_t>(config.clock_rate * kTickUs / 1'000'000)),
      ptime_(tick_samples_),
      target_us_(config.min_target_us),
      next_target_update_us_(clock.NowUs() + kTargetUpdateUs) {
  stats_.target_us = target_us_;
}

void AudioJitterBuffer::Drop(DropReason reason) {
  if (drop_counters_ != nullptr) drop_counters_->Add(reason);
}

void AudioJitterBuffer::Reset() {
  packets_.clear();
  playing_ = false;
  next_seq_.reset();
  last_played_ts_.reset();
  dry_samples_ = 0;
  dry_conceals_ = 0;
  consecutive_late_ = 0;
  ++stats_.resets;
}

void AudioJitterBuffer::Restart() {
  Reset();
  // New numbering and a new timestamp base: unwrap them from scratch.
  seq_unwrapper_ = SeqNumUnwrapper();
  ts_unwrapper_ = TimestampUnwrapper();
  last_insert_seq_.reset();
  prev_transit_us_.reset();
}

int64_t AudioJitterBuffer::SamplesToUs(int64_t samples) const {
  return samples * 1'000'000 / static_cast<int64_t>(config_.clock_rate);
}

void AudioJitterBuffer::LearnPacketTime(int64_t seq, int64_t ts) {
  const bool consecutive = last_insert_seq_ && seq == *last_insert_seq_ + 1;
  const int64_t delta = ts - last_insert_ts_;
  last_insert_seq_ = seq;
  last_insert_ts_ = ts;
  if (!consecutive) return;
  uint32_t candidate = 0;
  for (int ms : kPacketTimesMs) {
    if (delta == static_cast<int64_t>(config_.clock_rate) * ms / 1000) {
      candidate = static_cast<uint32_t>(delta);
    }
  }
  if (candidate == 0 || candidate == ptime_) {
    if (candidate == ptime_) ptime_learned_ = true;
    ptime_candidate_count_ = 0;
    return;
  }
  if (candidate != ptime_candidate_) {
    ptime_candidate_ = candidate;
    ptime_candidate_count_ = 0;
  }
  // The first packet time is taken at once; a change needs confirming, so that a DTX gap that
  // happens to look like a packet time does not switch it.
  if (!ptime_learned_ || ++ptime_candidate_count_ >= kPtimeConfirmations) {
    ptime_ = candidate;
    ptime_learned_ = true;
    ptime_candidate_count_ = 0;
  }
}

void AudioJitterBuffer::UpdateJitter(int64_t ts, int64_t arrival_us) {
  // RFC 3550 6.4.1: J += (|D| - J) / 16, D the change in transit time, here in microseconds.
  const int64_t transit_us = arrival_us - SamplesToUs(ts);
  if (prev_transit_us_) {
    const int64_t d = std::abs(transit_us - *prev_transit_us_);
    if (d <= kMaxJitterSampleUs) jitter_us_ += (static_cast<double>(d) - jitter_us_) / 16.0;
  }
  prev_transit_us_ = transit_us;
  stats_.jitter_us = static_cast<int64_t>(jitter_us_);
}

void AudioJitterBuffer::UpdateTarget() {
  const int64_t now_us = clock_.NowUs();
  if (now_us < next_target_update_us_) return;
  next_target_update_us_ = now_us + kTargetUpdateUs;
  const int64_t ptime_us = SamplesToUs(ptime_);
  // The target follows a slowly decaying peak of the jitter estimate, so that it does not step
  // up and down (each step up costs an inserted concealment) as the estimate wanders.
  jitter_peak_us_ = std::max(jitter_us_, jitter_peak_us_ * kJitterPeakDecay);
  const int64_t wanted =
      std::clamp(static_cast<int64_t>(2.5 * jitter_peak_us_) + ptime_us, config_.min_target_us,
                 std::max(config_.min_target_us, config_.max_target_us));
  if (wanted > target_us_) {
    target_us_ = std::min(wanted, target_us_ + ptime_us);
  } else {
    target_us_ = std::max(wanted, target_us_ - kTargetDecreaseUs);
  }
  stats_.target_us = target_us_;
}

void AudioJitterBuffer::Insert(uint16_t seq16, uint32_t rtp_timestamp, std::vector<uint8_t> payload,
                               int64_t arrival_us) {
  ++stats_.packets;
  const int64_t seq = seq_unwrapper_.Unwrap(seq16);
  const int64_t ts = ts_unwrapper_.Unwrap(rtp_timestamp);
  if ((next_seq_ && seq < *next_seq_) || (last_played_ts_ && ts <= *last_played_ts_)) {
    ++stats_.late_dropped;
    Drop(DropReason::kTooLate);
    if (++consecutive_late_ < kLateRunForReset) return;
    Reset();  // the sender restarted with new numbering: start over from this packet
  }
  consecutive_late_ = 0;
  if (packets_.count(seq) != 0) {
    ++stats_.duplicates;
    Drop(DropReason::kDuplicate);
    return;
  }
  LearnPacketTime(seq, ts);
  UpdateJitter(ts, arrival_us);
  packets_.emplace(seq, Packet{ts, arrival_us, std::move(payload)});
  while (packets_.size() > std::max<size_t>(config_.max_packets, 1)) {
    const auto oldest = packets_.begin();
    if (playing_) {
      // Skip over it rather than conceal it later.
      next_seq_ = std::max(*next_seq_, oldest->first + 1);
      play_ts_ = std::max(play_ts_, oldest->second.ts + ptime_);
    }
    packets_.erase(oldest);
    ++stats_.overflow_dropped;
    Drop(DropReason::kBufferFull);
  }
}

int64_t AudioJitterBuffer::LevelUs() const {
  if (packets_.empty()) return 0;
  const int64_t end = packets_.rbegin()->second.ts + ptime_;
  const int64_t start = playing_ ? play_ts_ : packets_.begin()->second.ts;
  return std::max<int64_t>(0, SamplesToUs(end - start));
}

bool AudioJitterBuffer::ShouldStart(int64_t now_us) const {
  if (packets_.empty()) return false;
  // Also start when the oldest packet has waited for the target: a talk spurt shorter than the
  // target would otherwise never play.
  return LevelUs() >= target_us_ || now_us - packets_.begin()->second.arrival_us >= target_us_;
}

AudioPull AudioJitterBuffer::Silence(uint32_t samples) {
  ++stats_.silence;
  AudioPull pull;
  pull.kind = AudioPull::Kind::kSilence;
  pull.rtp_timestamp = static_cast<uint32_t>(play_ts_);
  pull.samples = samples;
  pull.ticks = static_cast<int>(samples / tick_samples_);
  if (playing_) play_ts_ += samples;
  return pull;
}

AudioPull AudioJitterBuffer::Conceal(std::optional<std::vector<uint8_t>> next_payload) {
  AudioPull pull;
  pull.kind = AudioPull::Kind::kConceal;
  pull.next_payload = std::move(next_payload);
  pull.rtp_timestamp = static_cast<uint32_t>(play_ts_);
  pull.samples = ptime_;
  pull.ticks = static_cast<int>(ptime_ / tick_samples_);
  return pull;
}

AudioPull AudioJitterBuffer::Play(PacketMap::iterator it) {
  AudioPull pull;
  pull.kind = AudioPull::Kind::kFrame;
  pull.payload = std::move(it->second.payload);
  pull.rtp_timestamp = static_cast<uint32_t>(it->second.ts);
  pull.samples = ptime_;
  pull.ticks = static_cast<int>(ptime_ / tick_samples_);
  pull.arrival_us = it->second.arrival_us;
  next_seq_ = it->first + 1;
  play_ts_ = it->second.ts + ptime_;
  last_played_ts_ = it->second.ts;
  packets_.erase(it);
  ++stats_.frames_played;
  return pull;
}

AudioPull AudioJitterBuffer::Pull(int64_t now_us) {
  UpdateTarget();
  if (!playing_) {
    stats_.level_us = LevelUs();
    if (!ShouldStart(now_us)) return Silence(tick_samples_);
    playing_ = true;
    next_seq_ = packets_.begin()->first;
    play_ts_ = packets_.begin()->second.ts;
    smoothed_level_us_ = static_cast<double>(LevelUs());
    since_drift_action_us_ = 0;
    last_result_us_ = 0;
  }
  AudioPull pull = PullPlaying();
  last_result_us_ = SamplesToUs(pull.samples);
  return pull;
}

AudioPull AudioJitterBuffer::PullPlaying() {
  const int64_t level_us = LevelUs();
  stats_.level_us = level_us;
  const double alpha = std::min(1.0, static_cast<double>(last_result_us_) / kLevelTimeConstantUs);
  smoothed_level_us_ += (static_cast<double>(level_us) - smoothed_level_us_) * alpha;
  since_drift_action_us_ += last_result_us_;
  const int64_t ptime_us = SamplesToUs(ptime_);

  if (packets_.empty()) {
    if (dry_samples_ < 2 * tick_samples_) {
      // Could be a late packet (run short) or a loss: decided when the next packet arrives.
      dry_samples_ += ptime_;
      ++dry_conceals_;
      AudioPull pull = Conceal(std::nullopt);
      play_ts_ += ptime_;
      return pull;
    }
    // The sender paused: silence, then re-buffer to the target.
    stats_.concealed += dry_conceals_;
    dry_conceals_ = 0;
    dry_samples_ = 0;
    playing_ = false;
    return Silence(tick_samples_);
  }
  if (dry_conceals_ > 0) {
    // The dry concealments stood for the first missing sequence numbers, if any are missing;
    // the rest were inserted time.
    const int64_t missing = packets_.begin()->first - *next_seq_;
    const uint64_t lost = std::min<uint64_t>(dry_conceals_, static_cast<uint64_t>(missing));
    *next_seq_ += static_cast<int64_t>(lost);
    stats_.concealed += lost;
    stats_.drift_inserted += dry_conceals_ - lost;
    dry_conceals_ = 0;
    dry_samples_ = 0;
  }

  for (;;) {
    if (packets_.empty()) return Silence(tick_samples_);  // only after dropping a bad packet
    auto it = packets_.begin();
    const int64_t seq = it->first;
    const int64_t ts = it->second.ts;
    if (seq > *next_seq_) {
      const int64_t missing = seq - *next_seq_;
      if (missing > kMaxConcealRun) {
        next_seq_ = seq;  // a discontinuity, not a loss
        play_ts_ = ts;
        continue;
      }
      // Silence first if the missing packets come after a DTX gap.
      const int64_t missing_ts = ts - missing * ptime_;
      if (missing_ts > play_ts_) {
        return Silence(
            static_cast<uint32_t>(std::min<int64_t>(tick_samples_, missing_ts - play_ts_)));
      }
      ++stats_.concealed;
      ++*next_seq_;
      std::optional<std::vector<uint8_t>> next;
      if (auto n = packets_.find(*next_seq_); n != packets_.end()) next = n->second.payload;
      AudioPull pull = Conceal(std::move(next));
      play_ts_ += ptime_;
      return pull;
    }
    if (last_played_ts_ && ts <= *last_played_ts_) {
      // Out of timestamp order: playing it would step back in time.
      packets_.erase(it);
      next_seq_ = seq + 1;
      ++stats_.late_dropped;
      Drop(DropReason::kTooLate);
      continue;
    }
    if (ts > play_ts_) {
      if (SamplesToUs(ts - play_ts_) > kMaxSilenceGapUs) {
        play_ts_ = ts;  // a timestamp discontinuity
      } else {
        // A DTX gap between consecutive sequence numbers.
        return Silence(static_cast<uint32_t>(std::min<int64_t>(tick_samples_, ts - play_ts_)));
      }
    }
    if (since_drift_action_us_ >= kMinDriftActionIntervalUs) {
      if (smoothed_level_us_ > static_cast<double>(target_us_ + ptime_us) &&
          packets_.count(seq + 1) != 0) {
        // Ran long: skip this frame; the next one is held.
        packets_.erase(it);
        next_seq_ = seq + 1;
        play_ts_ = ts + ptime_;
        last_played_ts_ = ts;
        ++stats_.drift_dropped;
        smoothed_level_us_ -= static_cast<double>(ptime_us);
        since_drift_action_us_ = 0;
        continue;
      }
      if (smoothed_level_us_ < static_cast<double>(target_us_ - ptime_us / 2)) {
        // Ran short: conceal once before this frame, which stays held.
        ++stats_.drift_inserted;
        smoothed_level_us_ += static_cast<double>(ptime_us);
        since_drift_action_us_ = 0;
        return Conceal(std::nullopt);
      }
    }
    return Play(it);
  }
}

}  // namespace tessera::rtp
