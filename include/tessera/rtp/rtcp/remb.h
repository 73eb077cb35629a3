// Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb-03): PSFB FMT 15 (application
// layer feedback) with the "REMB" identifier.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

struct Remb {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;   // always 0 per the draft
  uint64_t bitrate_bps = 0;  // serialized as 18-bit mantissa * 2^exp, rounded down
  // The streams the estimate applies to; at most 255 are serialized.
  std::vector<uint32_t> ssrcs;

  // nullopt for an application-layer feedback packet that is not REMB, a bitrate that overflows
  // 64 bits, or an SSRC list longer than the packet.
  static std::optional<Remb> Parse(std::span<const uint8_t> packet);
  void Serialize(std::vector<uint8_t>& out) const;
  bool operator==(const Remb&) const = default;
};

// True when an application-layer feedback FCI starts with the "REMB" identifier.
bool IsRembFci(std::span<const uint8_t> fci);

}  // namespace tessera::rtp
