// H.264 RTP packetizer (RFC 6184) for packetization modes 0 and 1.
#pragma once

#include <tessera/rtp/packetizer.h>

namespace tessera::rtp {

// Runs on: whichever executor owns it (the room strand that encodes). Stateless between frames.
//
// Mode 1: NAL units that fit the payload budget (mtu - kRtpOverhead bytes) go as single NAL unit
// packets, runs of consecutive NAL units that fit together (SPS + PPS, small slices) as one
// STAP-A, and larger NAL units as FU-A fragments of nearly equal size. Mode 0: one single NAL
// unit packet per NAL unit; a NAL unit larger than the budget makes the whole frame unsendable.
class H264Packetizer final : public Packetizer {
 public:
  explicit H264Packetizer(const PacketizerConfig& config);

  // `frame` is Annex B (3- or 4-byte start codes, stripped); empty NAL units are ignored.
  // `keyframe` is not needed: the NAL unit types say it. Empty result when the frame has no NAL
  // unit, has one of type 0 or 24-31 (which RTP cannot carry), or cannot be sent within the
  // budget.
  std::vector<std::vector<uint8_t>> Packetize(std::span<const uint8_t> frame,
                                              bool keyframe) override;

 private:
  size_t budget_;
  bool single_nal_only_;
};

}  // namespace tessera::rtp
