// VP9 RTP packetizer (RFC 9628).
#pragma once

#include <tessera/rtp/packetizer.h>

#include <cstddef>
#include <cstdint>

namespace tessera::rtp {

// Runs on: whichever executor owns it (the room strand that encodes). Stateful: the PictureID.
//
// Non-flexible mode, one spatial and one temporal layer (what the room's encoder makes). Every
// payload starts with I = 1 and a 15-bit PictureID (M = 1), P = 1 unless the frame is a keyframe,
// L = F = 0, B on the first payload of the frame and E on its last. A keyframe's first payload
// also carries the scalability structure (V = 1): one spatial layer with its resolution, read
// from the frame's uncompressed header (Y = 0 when it does not read), and a picture group of one
// picture that references the one before (G = 1, N_G = 1). The frame is split into payloads of
// nearly equal size within mtu - kRtpOverhead bytes.
class Vp9Packetizer final : public Packetizer {
 public:
  static constexpr size_t kDescriptorSize = 3;
  // The scalability structure of a keyframe's first payload, at most.
  static constexpr size_t kMaxScalabilityStructureSize = 8;

  explicit Vp9Packetizer(const PacketizerConfig& config, uint16_t first_picture_id = 0);

  // Empty result for an empty frame or an MTU that leaves fewer than 32 bytes of payload budget.
  // Each call with a non-empty result uses one PictureID, the next one modulo 2^15.
  std::vector<std::vector<uint8_t>> Packetize(std::span<const uint8_t> frame,
                                              bool keyframe) override;

  // The PictureID the next frame will carry.
  uint16_t next_picture_id() const { return picture_id_; }

 private:
  size_t budget_;
  uint16_t picture_id_;
};

}  // namespace tessera::rtp
