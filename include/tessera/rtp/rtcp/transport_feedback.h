// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
// 3.1): RTPFB FMT 15. Acknowledges, for a run of transport-wide sequence numbers starting at
// base_sequence, which packets arrived and when.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

inline constexpr uint8_t kTransportFeedbackFmt = 15;

struct TransportFeedback {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  uint16_t base_sequence = 0;
  // 24-bit signed reference time in multiples of 64 ms (wire value, sign-extended).
  int32_t reference_time = 0;
  uint8_t feedback_count = 0;  // feedback packet count, wraps
  // One entry per packet from base_sequence on (so packet i has sequence base_sequence + i,
  // mod 2^16): its arrival time in microseconds on the feedback's own timeline
  // (reference_time * 64000 plus the deltas so far), or nullopt when not received.
  // Serialize rounds each delta to 250 us ticks (deltas relative to the previous *serialized*
  // time, so rounding errors never accumulate).
  std::vector<std::optional<int64_t>> arrivals_us;

  // nullopt for a packet that is not a valid transport feedback: wrong PT/FMT, status count 0,
  // chunks or deltas running past the end, reserved symbol 11, a run-length chunk of symbol 11.
  // Trailing zero padding (and the P bit) is accepted; trailing bytes that are not zero are not.
  // Symbols a chunk has beyond the status count are ignored.
  static std::optional<TransportFeedback> Parse(std::span<const uint8_t> packet);
  // Appends the packet (header included, zero-padded to 32 bits without the P bit, like the
  // draft's figure, so it may sit anywhere in a compound). Deltas that fit 0..255 ticks use the
  // 1-byte form, others the 2-byte signed form. Chooses chunks sensibly: run-length chunks for
  // runs of 7+ identical symbols where that is shorter, else 1-bit vectors (14 symbols) when the
  // symbols are only "not received"/"small delta", else 2-bit vectors (7 symbols).
  // Precondition, checked by CanSerialize: 1..65535 entries (the first may be a loss: a feedback
  // starts where the last one ended), every delta between consecutive received packets within a
  // signed 16-bit tick count. When it does not hold
  // nothing is appended.
  void Serialize(std::vector<uint8_t>& out) const;
  // True when Serialize can encode it (see the precondition; also reference_time within 24 bits
  // signed, and the first received one's delta from reference_time * 64000 within 16 bits signed).
  bool CanSerialize() const;
  bool operator==(const TransportFeedback&) const = default;
};

}  // namespace tessera::rtp
