// Adaptive audio jitter buffer: holds the RTP payloads of one audio stream and decides, once per
// mixer tick, what the decoder should do (play a frame, conceal a loss, or play silence). It is
// codec-agnostic: payloads are opaque bytes.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/metrics.h>
#include <tessera/rtp/seq_num_unwrapper.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace tessera::rtp {

struct AudioJitterConfig {
  uint32_t clock_rate = 48000;     // RTP timestamp units per second
  int64_t min_target_us = 40'000;  // bounds of the adaptive target delay
  int64_t max_target_us = 120'000;
  size_t max_packets = 64;  // packets held at most; at least 1
};

// What the decoder does for the next stretch of playout.
struct AudioPull {
  enum class Kind {
    kFrame,    // decode `payload`
    kConceal,  // a packet is missing (or the buffer ran short): run packet-loss concealment
    kSilence,  // nothing to play (not started, re-buffering, DTX or a sender pause)
  };
  Kind kind = Kind::kSilence;
  // kFrame: the packet to decode.
  std::vector<uint8_t> payload;
  // kConceal for a lost packet: the packet after the missing one if already held (Opus in-band
  // FEC can rebuild the lost frame from it). The packet stays held and is returned as a kFrame
  // later. Unset for concealments that stand in for no particular packet.
  std::optional<std::vector<uint8_t>> next_payload;
  // RTP timestamp of the first sample this result covers.
  uint32_t rtp_timestamp = 0;
  // Duration covered, in RTP timestamp units: the packet time for kFrame and kConceal, at most
  // one 20 ms tick for kSilence.
  uint32_t samples = 0;
  // `samples` in whole 20 ms mixer ticks: 1 for 20 ms packets, 2 for 40 ms, 3 for 60 ms, 0 for
  // 10 ms packets (the caller pulls again within the same tick).
  int ticks = 1;
  // kFrame: when the packet arrived (the arrival_us Insert was given): the buffer held it from
  // then to this pull.
  int64_t arrival_us = 0;
};

// Playout model:
// - The caller pulls whenever its decoded audio for this stream runs out: once per 20 ms mixer
//   tick for 20 ms packets; a result with ticks = n covers n ticks (decode once, play the audio
//   over n ticks, do not pull in between).
// - The packet time is learned from consecutive sequence numbers (10, 20, 40 or 60 ms; 20 ms
//   until learned). Playout starts (and restarts after the buffer ran dry) once the buffered
//   duration reaches the target; until then every pull is kSilence.
// - The target is clamp(2.5 x RFC 3550 interarrival jitter + one packet time) to [min, max],
//   re-evaluated every 500 ms of the Clock from a slowly decaying peak of the jitter estimate:
//   up by at most one packet time, down by 5 ms a step.
// - A sequence number missing at playout time is concealed and its slot consumed: the packet
//   arriving later is dropped as too late. A timestamp jump between consecutive sequence numbers
//   (DTX, or a sender silent for a while) is played as silence.
// - When nothing is held, up to 2 ticks are concealed; if a packet then arrives the stream goes
//   on (the concealment was inserted time: drift_inserted), otherwise the buffer returns kSilence
//   and re-buffers to the target.
// - Clock drift: the level (buffered duration at each pull) is smoothed over ~1.5 s. Above
//   target + one packet time one frame is skipped (drift_dropped); below target - 1/2 packet
//   time one concealment is inserted before the next frame (drift_inserted); the smoothed level
//   is moved by one packet time after each, and the actions are at least 100 ms apart. The
//   level at a pull counts the packet about to play, so it reads target..target + one packet in
//   steady state.
// - Duplicates and packets older than the playout point are dropped and counted; beyond
//   max_packets the oldest packet is dropped. 50 consecutive too-late packets (a sender restart
//   with new sequence numbers) reset the buffer.
//
// Runs on: the room strand. Not thread-safe. Arrival and pull times are microseconds of the
// Clock::NowUs() timebase.
class AudioJitterBuffer {
 public:
  // kConceal results = concealed + drift_inserted (dry-buffer concealments are counted once the
  // buffer either resumes or re-buffers).
  struct Stats {
    uint64_t packets = 0;        // packets inserted, dropped ones included
    uint64_t frames_played = 0;  // kFrame results
    uint64_t concealed = 0;      // concealments for lost packets or before a pause
    uint64_t silence = 0;        // kSilence results (not started, re-buffering, DTX)
    uint64_t late_dropped = 0;   // packets older than the playout point
    uint64_t duplicates = 0;     // packets already held
    uint64_t overflow_dropped = 0;
    uint64_t drift_dropped = 0;   // frames skipped because the buffer ran long
    uint64_t drift_inserted = 0;  // concealments because it ran short
    uint64_t resets = 0;          // buffer reset after a run of too-late packets
    int64_t target_us = 0;
    int64_t level_us = 0;  // buffered duration at the last pull
    int64_t jitter_us = 0;
  };

  AudioJitterBuffer(AudioJitterConfig config, Clock& clock);

  AudioJitterBuffer(const AudioJitterBuffer&) = delete;
  AudioJitterBuffer& operator=(const AudioJitterBuffer&) = delete;

  // Counters bumped for each dropped packet (kTooLate, kDuplicate, kBufferFull); may be null.
  // Must outlive this buffer.
  void SetDropCounters(DropCounters* counters) { drop_counters_ = counters; }

  // Adds one packet. arrival_us: when it was received (Clock timebase).
  void Insert(uint16_t seq, uint32_t rtp_timestamp, std::vector<uint8_t> payload,
              int64_t arrival_us);
  // The sender started a new stream (a new SSRC, or a sequence jump its next packet confirmed):
  // what is held belongs to the old numbering and is let go; playout starts over with the next
  // packet, re-buffering to the target. Counted in stats().resets.
  void Restart();

  // The next stretch of playout (see the playout model above). now_us: the mixer tick time.
  [[nodiscard]] AudioPull Pull(int64_t now_us);

  const Stats& stats() const { return stats_; }
  // Packets held now.
  size_t size() const { return packets_.size(); }
  // Learned packet time in RTP timestamp units.
  uint32_t packet_samples() const { return ptime_; }

 private:
  struct Packet {
    int64_t ts = 0;  // unwrapped RTP timestamp
    int64_t arrival_us = 0;
    std::vector<uint8_t> payload;
  };
  using PacketMap = std::map<int64_t, Packet>;  // by unwrapped sequence number

  void Drop(DropReason reason);
  void Reset();
  void LearnPacketTime(int64_t seq, int64_t ts);
  void UpdateJitter(int64_t ts, int64_t arrival_us);
  void UpdateTarget();
  int64_t SamplesToUs(int64_t samples) const;
  int64_t LevelUs() const;
  bool ShouldStart(int64_t now_us) const;
  AudioPull Silence(uint32_t samples);
  AudioPull Conceal(std::optional<std::vector<uint8_t>> next_payload);
  AudioPull Play(PacketMap::iterator it);
  AudioPull PullPlaying();

  const AudioJitterConfig config_;
  Clock& clock_;
  DropCounters* drop_counters_ = nullptr;
  Stats stats_;
  const uint32_t tick_samples_;  // one 20 ms tick

  SeqNumUnwrapper seq_unwrapper_;
  TimestampUnwrapper ts_unwrapper_;
  PacketMap packets_;

  // Packet time learning.
  uint32_t ptime_;
  bool ptime_learned_ = false;
  std::optional<int64_t> last_insert_seq_;
  int64_t last_insert_ts_ = 0;
  uint32_t ptime_candidate_ = 0;
  int ptime_candidate_count_ = 0;

  // Jitter and target.
  std::optional<int64_t> prev_transit_us_;
  double jitter_us_ = 0;
  double jitter_peak_us_ = 0;
  int64_t target_us_;
  int64_t next_target_update_us_;

  // Playout. next_seq_ is the lowest sequence number still playable (set once playout started);
  // play_ts_ is the timestamp the next packet is expected at.
  bool playing_ = false;
  std::optional<int64_t> next_seq_;
  int64_t play_ts_ = 0;
  std::optional<int64_t> last_played_ts_;
  uint32_t dry_samples_ = 0;  // concealed since the buffer ran dry
  uint64_t dry_conceals_ = 0;
  double smoothed_level_us_ = 0;
  int64_t since_drift_action_us_ = 0;
  int64_t last_result_us_ = 0;  // duration of the previous result
  int consecutive_late_ = 0;
};

}  // namespace tessera::rtp
