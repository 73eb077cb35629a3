// H.264 (ITU-T H.264 / ISO 14496-10) bitstream helpers shared by the RTP payload format and the
// codec module: Annex B NAL unit splitting, NAL unit types, an exp-Golomb bit reader and a
// minimal sequence parameter set parser. Every function is pure and never reads out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp::h264 {

// nal_unit_type values (H.264 Table 7-1) and the RTP packet types of RFC 6184 (24-29).
enum class NalType : uint8_t {
  kSlice = 1,  // coded slice of a non-IDR picture
  kSliceDataA = 2,
  kSliceDataB = 3,
  kSliceDataC = 4,
  kIdr = 5,  // coded slice of an IDR picture
  kSei = 6,
  kSps = 7,
  kPps = 8,
  kAud = 9,
  kEndOfSequence = 10,
  kEndOfStream = 11,
  kFiller = 12,
  kStapA = 24,
  kStapB = 25,
  kMtap16 = 26,
  kMtap24 = 27,
  kFuA = 28,
  kFuB = 29,
};

inline constexpr uint8_t kNalTypeMask = 0x1F;
// The 4-byte start code written before every NAL unit this project emits.
inline constexpr uint8_t kStartCode[4] = {0, 0, 0, 1};

// The nal_unit_type of a NAL unit header byte (0..31).
inline uint8_t NalTypeOf(uint8_t nal_header) { return nal_header & kNalTypeMask; }
inline bool Is(uint8_t type, NalType t) { return type == static_cast<uint8_t>(t); }
// Coded slice of a picture (non-IDR or IDR), the NAL units that carry first_mb_in_slice first.
inline bool IsSlice(uint8_t type) { return Is(type, NalType::kSlice) || Is(type, NalType::kIdr); }
// A NAL unit type a single-NAL-unit RTP packet may carry (RFC 6184 5.6: 1-23).
inline bool IsSingleNalType(uint8_t type) { return type >= 1 && type <= 23; }

// Splits an Annex B byte stream at its 3-byte (00 00 01) and 4-byte (00 00 00 01) start codes.
// Each span is one NAL unit, header byte first, without start code or trailing zero bytes; empty
// NAL units are left out, and so are bytes before the first start code. The spans point into
// `stream`. A stream without any start code yields no NAL units.
std::vector<std::span<const uint8_t>> SplitAnnexB(std::span<const uint8_t> stream);

// The RBSP of a NAL unit payload: `escaped` with every emulation prevention byte (the 03 of
// 00 00 03) removed.
std::vector<uint8_t> UnescapeRbsp(std::span<const uint8_t> escaped);

// Reads bits most significant first, with exp-Golomb codes (H.264 9.1). Reads past the end fail
// (nullopt) and leave the reader failed; it never reads out of bounds. It reads the bytes as
// given: callers unescape emulation prevention bytes first where the values matter.
class BitReader {
 public:
  explicit BitReader(std::span<const uint8_t> data) : data_(data) {}

  // n = 0..32 bits as an unsigned value.
  std::optional<uint32_t> ReadBits(int n);
  std::optional<bool> ReadFlag();
  // ue(v); codes longer than 32 bits (values >= 2^32 - 1) fail.
  std::optional<uint32_t> ReadUe();
  // se(v).
  std::optional<int32_t> ReadSe();
  bool Skip(size_t bits);

  bool ok() const { return ok_; }
  size_t bits_left() const { return ok_ ? data_.size() * 8 - pos_ : 0; }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;  // in bits
  bool ok_ = true;
};

struct SpsInfo {
  uint8_t profile_idc = 0;
  uint8_t level_idc = 0;
  uint32_t sps_id = 0;
  // Displayed picture size in luma samples, frame cropping applied.
  uint16_t width = 0;
  uint16_t height = 0;
};

// Parses a sequence parameter set NAL unit (header byte included, emulation prevention bytes
// as on the wire) far enough to know the picture size. nullopt when `nal` is not an SPS or
// anything in it is out of range or truncated.
std::optional<SpsInfo> ParseSps(std::span<const uint8_t> nal);

// first_mb_in_slice of a slice NAL unit (header byte included); nullopt if truncated. A value of
// 0 means the slice begins a new picture.
std::optional<uint32_t> FirstMbInSlice(std::span<const uint8_t> nal);

}  // namespace tessera::rtp::h264
