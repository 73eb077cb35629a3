// RTCP goodbye (RFC 3550 6.6): the sources leaving, with an optional reason.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tessera::rtp {

struct Bye {
  // At most 31 are serialized; later ones are dropped.
  std::vector<uint32_t> ssrcs;
  std::string reason;  // empty = none; at most 255 octets are serialized

  static std::optional<Bye> Parse(std::span<const uint8_t> packet);
  void Serialize(std::vector<uint8_t>& out) const;
  bool operator==(const Bye&) const = default;
};

}  // namespace tessera::rtp
