// The PictureID field that VP8's (RFC 7741) and VP9's (RFC 9628) payload descriptors share: 7 bits,
// or 15 bits when the first byte's M bit is set.
#pragma once

#include <tessera/base/byte_io.h>

#include <cstdint>

namespace tessera::rtp {

struct PictureId {
  uint16_t value = 0;
  bool fifteen_bit = false;
};

// Reads the field at the reader's position (the reader's ok() says whether it was there whole).
inline PictureId ReadPictureId(ByteReader& r) {
  constexpr uint8_t kMBit = 0x80;
  const uint8_t m = r.U8();
  if (m & kMBit) return {static_cast<uint16_t>(((m & 0x7F) << 8) | r.U8()), true};
  return {static_cast<uint16_t>(m & 0x7F), false};
}

}  // namespace tessera::rtp
