#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtp_packet.h>
#include <tessera/rtp/transport_cc.h>

#include <algorithm>
#include <cmath>

namespace tessera::rtp {
namespace {

constexpr int64_t kTickUs = 64'000;  // the reference time's unit
// Consecutive arrivals further apart than this go in separate feedback (a delta is a signed
// 16-bit count of 250 us: at most 8.19 s).
constexpr int64_t kMaxDeltaUs = 8'000'000;
constexpr size_t kMaxPerFeedback = 1000;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int32_t SignExtend24(int64_t v) {
  v &= 0xFFFFFF;
  return static_cast<int32_t>(v & 0x800000 ? v - 0x1000000 : v);
}

}  // namespace

std::optional<uint16_t> ReadTransportSequence(std::span<const uint8_t> rtp, uint8_t extension_id) {
  if (extension_id == 0 || rtp.size() < kRtpFixedHeaderSize || (rtp[0] & 0x10) == 0) {
    return std::nullopt;
  }
  size_t at = kRtpFixedHeaderSize + 4 * static_cast<size_t>(rtp[0] & 0x0F);
  if (at + 4 > rtp.size()) return std::nullopt;
  const uint16_t profile = ReadBe16(&rtp[at]);
  const size_t end = at + 4 + 4 * static_cast<size_t>(ReadBe16(&rtp[at + 2]));
  if (end > rtp.size()) return std::nullopt;
  at += 4;
  const bool one_byte = profile == 0xBEDE;
  if (!one_byte && (profile & 0xFFF0) != 0x1000) return std::nullopt;
  while (at < end) {
    if (rtp[at] == 0) {  // padding between elements
      ++at;
      continue;
    }
    uint8_t id = 0;
    size_t len = 0;
    if (one_byte) {
      id = rtp[at] >> 4;
      len = (rtp[at] & 0x0F) + 1u;
      if (id == 15) return std::nullopt;  // the rest is not to be read (RFC 8285 4.2)
      ++at;
    } else {
      if (at + 2 > end) return std::nullopt;
      id = rtp[at];
      len = rtp[at + 1];
      at += 2;
    }
    if (at + len > end) return std::nullopt;
    if (id == extension_id) {
      if (len != 2) return std::nullopt;
      return ReadBe16(&rtp[at]);
    }
    at += len;
  }
  return std::nullopt;
}

bool WriteTransportSequence(std::vector<uint8_t>& rtp, uint8_t extension_id, uint16_t seq) {
  if (extension_id == 0 || extension_id > 14 || rtp.size() < kRtpFixedHeaderSize ||
      (rtp[0] >> 6) != 2) {
    return false;
  }
  const size_t at = kRtpFixedHeaderSize + 4 * static_cast<size_t>(rtp[0] & 0x0F);
  if (at > rtp.size()) return false;
  if ((rtp[0] & 0x10) == 0) {
    // No extensions yet: one 4-byte one-byte-form block with the element and a padding byte.
    const uint8_t block[8] = {0xBE,
                              0xDE,
                              0x00,
                              0x01,
                              static_cast<uint8_t>(extension_id << 4 | 1),
                              static_cast<uint8_t>(seq >> 8),
                              static_cast<uint8_t>(seq),
                              0x00};
    rtp.insert(rtp.begin() + static_cast<std::ptrdiff_t>(at), std::begin(block), std::end(block));
    rtp[0] |= 0x10;
    return true;
  }
  auto packet = RtpPacket::Parse(rtp);
  if (!packet) return false;
  const uint8_t value[2] = {static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq)};
  if (!packet->SetExtension(extension_id, value)) return false;
  rtp.assign(packet->data().begin(), packet->data().end());
  return true;
}

void TransportCcReceiver::OnPacket(uint16_t transport_seq, int64_t arrival_us) {
  const int64_t seq = unwrapper_.Unwrap(transport_seq);
  ++packets_;
  if (next_ && seq < *next_) {
    ++late_;
    return;
  }
  arrivals_.emplace(seq, arrival_us);  // a duplicate keeps its first arrival
  // Never more than a feedback's worth waiting, whoever forgets to ask for feedback.
  while (arrivals_.size() > static_cast<size_t>(kMaxSpan)) arrivals_.erase(arrivals_.begin());
}

std::vector<TransportFeedback> TransportCcReceiver::BuildFeedback(uint32_t sender_ssrc,
                                                                  uint32_t media_ssrc) {
  std::vector<TransportFeedback> out;
  if (arrivals_.empty()) return out;
  const int64_t last = arrivals_.rbegin()->first;
  int64_t seq = next_ ? *next_ : arrivals_.begin()->first;
  if (last - seq + 1 > kMaxSpan) seq = arrivals_.lower_bound(last - kMaxSpan + 1)->first;
  auto it = arrivals_.lower_bound(seq);
  while (seq <= last) {
    TransportFeedback fb;
    fb.sender_ssrc = sender_ssrc;
    fb.media_ssrc = media_ssrc;
    fb.base_sequence = static_cast<uint16_t>(seq);
    fb.feedback_count = feedback_count_++;
    // The reference time is the first arrival's 64 ms tick; the struct's timeline is the wire's
    // (24 bits, sign-extended), ours shifted by a whole number of ticks.
    const int64_t reference = FloorDiv(it->second, kTickUs);
    fb.reference_time = SignExtend24(reference);
    const int64_t shift = (static_cast<int64_t>(fb.reference_time) - reference) * kTickUs;
    int64_t previous = reference * kTickUs;
    while (seq <= last && fb.arrivals_us.size() < kMaxPerFeedback) {
      if (it != arrivals_.end() && it->first == seq) {
        if (std::abs(it->second - previous) > kMaxDeltaUs) break;
        fb.arrivals_us.push_back(it->second + shift);
        previous = it->second;
        ++it;
      } else {
        fb.arrivals_us.push_back(std::nullopt);
      }
      ++seq;
    }
    out.push_back(std::move(fb));
  }
  next_ = last + 1;
  arrivals_.clear();
  feedback_built_ += out.size();
  return out;
}

SendSideEstimator::SendSideEstimator(const Config& config)
    : config_(config),
      estimate_bps_(std::clamp(config.start_bps, config.min_bps, config.max_bps)),
      history_(kHistory) {}

SendSideEstimator::Sent* SendSideEstimator::Find(int64_t seq) {
  Sent& s = history_[static_cast<size_t>(seq) & (kHistory - 1)];
  return s.seq == seq ? &s : nullptr;
}

void SendSideEstimator::OnPacketSent(uint16_t transport_seq, int64_t send_us, size_t bytes,
                                     bool probe) {
  const int64_t seq = send_unwrapper_.Unwrap(transport_seq);
  last_sent_ = seq;
  // Everything sent while a probe runs is part of the train whose dispersion is measured.
  if (probe_start_us_ && send_us < *probe_start_us_ + kProbeDurationUs) probe = true;
  history_[static_cast<size_t>(seq) & (kHistory - 1)] =
      Sent{seq,   send_us, static_cast<uint32_t>(std::min<size_t>(bytes, UINT32_MAX)),
           false, false,   probe};
}

void SendSideEstimator::EndProbeEarly() {
  // What was sent so far is still measured when its feedback comes; nothing more is padded.
  if (probe_start_us_) probe_cut_ = true;
}

bool SendSideEstimator::ProbeDue(int64_t now_us) {
  if (config_.probe_bps <= 0 || probe_start_us_ || estimate_bps_ >= config_.probe_bps) {
    return false;
  }
  if (!calm_since_us_ || now_us - *calm_since_us_ < 3'000'000 || now_us < next_probe_us_) {
    return false;
  }
  probe_start_us_ = now_us;
  probe_bytes_ = 0;
  probe_first_bytes_ = 0;
  probe_acked_ = 0;
  probe_first_arrival_ = probe_last_arrival_ = 0;
  // A step, not a leap: twice the estimate, at most probe_bps (a probe into a bottleneck costs
  // the viewer what overflows for half a second).
  probe_target_bps_ = std::min(config_.probe_bps, 2 * estimate_bps_);
  ++probes_;
  return true;
}

void SendSideEstimator::Decrease(double to_bps, int64_t now_us) {
  if (last_decrease_us_ && now_us - *last_decrease_us_ < 300'000) return;
  const auto to = static_cast<int64_t>(to_bps);
  if (to >= estimate_bps_) return;
  estimate_bps_ = std::max(config_.min_bps, to);
  last_decrease_us_ = now_us;
}

void SendSideEstimator::FinishProbe(int64_t now_us) {
  const int64_t span = probe_last_arrival_ - probe_first_arrival_;
  bool found = false;
  if (probe_acked_ >= 10 && span >= 100'000) {
    const double rate =
        static_cast<double>(probe_bytes_ - probe_first_bytes_) * 8e6 / static_cast<double>(span);
    const auto carried = static_cast<int64_t>(0.9 * rate);
    if (carried > estimate_bps_ + estimate_bps_ / 10) {
      estimate_bps_ = std::min(config_.max_bps, carried);
      found = true;
    }
  }
  probe_backoff_us_ = found ? 5'000'000 : std::min<int64_t>(probe_backoff_us_ * 2, 20'000'000);
  next_probe_us_ = now_us + probe_backoff_us_;
  probe_start_us_.reset();
  probe_cut_ = false;
}

bool SendSideEstimator::OnFeedback(const TransportFeedback& feedback, int64_t now_us) {
  ++feedback_received_;
  if (!last_sent_) return false;
  const int64_t before = estimate_bps_;
  const int64_t base =
      *last_sent_ + static_cast<int16_t>(static_cast<uint16_t>(feedback.base_sequence -
                                                               static_cast<uint16_t>(*last_sent_)));
  if (last_reference_) {
    unwrapped_reference_ += SignExtend24(int64_t{feedback.reference_time} - *last_reference_);
  } else {
    unwrapped_reference_ = feedback.reference_time;
  }
  last_reference_ = feedback.reference_time;
  const int64_t shift = (unwrapped_reference_ - feedback.reference_time) * kTickUs;

  // Only what the history can remember: a feedback claiming more (the format allows 65535 from
  // a few bytes) is read no further.
  const size_t count = std::min(feedback.arrivals_us.size(), kHistory);
  for (size_t i = 0; i < count; ++i) {
    Sent* s = Find(base + static_cast<int64_t>(i));
    if (!s) {
      ++unknown_acks_;
      continue;
    }
    const auto& a = feedback.arrivals_us[i];
    if (!a) {
      if (!s->acked && !s->lost) {
        s->lost = true;
        outcomes_.emplace_back(now_us, true);
        ++outcomes_lost_;
      }
      continue;
    }
    if (s->acked) continue;
    s->acked = true;
    const int64_t arrival = *a + shift;
    if (!s->lost) outcomes_.emplace_back(now_us, false);
    received_.emplace_back(arrival, s->bytes);
    received_bytes_ += s->bytes;
    newest_arrival_ = std::max(newest_arrival_.value_or(arrival), arrival);
    if (s->probe && probe_start_us_) {
      // The train's dispersion: from its first arrival to its last, less the first packet.
      if (probe_acked_ == 0) {
        probe_first_arrival_ = probe_last_arrival_ = arrival;
        probe_first_bytes_ = s->bytes;
      } else {
        probe_first_arrival_ = std::min(probe_first_arrival_, arrival);
        probe_last_arrival_ = std::max(probe_last_arrival_, arrival);
      }
      probe_bytes_ += s->bytes;
      ++probe_acked_;
    }
    const int64_t one_way = arrival - s->send_us;
    while (!delay_minima_.empty() && delay_minima_.back().second >= one_way) {
      delay_minima_.pop_back();
    }
    delay_minima_.emplace_back(now_us, one_way);
    const double queued = static_cast<double>(one_way - delay_minima_.front().second);
    queue_delay_us_ += 0.1 * (queued - queue_delay_us_);
  }
  while (!delay_minima_.empty() && delay_minima_.front().first < now_us - 30'000'000) {
    delay_minima_.pop_front();
  }
  while (!outcomes_.empty() && outcomes_.front().first < now_us - 1'000'000) {
    if (outcomes_.front().second) --outcomes_lost_;
    outcomes_.pop_front();
  }
  loss_ = outcomes_.empty()
              ? 0.0
              : static_cast<double>(outcomes_lost_) / static_cast<double>(outcomes_.size());
  if (!received_.empty()) {
    // Against the newest arrival seen (a peer's times may go backwards), and never more than
    // the history holds.
    const int64_t newest = *newest_arrival_;
    while (!received_.empty() &&
           (received_.front().first < newest - 500'000 || received_.size() > kHistory)) {
      received_bytes_ -= received_.front().second;
      received_.pop_front();
    }
  }
  if (!received_.empty()) {
    const int64_t oldest = received_.front().first;
    const int64_t span = std::max<int64_t>(newest_arrival_.value_or(oldest) - oldest, 200'000);
    throughput_bps_ = static_cast<int64_t>(static_cast<double>(received_bytes_) * 8e6 /
                                           static_cast<double>(span));
  }

  const double dt =
      last_update_us_ ? std::min(1.0, static_cast<double>(now_us - *last_update_us_) / 1e6) : 0.0;
  last_update_us_ = now_us;
  const bool calm = queue_delay_us_ < 30'000 && loss_ < 0.02;
  if (!calm) {
    calm_since_us_.reset();
  } else if (!calm_since_us_) {
    calm_since_us_ = now_us;
  }
  if (queue_delay_us_ > 80'000 && throughput_bps_ > 0) {
    Decrease(0.85 * static_cast<double>(throughput_bps_), now_us);
  } else if (loss_ > 0.10) {
    Decrease(static_cast<double>(estimate_bps_) * (1.0 - 0.5 * loss_), now_us);
  } else if (calm) {
    const auto grown =
        static_cast<int64_t>(static_cast<double>(estimate_bps_) * std::pow(1.08, dt));
    const int64_t cap = std::min(config_.max_bps, throughput_bps_ * 3 / 2 + 50'000);
    estimate_bps_ = std::max(estimate_bps_, std::min(grown, cap));
  }
  if (probe_start_us_ && now_us >= *probe_start_us_ + kProbeDurationUs + 500'000) {
    FinishProbe(now_us);
  }
  return estimate_bps_ != before;
}

}  // namespace tessera::rtp
