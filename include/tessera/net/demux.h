// Demultiplexing of everything that arrives on one UDP port by its first byte (RFC 7983), and
// RTP versus RTCP by payload type (RFC 5761 section 4).
#pragma once

#include <cstdint>
#include <span>

namespace tessera::net {

enum class PacketClass : uint8_t { kStun, kZrtp, kDtls, kTurnChannel, kRtp, kRtcp, kUnknown };

PacketClass ClassifyPacket(std::span<const uint8_t> data);
const char* PacketClassName(PacketClass c);

}  // namespace tessera::net
