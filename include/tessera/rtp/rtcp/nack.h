// Generic NACK (RFC 4585 6.2.1): RTPFB FMT 1, a list of lost sequence numbers packed as PID/BLP
// pairs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

// One FCI entry: pid is lost, and bit i of blp set means pid + i + 1 is lost as well.
struct NackItem {
  uint16_t pid = 0;
  uint16_t blp = 0;

  bool operator==(const NackItem&) const = default;
};

// Packs sequence numbers into the fewest FCI entries. Order and duplicates in seqs do not matter;
// sequence numbers are ordered modulo 2^16 relative to seqs[0], so a list that spans a wrap packs
// as well as one that does not.
std::vector<NackItem> PackNackItems(std::span<const uint16_t> seqs);
// Expands entries into the sequence numbers they name, in entry order, duplicates removed.
std::vector<uint16_t> UnpackNackItems(std::span<const NackItem> items);

struct Nack {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;  // the stream whose packets are missing
  std::vector<uint16_t> seqs;

  // Parse requires at least one FCI entry (RFC 4585 6.2.1).
  static std::optional<Nack> Parse(std::span<const uint8_t> packet);
  // An empty seqs list produces no packet.
  void Serialize(std::vector<uint8_t>& out) const;
  bool operator==(const Nack&) const = default;
};

}  // namespace tessera::rtp
