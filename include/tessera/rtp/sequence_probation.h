// Source validation of one incoming RTP stream (RFC 3550 appendix A.1): which SSRC the stream is
// and where its sequence numbers are, so that one stray packet cannot move the receiver's window.
#pragma once

#include <tessera/base/metrics.h>
#include <tessera/rtp/rtp_packet.h>

#include <cstdint>
#include <optional>

namespace tessera::rtp {

// The rules (RFC 3550 A.1, with MAX_DROPOUT 3000, MAX_MISORDER 100, MIN_SEQUENTIAL 2):
// - The first packet starts the stream at once: there is no stream yet to protect, and the
//   transport's source latch has vouched for where it came from.
// - A packet of the stream's SSRC less than kMaxDropout ahead of the highest sequence number, or
//   at most kMaxMisorder behind it, belongs to the stream (gaps, reordering and duplicates are the
//   jitter buffer's business).
// - A packet of another SSRC, or one further ahead or behind (a jump), is on probation: it is
//   dropped (unknown_ssrc, sequence_jump) and kept. When the very next packet is the one after it
//   (same SSRC, sequence number + 1) the new stream or the jump is confirmed (RFC 3550's bad_seq
//   with MIN_SEQUENTIAL packets in sequence): the receiver starts the stream afresh with the kept
//   packet and then this one, so a sender that restarted loses nothing. Any other packet in
//   between ends the probation: a packet the stream's sender sends in between (interleaved with a
//   spoofed burst) keeps the window where it is.
//
// RFC 3550 A.1 keeps bad_seq across in-order packets; here only the very next packet confirms,
// which a burst interleaved with the real stream cannot satisfy. It also makes a first source
// wait for MIN_SEQUENTIAL packets; here the first source is taken at once (see above).
//
// Runs on: its receiver's executor (not thread-safe).
class SequenceProbation {
 public:
  static constexpr uint16_t kMaxDropout = 3000;
  static constexpr uint16_t kMaxMisorder = 100;
  static constexpr int kMinSequential = 2;

  enum class Kind : uint8_t {
    kAccept,     // belongs to the stream
    kNewStream,  // the first packet: the stream starts with it
    kProbation,  // dropped for `reason` and kept until the next packet
    kConfirmed,  // confirmed `held`: the stream starts afresh with `held`, then this packet
  };

  struct Decision {
    Kind kind = Kind::kAccept;
    // kProbation: kUnknownSsrc or kSequenceJump.
    DropReason reason = DropReason::kSequenceJump;
    // kConfirmed: the packet kept on probation, which comes before this one.
    std::optional<RtpPacket> held;
  };

  [[nodiscard]] Decision OnPacket(const RtpPacket& packet);

  // The stream's SSRC; unset before the first packet.
  std::optional<uint32_t> ssrc() const { return ssrc_; }
  // The highest sequence number of the stream (meaningful once ssrc() is set).
  uint16_t max_seq() const { return max_seq_; }
  // Confirmed changes of SSRC, and confirmed jumps within one SSRC.
  uint64_t ssrc_changes() const { return ssrc_changes_; }
  uint64_t jumps() const { return jumps_; }

 private:
  std::optional<uint32_t> ssrc_;
  uint16_t max_seq_ = 0;
  std::optional<RtpPacket> held_;
  uint64_t ssrc_changes_ = 0;
  uint64_t jumps_ = 0;
};

}  // namespace tessera::rtp
