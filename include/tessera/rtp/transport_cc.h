// Transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-extensions-01), both
// ends, for a WebRTC participant's bundled transport:
//
// - TransportCcReceiver: what Tessera tells a browser that publishes. Every packet carrying the
//   transport-wide sequence number is recorded with its arrival time; every feedback interval
//   (100 ms) the run since the last feedback is acknowledged, received or lost, and the browser's
//   own congestion controller (Chromium's send-side estimate) sets its rate from it.
// - SendSideEstimator: what Tessera estimates for a browser that views. Every packet sent to it
//   gets a transport-wide sequence number; the browser's feedback says when each arrived, and
//   from that the estimator keeps a rate the path carries (loss- and delay-based, below), which
//   moves the viewer between the room's output profiles.
#pragma once

#include <tessera/rtp/rtcp/transport_feedback.h>
#include <tessera/rtp/seq_num_unwrapper.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace tessera::rtp {

// Reads the transport-wide sequence number (a 2-byte header extension) of a clear RTP packet.
std::optional<uint16_t> ReadTransportSequence(std::span<const uint8_t> rtp, uint8_t extension_id);
// Writes it: in place where the packet has the element, by inserting a one-byte-form extension
// block where it has none (the common case: 8 bytes, no reparse), else through
// RtpPacket::SetExtension. False, the packet unchanged, when it cannot be written.
bool WriteTransportSequence(std::vector<uint8_t>& rtp, uint8_t extension_id, uint16_t seq);

// Runs on: its owner's executor.
class TransportCcReceiver {
 public:
  // Feedback covers at most this many sequence numbers: a jump further ahead (a sender restarting
  // its count) starts the next feedback near the new numbers instead of acknowledging the gap.
  static constexpr int64_t kMaxSpan = 4096;

  void OnPacket(uint16_t transport_seq, int64_t arrival_us);
  // Feedback acknowledging everything since the last call, as few packets as the format allows
  // (a new one where arrivals are more than 8 s apart or every 1000 sequence numbers); empty when
  // nothing new arrived. Packets arriving after the feedback that covered their number are late:
  // counted, not reported.
  std::vector<TransportFeedback> BuildFeedback(uint32_t sender_ssrc, uint32_t media_ssrc);

  uint64_t packets() const { return packets_; }
  uint64_t late() const { return late_; }
  uint64_t feedback_built() const { return feedback_built_; }

 private:
  SeqNumUnwrapper unwrapper_;
  std::map<int64_t, int64_t> arrivals_;  // unwrapped sequence number -> arrival, not yet reported
  std::optional<int64_t> next_;          // the first number the next feedback covers
  uint8_t feedback_count_ = 0;
  uint64_t packets_ = 0;
  uint64_t late_ = 0;
  uint64_t feedback_built_ = 0;
};

// The sending end. Delay: each acknowledged packet's one-way delay less the smallest seen over
// the last 30 s is the queueing delay the path adds (clock offsets cancel out), smoothed over
// packets. Loss: the share of packets reported lost over the last second. Throughput: what the
// receiver got over the last 500 ms.
//
// Rate (additive-increase/multiplicative-decrease after Google's congestion control, at most one
// decrease per 300 ms):
// - queueing delay above 80 ms (a queue building at a bottleneck): down to 85 % of throughput;
// - loss above 10 %: down by half the loss;
// - queueing delay under 30 ms and loss under 2 %: up 8 % a second, but never past 1.5 x
//   throughput + 50 kbit/s (a sender that sends less than the estimate learns nothing of the
//   path above what it sends); in between it holds.
// Probes: to learn whether the path carries more than is sent (a bottleneck that lifted), the
// owner pads its sending up to twice the estimate (at most probe_bps) for 500 ms, stopping early
// when the queueing delay rises, when ProbeDue says so (after 3 s of calm
// below probe_bps, then every 5 s, backing off to 20 s while probes find nothing). The rate the
// probe's packets arrived at (their dispersion at the receiver) is what the path carries: the
// estimate rises to 90 % of it.
class SendSideEstimator {
 public:
  struct Config {
    int64_t start_bps = 2'000'000;
    int64_t min_bps = 100'000;
    int64_t max_bps = 4'000'000;
    int64_t probe_bps = 0;  // 0: never probe
  };
  static constexpr int64_t kProbeDurationUs = 500'000;

  explicit SendSideEstimator(const Config& config);

  // A packet leaves with this transport-wide sequence number (probe: padding sent to probe).
  void OnPacketSent(uint16_t transport_seq, int64_t send_us, size_t bytes, bool probe = false);
  // The receiver's feedback. True when the estimate changed.
  bool OnFeedback(const TransportFeedback& feedback, int64_t now_us);
  // True when a probe should start now: the owner then pads what it sends up to
  // probe_target_bps() for kProbeDurationUs, marking the padding probe, unless probe_cut() says
  // to stop (EndProbeEarly: the probe is already filling a queue).
  bool ProbeDue(int64_t now_us);
  int64_t probe_target_bps() const { return probe_target_bps_; }
  void EndProbeEarly();
  bool probe_cut() const { return probe_cut_; }

  int64_t estimate_bps() const { return estimate_bps_; }
  const Config& config() const { return config_; }
  double loss() const { return loss_; }
  int64_t queue_delay_us() const { return static_cast<int64_t>(queue_delay_us_); }
  int64_t throughput_bps() const { return throughput_bps_; }
  uint64_t feedback_received() const { return feedback_received_; }
  uint64_t unknown_acks() const { return unknown_acks_; }
  uint64_t probes() const { return probes_; }

 private:
  struct Sent {
    int64_t seq = -1;  // unwrapped; -1: empty slot
    int64_t send_us = 0;
    uint32_t bytes = 0;
    bool acked = false;
    bool lost = false;
    bool probe = false;
  };
  static constexpr size_t kHistory = 8192;  // sequence numbers remembered (a power of two)
  Sent* Find(int64_t seq);
  void Decrease(double to_bps, int64_t now_us);
  void FinishProbe(int64_t now_us);

  Config config_;
  int64_t estimate_bps_;
  std::vector<Sent> history_;
  SeqNumUnwrapper send_unwrapper_;
  std::optional<int64_t> last_sent_;
  // The receiver's timeline, unwrapped across the 24-bit reference time.
  std::optional<int32_t> last_reference_;
  int64_t unwrapped_reference_ = 0;
  std::deque<std::pair<int64_t, uint32_t>> received_;  // (arrival, bytes), 500 ms
  std::optional<int64_t> newest_arrival_;
  uint64_t received_bytes_ = 0;                           // in received_
  std::deque<std::pair<int64_t, bool>> outcomes_;         // (reported at, lost), 1 s
  size_t outcomes_lost_ = 0;                              // in outcomes_
  std::deque<std::pair<int64_t, int64_t>> delay_minima_;  // (reported at, one-way delay), 30 s
  double queue_delay_us_ = 0;
  double loss_ = 0;
  int64_t throughput_bps_ = 0;
  std::optional<int64_t> last_decrease_us_;
  std::optional<int64_t> last_update_us_;
  std::optional<int64_t> calm_since_us_;
  // The probe under way or being measured: when it started, and its packets' arrivals.
  std::optional<int64_t> probe_start_us_;
  int64_t probe_first_arrival_ = 0, probe_last_arrival_ = 0;
  uint64_t probe_bytes_ = 0;
  uint64_t probe_first_bytes_ = 0;
  int64_t probe_target_bps_ = 0;
  bool probe_cut_ = false;
  uint64_t probe_acked_ = 0;
  int64_t next_probe_us_ = 0;
  int64_t probe_backoff_us_ = 5'000'000;
  uint64_t feedback_received_ = 0;
  uint64_t unknown_acks_ = 0;
  uint64_t probes_ = 0;
};

}  // namespace tessera::rtp
