// AV1 RTP packetizer (the AOM "RTP Payload Format For AV1"). The room sends no AV1 (there is no
// AV1 encoder); this is the sending side of the format for tests and tools that play senders.
#pragma once

#include <tessera/rtp/packetizer.h>

#include <cstddef>
#include <cstdint>

namespace tessera::rtp {

// Runs on: whichever executor owns it. Stateless.
//
// The frame is a temporal unit in the low overhead bitstream format (OBUs with size fields, as
// libaom and libavcodec write them). Temporal delimiters, tile lists and padding are left out;
// every other OBU becomes one OBU element without its size field, fragmented across packets
// where it does not fit (Y, then Z). Every element has a length field (W = 0). N is set on the
// first packet of a keyframe that carries a sequence header.
class Av1Packetizer final : public Packetizer {
 public:
  explicit Av1Packetizer(const PacketizerConfig& config);

  // Empty result for a frame with no OBU to send, a frame that does not read as OBUs to its
  // end, or an MTU that leaves fewer than 8 bytes of payload budget.
  std::vector<std::vector<uint8_t>> Packetize(std::span<const uint8_t> frame,
                                              bool keyframe) override;

 private:
  size_t budget_;
};

}  // namespace tessera::rtp
