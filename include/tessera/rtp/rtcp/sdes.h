// RTCP source description (RFC 3550 6.5): chunks of (SSRC, items), CNAME being the one that
// matters.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tessera::rtp {

enum class SdesItemType : uint8_t {
  kCname = 1,
  kName = 2,
  kEmail = 3,
  kPhone = 4,
  kLoc = 5,
  kTool = 6,
  kNote = 7,
  kPriv = 8,
};

struct SdesItem {
  uint8_t type = 0;   // an SdesItemType value; others are kept as they are
  std::string value;  // at most 255 octets are serialized

  bool operator==(const SdesItem&) const = default;
};

struct SdesChunk {
  uint32_t ssrc = 0;
  std::vector<SdesItem> items;

  bool operator==(const SdesChunk&) const = default;
};

struct Sdes {
  // At most 31 chunks are serialized; later ones are dropped.
  std::vector<SdesChunk> chunks;

  // A one-chunk SDES carrying just the CNAME.
  static Sdes WithCname(uint32_t ssrc, std::string cname);
  // The CNAME given for ssrc, if any.
  std::optional<std::string> Cname(uint32_t ssrc) const;

  static std::optional<Sdes> Parse(std::span<const uint8_t> packet);
  void Serialize(std::vector<uint8_t>& out) const;
  bool operator==(const Sdes&) const = default;
};

}  // namespace tessera::rtp
