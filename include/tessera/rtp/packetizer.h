// Packetizers split one encoded frame into RTP payloads that fit the MTU. The caller builds the
// RTP header (sequence, timestamp, SSRC) and sets the marker on the last payload for video.
#pragma once

#include <tessera/rtp/codec.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace tessera::rtp {

inline constexpr size_t kDefaultMtu = 1200;
// Bytes the RTP header, SRTP tag and a few header extensions may take out of the MTU.
inline constexpr size_t kRtpOverhead = 12 + 16 + 16;

struct PacketizerConfig {
  size_t mtu = kDefaultMtu;  // maximum RTP packet size on the wire, headers included
  // H.264 packetization-mode: 0 = single NAL unit only, 1 = non-interleaved (STAP-A, FU-A).
  int h264_packetization_mode = 1;
};

// Runs on: whichever executor owns it. Stateful only where the format needs it (VP8 and VP9
// picture ids).
class Packetizer {
 public:
  virtual ~Packetizer() = default;
  // Splits a frame (H.264 Annex B; VP8 or VP9 frame; AV1 temporal unit; audio: one packet's
  // worth) into payloads, each at most mtu - kRtpOverhead bytes. Returns an empty vector when the
  // frame cannot be sent within the limits (H.264 mode 0 with a NAL unit larger than the payload
  // budget): the caller counts.
  virtual std::vector<std::vector<uint8_t>> Packetize(std::span<const uint8_t> frame,
                                                      bool keyframe) = 0;
};

std::unique_ptr<Packetizer> CreatePacketizer(Codec codec, const PacketizerConfig& config = {});

}  // namespace tessera::rtp
