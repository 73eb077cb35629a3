// Picture loss indication (RFC 4585 6.3.1): PSFB FMT 1, no FCI.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

struct Pli {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;  // the stream that needs a keyframe

  // Any FCI bytes are ignored.
  static std::optional<Pli> Parse(std::span<const uint8_t> packet);
  void Serialize(std::vector<uint8_t>& out) const;
  bool operator==(const Pli&) const = default;
};

}  // namespace tessera::rtp
