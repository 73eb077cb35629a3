#include <tessera/rtp/rtp_sender.h>

#include <algorithm>
#include <random>

namespace tessera::rtp {
namespace {

constexpr size_t kMaxHistorySize = 32768;  // lookups index by 16-bit sequence distance
constexpr int64_t kUsPerSecond = 1'000'000;

uint32_t RandomU32() {
  std::random_device rd;
  return rd();
}

// Wall time in ticks of clock_rate, rounded down; negative spans give negative ticks.
int64_t UsToTicks(int64_t us, uint32_t clock_rate) {
  return us / kUsPerSecond * clock_rate + us % kUsPerSecond * clock_rate / kUsPerSecond;
}

}  // namespace

RtpSender::RtpSender(Config config, Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      next_sequence_(config_.initial_sequence.value_or(static_cast<uint16_t>(RandomU32()))),
      last_timestamp_(config_.initial_timestamp.value_or(RandomU32())),
      last_timestamp_us_(clock.NowUs()) {
  config_.history_size = std::min(config_.history_size, kMaxHistorySize);
  if (config_.clock_rate == 0) config_.clock_rate = 90000;
}

RtpPacket RtpSender::Send(std::span<const uint8_t> payload, uint32_t source_timestamp, bool marker,
                          uint32_t source_id, std::span<const ExtensionElement> ext,
                          std::optional<int64_t> source_time_us) {
  const int64_t now_us = clock_.NowUs();
  const int64_t time_us = source_time_us.value_or(now_us);
  if (!source_id_ || *source_id_ != source_id) {
    uint32_t first_timestamp = last_timestamp_;
    if (source_id_) {
      // Continue the outgoing clock where wall time says it is at this payload's time, so the
      // switch looks like a pause to the receiver rather than a jump.
      const int64_t step =
          std::max<int64_t>(UsToTicks(time_us - last_timestamp_us_, config_.clock_rate), 1);
      first_timestamp = last_timestamp_ + static_cast<uint32_t>(step);
    }
    timestamp_offset_ = first_timestamp - source_timestamp;
    source_id_ = source_id;
    // Make the first timestamp of the new source count as new below.
    last_timestamp_ = first_timestamp - 1;
  }
  const uint32_t timestamp = source_timestamp + timestamp_offset_;
  if (TimestampNewer(timestamp, last_timestamp_)) {
    last_timestamp_ = timestamp;
    last_timestamp_us_ = time_us;
  }

  RtpHeader header;
  header.marker = marker;
  header.payload_type = config_.payload_type;
  header.sequence_number = next_sequence_++;
  header.timestamp = timestamp;
  header.ssrc = config_.ssrc;
  RtpPacket packet = RtpPacket::Build(header, ext, payload);

  ++packets_sent_;
  payload_octets_sent_ += payload.size();
  if (config_.history_size > 0) {
    history_.push_back({packet, now_us, std::nullopt});
    while (history_.size() > config_.history_size) history_.pop_front();
    ExpireHistory(now_us);
  }
  return packet;
}

std::vector<RtpPacket> RtpSender::OnNack(std::span<const uint16_t> seqs, int64_t now_us) {
  ExpireHistory(now_us);
  std::vector<RtpPacket> resend;
  for (uint16_t seq : seqs) {
    StoredPacket* stored = FindInHistory(seq);
    if (stored == nullptr) continue;
    if (now_us - stored->sent_us > config_.max_history_age_ms * 1000) continue;
    // The recipient asks again before our resend could have reached it; resending again would
    // only add load.
    if (stored->resent_us && now_us - *stored->resent_us < rtt_us_ / 2) continue;
    stored->resent_us = now_us;
    resend.push_back(stored->packet);
    ++packets_retransmitted_;
  }
  return resend;
}

void RtpSender::UpdateRtt(int64_t rtt_us) { rtt_us_ = std::max<int64_t>(rtt_us, 0); }

SenderReport RtpSender::BuildSenderReport(NtpTime now_ntp, int64_t now_us) const {
  SenderReport sr;
  sr.sender_ssrc = config_.ssrc;
  sr.ntp = now_ntp;
  sr.rtp_timestamp = last_timestamp_ + static_cast<uint32_t>(UsToTicks(now_us - last_timestamp_us_,
                                                                       config_.clock_rate));
  sr.packet_count = static_cast<uint32_t>(packets_sent_);
  sr.octet_count = static_cast<uint32_t>(payload_octets_sent_);
  return sr;
}

void RtpSender::ExpireHistory(int64_t now_us) {
  const int64_t max_age_us = config_.max_history_age_ms * 1000;
  while (!history_.empty() && now_us - history_.front().sent_us > max_age_us) {
    history_.pop_front();
  }
}

RtpSender::StoredPacket* RtpSender::FindInHistory(uint16_t seq) {
  if (history_.empty()) return nullptr;
  const auto index = static_cast<uint16_t>(seq - history_.front().packet.sequence_number());
  if (index >= history_.size()) return nullptr;
  return &history_[index];
}

}  // namespace tessera::rtp
