// AV1 bitstream helpers shared by the RTP payload format (the AV1 RTP specification) and the codec
// module: LEB128, OBU headers, the low overhead bitstream format (AV1 specification section 5)
// and the sequence header's maximum frame size. Every function is pure and never reads out of
// bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp::av1 {

// obu_type values (AV1 specification 6.2.2).
enum class ObuType : uint8_t {
  kSequenceHeader = 1,
  kTemporalDelimiter = 2,
  kFrameHeader = 3,
  kTileGroup = 4,
  kMetadata = 5,
  kFrame = 6,
  kRedundantFrameHeader = 7,
  kTileList = 8,
  kPadding = 15,
};

struct Leb128 {
  uint32_t value = 0;
  size_t size = 0;  // bytes it took
};
// leb128() (4.10.5): at most 8 bytes, values up to 2^32 - 1. nullopt when `data` ends inside it
// or the value is larger.
std::optional<Leb128> ReadLeb128(std::span<const uint8_t> data);
// Appends `value` in as few bytes as it takes.
void WriteLeb128(uint32_t value, std::vector<uint8_t>& out);

struct ObuHeader {
  ObuType type = ObuType::kPadding;  // as coded; values not listed above are kept as they are
  bool has_extension = false;
  bool has_size_field = false;
  uint8_t temporal_id = 0;  // from the extension header, else 0
  uint8_t spatial_id = 0;
  size_t header_size = 1;  // 1, or 2 with the extension header (the size field not included)
};
// The OBU header at the start of `obu` (5.3.2, 5.3.3). nullopt when `obu` is shorter than the
// header or the forbidden bit is set.
std::optional<ObuHeader> ParseObuHeader(std::span<const uint8_t> obu);

struct Obu {
  ObuHeader header;
  std::span<const uint8_t> header_bytes;  // the header (and extension) bytes as written
  std::span<const uint8_t> payload;       // what follows the header and the size field
};
// The OBUs of low overhead bitstream format data, in order: each with its size field, except
// that an OBU without one runs to the end of the data (as the last OBU of an RTP element does).
// Stops at the first malformed OBU (a bad header, a size past the end); `complete`, when given,
// says whether the whole of `data` was read. The payloads point into `data`.
std::vector<Obu> SplitObus(std::span<const uint8_t> data, bool* complete = nullptr);

// Appends one OBU in the low overhead format: `header_bytes` (the header byte, and the extension
// byte when it has one) with obu_has_size_field set, the payload size as LEB128, the payload.
void AppendObu(std::span<const uint8_t> header_bytes, std::span<const uint8_t> payload,
               std::vector<uint8_t>& out);

struct SequenceHeader {
  uint8_t profile = 0;  // seq_profile, 0..7
  bool reduced_still_picture_header = false;
  // max_frame_width_minus_1 + 1 and max_frame_height_minus_1 + 1: every frame of the coded
  // video sequence is at most this large (1..65536 each).
  uint32_t max_width = 0;
  uint32_t max_height = 0;
};
// Reads a sequence header OBU's payload (5.5) up to the maximum frame size. nullopt when it ends
// before that.
std::optional<SequenceHeader> ParseSequenceHeader(std::span<const uint8_t> payload);

}  // namespace tessera::rtp::av1
