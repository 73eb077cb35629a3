#include <tessera/rtp/av1_bitstream.h>
#include <tessera/rtp/h264_bitstream.h>

#include <cstdint>

namespace tessera::rtp::av1 {
namespace {

constexpr uint8_t kForbiddenBit = 0x80;
constexpr uint8_t kExtensionFlag = 0x04;
constexpr uint8_t kHasSizeField = 0x02;
constexpr size_t kMaxLeb128Bytes = 8;

// The syntax only reads bits; the values that matter are kept.
using Reader = h264::BitReader;

// uvlc() (4.10.3); values of 32 leading zeros or more read as 2^32 - 1, as the specification says.
bool SkipUvlc(Reader& r) {
  int leading_zeros = 0;
  for (;;) {
    const auto done = r.ReadFlag();
    if (!done) return false;
    if (*done) break;
    ++leading_zeros;
  }
  if (leading_zeros >= 32) return true;
  return r.Skip(static_cast<size_t>(leading_zeros));
}

// timing_info() (5.5.3).
bool SkipTimingInfo(Reader& r) {
  if (!r.Skip(32 + 32)) return false;  // num_units_in_display_tick, time_scale
  const auto equal_picture_interval = r.ReadFlag();
  if (!equal_picture_interval) return false;
  return !*equal_picture_interval || SkipUvlc(r);
}

}  // namespace

std::optional<Leb128> ReadLeb128(std::span<const uint8_t> data) {
  uint64_t value = 0;
  for (size_t i = 0; i < kMaxLeb128Bytes && i < data.size(); ++i) {
    value |= uint64_t{data[i] & 0x7Fu} << (7 * i);
    if (!(data[i] & 0x80)) {
      if (value > UINT32_MAX) return std::nullopt;
      return Leb128{static_cast<uint32_t>(value), i + 1};
    }
  }
  return std::nullopt;
}

void WriteLeb128(uint32_t value, std::vector<uint8_t>& out) {
  do {
    uint8_t byte = value & 0x7F;
    value >>= 7;
    if (value != 0) byte |= 0x80;
    out.push_back(byte);
  } while (value != 0);
}

std::optional<ObuHeader> ParseObuHeader(std::span<const uint8_t> obu) {
  if (obu.empty() || (obu[0] & kForbiddenBit)) return std::nullopt;
  ObuHeader h;
  h.type = static_cast<ObuType>((obu[0] >> 3) & 0x0F);
  h.has_extension = obu[0] & kExtensionFlag;
  h.has_size_field = obu[0] & kHasSizeField;
  if (h.has_extension) {
    if (obu.size() < 2) return std::nullopt;
    h.temporal_id = static_cast<uint8_t>(obu[1] >> 5);
    h.spatial_id = static_cast<uint8_t>((obu[1] >> 3) & 0x03);
    h.header_size = 2;
  }
  return h;
}

std::vector<Obu> SplitObus(std::span<const uint8_t> data, bool* complete) {
  std::vector<Obu> obus;
  size_t pos = 0;
  bool ok = true;
  while (pos < data.size()) {
    const auto rest = data.subspan(pos);
    const auto header = ParseObuHeader(rest);
    if (!header || header->header_size > rest.size()) {
      ok = false;
      break;
    }
    size_t begin = header->header_size;
    size_t size = rest.size() - begin;
    if (header->has_size_field) {
      const auto leb = ReadLeb128(rest.subspan(begin));
      if (!leb || leb->value > rest.size() - begin - leb->size) {
        ok = false;
        break;
      }
      begin += leb->size;
      size = leb->value;
    }
    obus.push_back(Obu{*header, rest.first(header->header_size), rest.subspan(begin, size)});
    pos += begin + size;
  }
  if (complete) *complete = ok;
  return obus;
}

void AppendObu(std::span<const uint8_t> header_bytes, std::span<const uint8_t> payload,
               std::vector<uint8_t>& out) {
  if (header_bytes.empty()) return;
  out.push_back(static_cast<uint8_t>(header_bytes[0] | kHasSizeField));
  out.insert(out.end(), header_bytes.begin() + 1, header_bytes.end());
  WriteLeb128(static_cast<uint32_t>(payload.size()), out);
  out.insert(out.end(), payload.begin(), payload.end());
}

std::optional<SequenceHeader> ParseSequenceHeader(std::span<const uint8_t> payload) {
  Reader r(payload);
  SequenceHeader h;
  const auto profile = r.ReadBits(3);
  const auto still_picture = r.ReadFlag();
  const auto reduced = r.ReadFlag();
  if (!profile || !still_picture || !reduced) return std::nullopt;
  h.profile = static_cast<uint8_t>(*profile);
  h.reduced_still_picture_header = *reduced;
  if (h.reduced_still_picture_header) {
    if (!r.Skip(5)) return std::nullopt;  // seq_level_idx[0]
  } else {
    const auto timing_info_present = r.ReadFlag();
    if (!timing_info_present) return std::nullopt;
    bool decoder_model_info_present = false;
    uint32_t buffer_delay_length = 0;
    if (*timing_info_present) {
      if (!SkipTimingInfo(r)) return std::nullopt;
      const auto present = r.ReadFlag();
      if (!present) return std::nullopt;
      decoder_model_info_present = *present;
      if (decoder_model_info_present) {
        // decoder_model_info() (5.5.4).
        const auto length_minus_1 = r.ReadBits(5);
        if (!length_minus_1 || !r.Skip(32 + 5 + 5)) return std::nullopt;
        buffer_delay_length = *length_minus_1 + 1;
      }
    }
    const auto initial_display_delay_present = r.ReadFlag();
    const auto operating_points_minus_1 = r.ReadBits(5);
    if (!initial_display_delay_present || !operating_points_minus_1) return std::nullopt;
    for (uint32_t i = 0; i <= *operating_points_minus_1; ++i) {
      const auto idc = r.ReadBits(12);
      const auto level = r.ReadBits(5);
      if (!idc || !level) return std::nullopt;
      if (*level > 7 && !r.Skip(1)) return std::nullopt;  // seq_tier
      if (decoder_model_info_present) {
        const auto present = r.ReadFlag();
        if (!present) return std::nullopt;
        // operating_parameters_info() (5.5.5): two delays and low_delay_mode_flag.
        if (*present && !r.Skip(2 * buffer_delay_length + 1)) return std::nullopt;
      }
      if (*initial_display_delay_present) {
        const auto present = r.ReadFlag();
        if (!present) return std::nullopt;
        if (*present && !r.Skip(4)) return std::nullopt;  // initial_display_delay_minus_1
      }
    }
  }
  const auto width_bits = r.ReadBits(4);
  const auto height_bits = r.ReadBits(4);
  if (!width_bits || !height_bits) return std::nullopt;
  const auto width = r.ReadBits(static_cast<int>(*width_bits) + 1);
  const auto height = r.ReadBits(static_cast<int>(*height_bits) + 1);
  if (!width || !height) return std::nullopt;
  h.max_width = *width + 1;
  h.max_height = *height + 1;
  return h;
}

}  // namespace tessera::rtp::av1
