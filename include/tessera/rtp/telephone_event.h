// RFC 4733 telephone-event payloads (DTMF digits sent as named events over RTP) and a detector that
// turns a stream of them into digits, each digit reported once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace tessera::rtp {

// One event block of a telephone-event payload (RFC 4733 2.3).
struct TelephoneEvent {
  uint8_t event = 0;      // 0-9, 10 '*', 11 '#', 12-15 'A'-'D'; other values are not DTMF
  bool end = false;       // E bit: the last packet(s) of the event
  uint8_t volume = 0;     // 0-63, power level in -dBm0 (0 is loudest)
  uint16_t duration = 0;  // in RTP timestamp units since the event's RTP timestamp
};

// Reads the first 4-byte event block of `payload`; nullopt when it has fewer than 4 bytes. Further
// blocks (RFC 2198 redundancy uses its own payload type) are not read.
std::optional<TelephoneEvent> ParseTelephoneEvent(std::span<const uint8_t> payload);

// The DTMF character of an event code: 0-9 '0'-'9', 10 '*', 11 '#', 12-15 'A'-'D', else 0.
char DtmfEventChar(uint8_t event);

// Turns the telephone-event packets of one RTP stream into digits, each reported exactly once.
// All packets of one event share its RTP timestamp, the end packet is sent three times, and
// packets may arrive reordered or duplicated: an event is reported on the first packet with a new
// timestamp that carries a DTMF event (0-15), and the last kRememberedEvents timestamps are
// remembered so late duplicates never report it again.
// Runs on: the participant's network shard. Not thread-safe.
class DtmfDetector {
 public:
  static constexpr size_t kRememberedEvents = 8;

  // rtp_timestamp: the packet's RTP timestamp (the event's start, in the payload's clock);
  // payload: the RTP payload of a telephone-event packet. Returns the digit when this packet
  // starts an event not seen before, else nullopt.
  [[nodiscard]] std::optional<char> OnPacket(uint32_t rtp_timestamp,
                                             std::span<const uint8_t> payload);

  // Payloads shorter than one event block.
  uint64_t malformed() const { return malformed_; }
  // Well-formed packets whose event is not DTMF (above 15: tones, line events).
  uint64_t non_dtmf() const { return non_dtmf_; }

 private:
  bool Seen(uint32_t rtp_timestamp) const;

  std::array<uint32_t, kRememberedEvents> recent_{};  // ring of event timestamps
  size_t recent_count_ = 0;                           // valid entries of recent_
  size_t next_slot_ = 0;                              // where the next timestamp goes
  uint64_t malformed_ = 0;
  uint64_t non_dtmf_ = 0;
};

}  // namespace tessera::rtp
