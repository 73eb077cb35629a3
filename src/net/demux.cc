#include <tessera/net/demux.h>

namespace tessera::net {

PacketClass ClassifyPacket(std::span<const uint8_t> data) {
  if (data.empty()) return PacketClass::kUnknown;
  const uint8_t b = data[0];
  if (b <= 3) return PacketClass::kStun;
  if (b >= 16 && b <= 19) return PacketClass::kZrtp;
  if (b >= 20 && b <= 63) return PacketClass::kDtls;
  if (b >= 64 && b <= 79) return PacketClass::kTurnChannel;
  if (b >= 128 && b <= 191) {
    // RTCP packet types 192..223 (SR, RR, SDES, BYE, APP, RTPFB, PSFB, XR, ...) collide with RTP
    // payload types 64..95 with the marker bit set, which is why those RTP types are not used.
    if (data.size() < 2) return PacketClass::kUnknown;
    const uint8_t pt = data[1];
    if (pt >= 192 && pt <= 223) return PacketClass::kRtcp;
    return PacketClass::kRtp;
  }
  return PacketClass::kUnknown;
}

const char* PacketClassName(PacketClass c) {
  switch (c) {
    case PacketClass::kStun:
      return "stun";
    case PacketClass::kZrtp:
      return "zrtp";
    case PacketClass::kDtls:
      return "dtls";
    case PacketClass::kTurnChannel:
      return "turn_channel";
    case PacketClass::kRtp:
      return "rtp";
    case PacketClass::kRtcp:
      return "rtcp";
    case PacketClass::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace tessera::net
