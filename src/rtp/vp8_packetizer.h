// VP8 RTP packetizer (RFC 7741).
#pragma once

#include <tessera/rtp/packetizer.h>

#include <cstdint>

namespace tessera::rtp {

// Runs on: whichever executor owns it (the room strand that encodes). Stateful: the PictureID.
//
// Every payload starts with a 4-byte descriptor: X = 1, I = 1, M = 1 (15-bit PictureID), S = 1
// on the first payload of the frame only, PID = 0, N = 0. The frame is split into payloads of
// nearly equal size within mtu - kRtpOverhead bytes.
class Vp8Packetizer final : public Packetizer {
 public:
  static constexpr size_t kDescriptorSize = 4;

  explicit Vp8Packetizer(const PacketizerConfig& config, uint16_t first_picture_id = 0);

  // Empty result for a frame shorter than the 3-byte VP8 frame tag or an MTU that leaves fewer
  // than 7 bytes after the descriptor. Each call with a non-empty result uses one PictureID, the
  // next one modulo 2^15.
  std::vector<std::vector<uint8_t>> Packetize(std::span<const uint8_t> frame,
                                              bool keyframe) override;

  // The PictureID the next frame will carry.
  uint16_t next_picture_id() const { return picture_id_; }

 private:
  size_t budget_;
  uint16_t picture_id_;
};

}  // namespace tessera::rtp
