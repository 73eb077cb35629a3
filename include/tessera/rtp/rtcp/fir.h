// Full intra request (RFC 5104 4.3.1): PSFB FMT 4, one (SSRC, sequence number) entry per target.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

struct FirEntry {
  uint32_t ssrc = 0;   // the stream that should send a decoder refresh point
  uint8_t seq_nr = 0;  // incremented by the requester for each new request to this ssrc

  bool operator==(const FirEntry&) const = default;
};

struct Fir {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;  // RFC 5104 says 0; targets are in entries
  std::vector<FirEntry> entries;

  // Parse requires at least one entry.
  static std::optional<Fir> Parse(std::span<const uint8_t> packet);
  // No entries produce no packet.
  void Serialize(std::vector<uint8_t>& out) const;
  bool operator==(const Fir&) const = default;
};

}  // namespace tessera::rtp
