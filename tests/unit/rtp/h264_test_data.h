// Real H.264 parameter sets and synthetic NAL units for payload format tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tessera::rtp::testing {

// Generated once with
//   ffmpeg -f lavfi -i testsrc=size=WxH -frames:v 1 -c:v libx264 -pix_fmt yuv420p -f h264 -
// (x264 core 164, High profile, frame cropping for 360 lines).
inline const std::vector<uint8_t> kSps640x360 = {
    0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00,
    0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f, 0x16, 0x2d, 0x96};
inline const std::vector<uint8_t> kSps1280x720 = {
    0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00,
    0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xf1, 0x83, 0x19, 0x60};
inline const std::vector<uint8_t> kPps = {0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0};

// A NAL unit of `size` bytes: `header`, then bytes that are never zero (so no start code or
// emulation prevention pattern can appear), the first of which has its top bit set
// (first_mb_in_slice = 0 for a slice) unless `first_mb_zero` is false.
inline std::vector<uint8_t> MakeNal(uint8_t header, size_t size, uint32_t seed = 1,
                                    bool first_mb_zero = true) {
  std::vector<uint8_t> nal;
  nal.reserve(size);
  nal.push_back(header);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 1; i < size; ++i) {
    x = x * 1664525u + 1013904223u;
    nal.push_back(static_cast<uint8_t>(1 + (x >> 24) % 255));
  }
  if (size > 1) {
    nal[1] = first_mb_zero ? static_cast<uint8_t>(nal[1] | 0x80) : uint8_t{0x40};
  }
  return nal;
}

// Annex B byte stream of `nals`, each preceded by a start code of 3 or 4 bytes.
inline std::vector<uint8_t> AnnexB(const std::vector<std::vector<uint8_t>>& nals,
                                   size_t start_code_size = 4) {
  std::vector<uint8_t> out;
  for (const auto& nal : nals) {
    if (start_code_size == 4) out.push_back(0);
    out.insert(out.end(), {0, 0, 1});
    out.insert(out.end(), nal.begin(), nal.end());
  }
  return out;
}

inline std::vector<uint8_t> Concat(std::span<const std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace tessera::rtp::testing
