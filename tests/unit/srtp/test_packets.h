// Plain RTP and RTCP packets for the SRTP tests, built byte by byte so the tests do not depend on
// the rtp module.
#pragma once

#include <tessera/base/byte_io.h>
#include <tessera/srtp/srtp_suite.h>

#include <cstdint>
#include <vector>

namespace tessera::srtp::testing {

inline const std::vector<uint8_t>& TestKey(SrtpSuite suite) {
  static const std::vector<uint8_t> kAesCm = {
      0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
      0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
  static const std::vector<uint8_t> kGcm(kAesCm.begin(), kAesCm.begin() + 28);
  return suite == SrtpSuite::kAeadAes128Gcm ? kGcm : kAesCm;
}

// V=2, PT 96, the given sequence number and SSRC, `csrcs` CSRCs, an optional one-byte-form header
// extension of `extension_words` 32-bit words, and `payload_size` bytes of a counting pattern.
inline std::vector<uint8_t> MakeRtp(uint16_t seq, uint32_t ssrc = 0x11223344,
                                    size_t payload_size = 160, uint8_t csrcs = 0,
                                    uint16_t extension_words = 0) {
  std::vector<uint8_t> packet;
  ByteWriter w(packet);
  const bool has_extension = extension_words > 0;
  w.U8(static_cast<uint8_t>(0x80 | (has_extension ? 0x10 : 0) | csrcs));
  w.U8(96);
  w.U16(seq);
  w.U32(uint32_t{seq} * 960);
  w.U32(ssrc);
  for (uint8_t i = 0; i < csrcs; ++i) w.U32(0xC0000000u + i);
  if (has_extension) {
    w.U16(0xBEDE);
    w.U16(extension_words);
    for (uint16_t i = 0; i < extension_words; ++i) w.U32(0x10AB0000u + i);
  }
  for (size_t i = 0; i < payload_size; ++i) w.U8(static_cast<uint8_t>(i * 7 + seq));
  return packet;
}

// A compound RTCP packet: a sender report without report blocks, then an SDES CNAME chunk.
inline std::vector<uint8_t> MakeRtcp(uint32_t ssrc = 0x11223344, uint32_t rtp_timestamp = 48000) {
  std::vector<uint8_t> packet;
  ByteWriter w(packet);
  w.U8(0x80);  // V=2, RC=0.
  w.U8(200);   // SR.
  w.U16(6);    // Length in 32-bit words minus one.
  w.U32(ssrc);
  w.U32(0xE8D4A510);  // NTP seconds.
  w.U32(0x80000000);  // NTP fraction.
  w.U32(rtp_timestamp);
  w.U32(100);    // Packet count.
  w.U32(16000);  // Octet count.
  w.U8(0x81);    // V=2, SC=1.
  w.U8(202);     // SDES.
  w.U16(3);
  w.U32(ssrc);
  w.U8(1);  // CNAME.
  w.U8(5);
  for (char c : {'a', 'l', 'i', 'c', 'e'}) w.U8(static_cast<uint8_t>(c));
  w.U8(0);  // End of items; pads the chunk to 12 bytes.
  return packet;
}

}  // namespace tessera::srtp::testing
