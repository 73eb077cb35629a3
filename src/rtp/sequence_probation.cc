#include <tessera/rtp/sequence_probation.h>

#include <utility>

namespace tessera::rtp {
namespace {

constexpr int kSeqMod = 1 << 16;

// `packet` is the one after `held`: same SSRC, the next sequence number.
bool Follows(const RtpPacket& packet, const std::optional<RtpPacket>& held) {
  return held && packet.ssrc() == held->ssrc() &&
         packet.sequence_number() == static_cast<uint16_t>(held->sequence_number() + 1);
}

}  // namespace

SequenceProbation::Decision SequenceProbation::OnPacket(const RtpPacket& packet) {
  Decision d;
  const uint16_t seq = packet.sequence_number();
  if (!ssrc_) {
    ssrc_ = packet.ssrc();
    max_seq_ = seq;
    d.kind = Kind::kNewStream;
    return d;
  }
  // Only the very next packet can confirm the one on probation: whatever comes, it is let go.
  std::optional<RtpPacket> held = std::exchange(held_, std::nullopt);
  const bool same_ssrc = packet.ssrc() == *ssrc_;
  if (same_ssrc) {
    const int udelta = static_cast<uint16_t>(seq - max_seq_);
    if (udelta < kMaxDropout) {
      max_seq_ = seq;  // in order, gaps allowed (0: a duplicate of the highest)
      return d;
    }
    if (udelta > kSeqMod - kMaxMisorder) return d;  // reordered or duplicated
  }
  // Another SSRC, or a jump: on probation unless it confirms the packet held.
  if (Follows(packet, held)) {
    if (same_ssrc) {
      ++jumps_;
    } else {
      ++ssrc_changes_;
    }
    ssrc_ = packet.ssrc();
    max_seq_ = seq;
    d.kind = Kind::kConfirmed;
    d.held = std::move(held);
    return d;
  }
  held_ = packet;
  d.kind = Kind::kProbation;
  d.reason = same_ssrc ? DropReason::kSequenceJump : DropReason::kUnknownSsrc;
  return d;
}

}  // namespace tessera::rtp
