#include <tessera/rtp/h264_bitstream.h>

#include <algorithm>
#include <array>

namespace tessera::rtp::h264 {
namespace {

// Trailing zero bytes belong to the next 4-byte start code or are trailing_zero_8bits; a NAL
// unit never ends with 0x00 (its RBSP ends with the stop bit).
std::span<const uint8_t> TrimTrailingZeros(std::span<const uint8_t> nal) {
  size_t n = nal.size();
  while (n > 0 && nal[n - 1] == 0) --n;
  return nal.first(n);
}

// Appends `escaped` with emulation prevention bytes removed, stopping after `limit` output bytes.
template <typename Out>
void Unescape(std::span<const uint8_t> escaped, size_t limit, Out&& push) {
  int zeros = 0;
  size_t written = 0;
  for (size_t i = 0; i < escaped.size() && written < limit; ++i) {
    const uint8_t b = escaped[i];
    if (zeros >= 2 && b == 0x03) {
      zeros = 0;
      continue;
    }
    zeros = b == 0 ? zeros + 1 : 0;
    push(b);
    ++written;
  }
}

// Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices (7.3.2.1.1).
bool HasChromaInfo(uint8_t profile_idc) {
  switch (profile_idc) {
    case 100:
    case 110:
    case 122:
    case 244:
    case 44:
    case 83:
    case 86:
    case 118:
    case 128:
    case 138:
    case 139:
    case 134:
    case 135:
      return true;
    default:
      return false;
  }
}

// scaling_list() of 7.3.2.1.1.1; only the syntax matters here, not the values.
bool SkipScalingList(BitReader& r, int size) {
  int last_scale = 8;
  int next_scale = 8;
  for (int j = 0; j < size; ++j) {
    if (next_scale != 0) {
      auto delta = r.ReadSe();
      if (!delta || *delta < -128 || *delta > 127) return false;
      next_scale = (last_scale + *delta + 256) % 256;
    }
    if (next_scale != 0) last_scale = next_scale;
  }
  return true;
}

// Largest plausible picture dimension in macroblocks; keeps sizes within uint16_t.
constexpr uint32_t kMaxMbs = 65535 / 16;

}  // namespace

std::vector<std::span<const uint8_t>> SplitAnnexB(std::span<const uint8_t> stream) {
  std::vector<std::span<const uint8_t>> nals;
  const size_t size = stream.size();
  const uint8_t* d = stream.data();
  size_t nal_begin = 0;
  bool in_nal = false;
  size_t i = 0;
  while (i + 3 <= size) {
    if (d[i + 2] > 1) {
      i += 3;
    } else if (d[i + 2] == 1 && d[i + 1] == 0 && d[i] == 0) {
      if (in_nal) {
        auto nal = TrimTrailingZeros(stream.subspan(nal_begin, i - nal_begin));
        if (!nal.empty()) nals.push_back(nal);
      }
      in_nal = true;
      nal_begin = i + 3;
      i += 3;
    } else {
      ++i;
    }
  }
  if (in_nal) {
    auto nal = TrimTrailingZeros(stream.subspan(nal_begin));
    if (!nal.empty()) nals.push_back(nal);
  }
  return nals;
}

std::vector<uint8_t> UnescapeRbsp(std::span<const uint8_t> escaped) {
  std::vector<uint8_t> out;
  out.reserve(escaped.size());
  Unescape(escaped, escaped.size(), [&](uint8_t b) { out.push_back(b); });
  return out;
}

std::optional<uint32_t> BitReader::ReadBits(int n) {
  if (n < 0 || n > 32 || static_cast<size_t>(n) > bits_left()) {
    ok_ = false;
    return std::nullopt;
  }
  uint64_t v = 0;
  for (int k = 0; k < n; ++k) {
    const uint8_t bit = (data_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1;
    v = (v << 1) | bit;
    ++pos_;
  }
  return static_cast<uint32_t>(v);
}

std::optional<bool> BitReader::ReadFlag() {
  auto b = ReadBits(1);
  if (!b) return std::nullopt;
  return *b != 0;
}

std::optional<uint32_t> BitReader::ReadUe() {
  int leading_zeros = 0;
  while (true) {
    auto b = ReadBits(1);
    if (!b) return std::nullopt;
    if (*b) break;
    if (++leading_zeros > 31) {
      ok_ = false;
      return std::nullopt;
    }
  }
  auto suffix = ReadBits(leading_zeros);
  if (!suffix) return std::nullopt;
  return static_cast<uint32_t>((uint64_t{1} << leading_zeros) - 1 + *suffix);
}

std::optional<int32_t> BitReader::ReadSe() {
  auto k = ReadUe();
  if (!k) return std::nullopt;
  const int64_t magnitude = (int64_t{*k} + 1) / 2;
  return static_cast<int32_t>((*k & 1) ? magnitude : -magnitude);
}

bool BitReader::Skip(size_t bits) {
  if (bits > bits_left()) {
    ok_ = false;
    return false;
  }
  pos_ += bits;
  return true;
}

std::optional<SpsInfo> ParseSps(std::span<const uint8_t> nal) {
  if (nal.size() < 2 || !Is(NalTypeOf(nal[0]), NalType::kSps)) return std::nullopt;
  const std::vector<uint8_t> rbsp = UnescapeRbsp(nal.subspan(1));
  BitReader r(rbsp);

  SpsInfo info;
  auto profile = r.ReadBits(8);
  r.Skip(8);  // constraint_set flags and reserved_zero_2bits
  auto level = r.ReadBits(8);
  auto sps_id = r.ReadUe();
  if (!profile || !level || !sps_id || *sps_id > 31) return std::nullopt;
  info.profile_idc = static_cast<uint8_t>(*profile);
  info.level_idc = static_cast<uint8_t>(*level);
  info.sps_id = *sps_id;

  uint32_t chroma_format_idc = 1;  // 4:2:0 unless the profile says otherwise
  bool separate_colour_plane = false;
  if (HasChromaInfo(info.profile_idc)) {
    auto cfi = r.ReadUe();
    if (!cfi || *cfi > 3) return std::nullopt;
    chroma_format_idc = *cfi;
    if (chroma_format_idc == 3) {
      auto f = r.ReadFlag();
      if (!f) return std::nullopt;
      separate_colour_plane = *f;
    }
    auto depth_luma = r.ReadUe();
    auto depth_chroma = r.ReadUe();
    if (!depth_luma || *depth_luma > 6 || !depth_chroma || *depth_chroma > 6) return std::nullopt;
    r.Skip(1);  // qpprime_y_zero_transform_bypass_flag
    auto scaling_matrix = r.ReadFlag();
    if (!scaling_matrix) return std::nullopt;
    if (*scaling_matrix) {
      const int lists = chroma_format_idc != 3 ? 8 : 12;
      for (int i = 0; i < lists; ++i) {
        auto present = r.ReadFlag();
        if (!present) return std::nullopt;
        if (*present && !SkipScalingList(r, i < 6 ? 16 : 64)) return std::nullopt;
      }
    }
  }

  auto log2_max_frame_num = r.ReadUe();
  auto poc_type = r.ReadUe();
  if (!log2_max_frame_num || *log2_max_frame_num > 12 || !poc_type || *poc_type > 2) {
    return std::nullopt;
  }
  if (*poc_type == 0) {
    auto log2_max_poc_lsb = r.ReadUe();
    if (!log2_max_poc_lsb || *log2_max_poc_lsb > 12) return std::nullopt;
  } else if (*poc_type == 1) {
    r.Skip(1);   // delta_pic_order_always_zero_flag
    r.ReadSe();  // offset_for_non_ref_pic
    r.ReadSe();  // offset_for_top_to_bottom_field
    auto cycle = r.ReadUe();
    if (!cycle || *cycle > 255) return std::nullopt;
    for (uint32_t i = 0; i < *cycle; ++i) r.ReadSe();  // offset_for_ref_frame
  }
  r.ReadUe();  // max_num_ref_frames
  r.Skip(1);   // gaps_in_frame_num_value_allowed_flag
  auto width_mbs_minus1 = r.ReadUe();
  auto height_map_units_minus1 = r.ReadUe();
  auto frame_mbs_only = r.ReadFlag();
  if (!width_mbs_minus1 || !height_map_units_minus1 || !frame_mbs_only) return std::nullopt;
  if (!*frame_mbs_only) r.Skip(1);  // mb_adaptive_frame_field_flag
  r.Skip(1);                        // direct_8x8_inference_flag
  auto cropping = r.ReadFlag();
  if (!cropping) return std::nullopt;
  std::array<uint32_t, 4> crop{};  // left, right, top, bottom
  if (*cropping) {
    for (auto& c : crop) {
      auto v = r.ReadUe();
      if (!v) return std::nullopt;
      c = *v;
    }
  }
  if (!r.ok()) return std::nullopt;

  const uint64_t frame_height_factor = *frame_mbs_only ? 1 : 2;
  const uint64_t width_mbs = uint64_t{*width_mbs_minus1} + 1;
  const uint64_t height_mbs = (uint64_t{*height_map_units_minus1} + 1) * frame_height_factor;
  if (width_mbs > kMaxMbs || height_mbs > kMaxMbs) return std::nullopt;

  // Crop units, H.264 equations 7-19 to 7-22.
  const uint32_t chroma_array_type = separate_colour_plane ? 0 : chroma_format_idc;
  uint64_t crop_unit_x = 1;
  uint64_t crop_unit_y = frame_height_factor;
  if (chroma_array_type != 0) {
    crop_unit_x = chroma_format_idc == 3 ? 1 : 2;
    crop_unit_y = (chroma_format_idc == 1 ? 2 : 1) * frame_height_factor;
  }
  const uint64_t crop_x = crop_unit_x * (uint64_t{crop[0]} + crop[1]);
  const uint64_t crop_y = crop_unit_y * (uint64_t{crop[2]} + crop[3]);
  const uint64_t coded_width = width_mbs * 16;
  const uint64_t coded_height = height_mbs * 16;
  if (crop_x >= coded_width || crop_y >= coded_height) return std::nullopt;
  info.width = static_cast<uint16_t>(coded_width - crop_x);
  info.height = static_cast<uint16_t>(coded_height - crop_y);
  return info;
}

std::optional<uint32_t> FirstMbInSlice(std::span<const uint8_t> nal) {
  if (nal.size() < 2) return std::nullopt;
  // ue(v) of up to 32 bits needs at most 8 bytes of RBSP; unescape only that much.
  std::array<uint8_t, 8> head{};
  size_t n = 0;
  Unescape(nal.subspan(1), head.size(), [&](uint8_t b) { head[n++] = b; });
  BitReader r(std::span<const uint8_t>(head.data(), n));
  return r.ReadUe();
}

}  // namespace tessera::rtp::h264
