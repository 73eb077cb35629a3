#include "rtp/audio_packetizer.h"

namespace tessera::rtp {

AudioPacketizer::AudioPacketizer(const PacketizerConfig& config)
    : budget_(config.mtu > kRtpOverhead ? config.mtu - kRtpOverhead : 0) {}

std::vector<std::vector<uint8_t>> AudioPacketizer::Packetize(std::span<const uint8_t> frame,
                                                             bool /*keyframe*/) {
  std::vector<std::vector<uint8_t>> out;
  if (frame.empty() || frame.size() > budget_) return out;
  out.emplace_back(frame.begin(), frame.end());
  return out;
}

}  // namespace tessera::rtp
