// Audio RTP packetizer for Opus (RFC 7587), G.711 and G.722 (RFC 3551): one frame, one payload.
#pragma once

#include <tessera/rtp/packetizer.h>

namespace tessera::rtp {

// Runs on: whichever executor owns it (the room strand that encodes). Stateless.
class AudioPacketizer final : public Packetizer {
 public:
  explicit AudioPacketizer(const PacketizerConfig& config);

  // One payload equal to `frame`; empty result when the frame is empty or larger than
  // mtu - kRtpOverhead bytes (audio frames are never fragmented).
  std::vector<std::vector<uint8_t>> Packetize(std::span<const uint8_t> frame,
                                              bool keyframe) override;

 private:
  size_t budget_;
};

}  // namespace tessera::rtp
