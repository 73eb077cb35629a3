// Temporary maximum media stream bitrate notification (RFC 5104 4.2.2): RTPFB FMT 4, the
// bounding set the media sender currently honours.
#pragma once

#include <tessera/rtp/rtcp/tmmbr.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

struct Tmmbn {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;      // RFC 5104 says 0
  std::vector<TmmbItem> items;  // may be empty: no limit in force

  static std::optional<Tmmbn> Parse(std::span<const uint8_t> packet);
  void Serialize(std::vector<uint8_t>& out) const;
  bool operator==(const Tmmbn&) const = default;
};

}  // namespace tessera::rtp
