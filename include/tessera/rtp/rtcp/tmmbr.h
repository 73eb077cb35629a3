// Temporary maximum media stream bitrate request (RFC 5104 4.2.1): RTPFB FMT 3.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

// One FCI entry, shared by TMMBR and TMMBN.
struct TmmbItem {
  uint32_t ssrc = 0;             // the media sender the limit applies to
  uint64_t bitrate_bps = 0;      // serialized as 17-bit mantissa * 2^exp, rounded down
  uint16_t packet_overhead = 0;  // measured per-packet overhead in bytes; 9 bits, clamped

  bool operator==(const TmmbItem&) const = default;
};

struct Tmmbr {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;  // RFC 5104 says 0; targets are in items
  std::vector<TmmbItem> items;

  // Parse requires at least one entry.
  static std::optional<Tmmbr> Parse(std::span<const uint8_t> packet);
  // No items produce no packet.
  void Serialize(std::vector<uint8_t>& out) const;
  bool operator==(const Tmmbr&) const = default;
};

// Shared by TMMBR and TMMBN: reads 8-byte entries from a whole FCI (nullopt when the size is not
// a multiple of 8 or a bitrate overflows), and appends entries.
std::optional<std::vector<TmmbItem>> ParseTmmbItems(std::span<const uint8_t> fci);
void SerializeTmmbItems(std::span<const TmmbItem> items, std::vector<uint8_t>& out);

}  // namespace tessera::rtp
