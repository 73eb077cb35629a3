// The byte layout of chunk_file.h, shared by its writer and reader.
#pragma once

#include <tessera/base/status.h>
#include <tessera/recorder/chunk_file.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace tessera::recorder::format {

inline constexpr std::string_view kMagic = "TESSERAREC1\n";
inline constexpr size_t kHeaderLengthBytes = 4;
inline constexpr size_t kMaxHeaderJson = 64 * 1024;
inline constexpr size_t kChunkHeaderBytes = 4 + 8 + 1;  // length, index, flags
inline constexpr size_t kTagBytes = 16;
inline constexpr size_t kNonceBytes = 12;
inline constexpr size_t kAadBytes = 32 + 8 + 1;
inline constexpr uint8_t kFlagFinal = 1;

using Sha256Digest = std::array<uint8_t, 32>;

// Magic, length and JSON: the bytes before the first chunk, which the AAD's hash covers.
std::vector<uint8_t> SerializeHeader(const RecordingHeader& header);
// The JSON part; kInvalidArgument naming the field that is wrong.
StatusOr<RecordingHeader> ParseHeaderJson(std::span<const uint8_t> json);

Sha256Digest Sha256(std::span<const uint8_t> bytes);
std::array<uint8_t, kNonceBytes> Nonce(const std::array<uint8_t, 4>& prefix, uint64_t index);
std::array<uint8_t, kAadBytes> Aad(const Sha256Digest& header_hash, uint64_t index, uint8_t flags);

inline void WriteBe64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}
inline uint64_t ReadBe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace tessera::recorder::format
