#include <tessera/rtp/h264_bitstream.h>
#include <tessera/rtp/vp9_bitstream.h>

#include <algorithm>

namespace tessera::rtp::vp9 {
namespace {

constexpr uint32_t kFrameMarker = 2;
constexpr uint8_t kSyncCode[3] = {0x49, 0x83, 0x42};
constexpr uint32_t kColorSpaceRgb = 7;

// Superframe index (Annex B): a marker byte 0b110mmfff (mm: bytes per size - 1, fff: frames - 1),
// the little-endian sizes, and the marker byte again.
constexpr uint8_t kSuperframeMarkerMask = 0xe0;
constexpr uint8_t kSuperframeMarker = 0xc0;

// The syntax only reads bits; the values that matter are kept.
using Reader = h264::BitReader;

bool FrameSyncCode(Reader& r) {
  for (uint8_t expected : kSyncCode) {
    const auto b = r.ReadBits(8);
    if (!b || *b != expected) return false;
  }
  return true;
}

// color_config() (6.2.2).
bool ColorConfig(Reader& r, uint8_t profile) {
  if (profile >= 2 && !r.Skip(1)) return false;  // ten_or_twelve_bit
  const auto color_space = r.ReadBits(3);
  if (!color_space) return false;
  if (*color_space != kColorSpaceRgb) {
    if (!r.Skip(1)) return false;  // color_range
    if (profile == 1 || profile == 3) {
      if (!r.Skip(2)) return false;  // subsampling_x, subsampling_y
      const auto reserved = r.ReadFlag();
      if (!reserved || *reserved) return false;
    }
  } else if (profile == 1 || profile == 3) {
    const auto reserved = r.ReadFlag();
    if (!reserved || *reserved) return false;
  } else {
    return false;  // RGB needs 4:4:4, which profiles 0 and 2 do not have
  }
  return true;
}

// frame_size() (6.2.5).
bool FrameSize(Reader& r, UncompressedHeader& h) {
  const auto w = r.ReadBits(16);
  const auto hgt = r.ReadBits(16);
  if (!w || !hgt) return false;
  h.width = *w + 1;
  h.height = *hgt + 1;
  return true;
}

uint32_t ReadLe(const uint8_t* p, size_t bytes) {
  uint32_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= uint32_t{p[i]} << (8 * i);
  return v;
}

}  // namespace

std::optional<UncompressedHeader> ParseUncompressedHeader(std::span<const uint8_t> frame) {
  Reader r(frame);
  UncompressedHeader h;
  const auto marker = r.ReadBits(2);
  const auto profile_low = r.ReadBits(1);
  const auto profile_high = r.ReadBits(1);
  if (!marker || *marker != kFrameMarker || !profile_low || !profile_high) return std::nullopt;
  h.profile = static_cast<uint8_t>((*profile_high << 1) | *profile_low);
  if (h.profile == 3) {
    const auto reserved = r.ReadFlag();
    if (!reserved || *reserved) return std::nullopt;
  }
  const auto show_existing = r.ReadFlag();
  if (!show_existing) return std::nullopt;
  if (*show_existing) {
    if (!r.Skip(3)) return std::nullopt;  // frame_to_show_map_idx
    h.show_existing_frame = true;
    h.show_frame = true;
    return h;
  }
  const auto frame_type = r.ReadFlag();
  const auto show_frame = r.ReadFlag();
  const auto error_resilient = r.ReadFlag();
  if (!frame_type || !show_frame || !error_resilient) return std::nullopt;
  h.keyframe = !*frame_type;  // KEY_FRAME is 0
  h.show_frame = *show_frame;
  h.error_resilient = *error_resilient;
  if (h.keyframe) {
    if (!FrameSyncCode(r) || !ColorConfig(r, h.profile) || !FrameSize(r, h)) return std::nullopt;
    return h;
  }
  if (!h.show_frame) {
    const auto intra_only = r.ReadFlag();
    if (!intra_only) return std::nullopt;
    h.intra_only = *intra_only;
  }
  if (!h.error_resilient && !r.Skip(2)) return std::nullopt;  // reset_frame_context
  if (h.intra_only) {
    if (!FrameSyncCode(r)) return std::nullopt;
    if (h.profile > 0 && !ColorConfig(r, h.profile)) return std::nullopt;
    if (!r.Skip(8) || !FrameSize(r, h)) return std::nullopt;  // refresh_frame_flags
    return h;
  }
  // refresh_frame_flags, then ref_frame_idx[3] and ref_frame_sign_bias[3].
  if (!r.Skip(8) || !r.Skip(3 * 4)) return std::nullopt;
  // frame_size_with_refs(): the size of the first reference with found_ref, else its own.
  for (int i = 0; i < 3; ++i) {
    const auto found_ref = r.ReadFlag();
    if (!found_ref) return std::nullopt;
    if (*found_ref) return h;
  }
  if (!FrameSize(r, h)) return std::nullopt;
  return h;
}

std::vector<std::span<const uint8_t>> SplitSuperframe(std::span<const uint8_t> data) {
  std::vector<std::span<const uint8_t>> frames;
  if (data.empty()) return frames;
  const uint8_t marker = data.back();
  if ((marker & kSuperframeMarkerMask) == kSuperframeMarker) {
    const size_t count = (marker & 0x07) + 1;
    const size_t bytes = ((marker >> 3) & 0x03) + 1;
    const size_t index_size = 2 + bytes * count;
    if (data.size() >= index_size && data[data.size() - index_size] == marker) {
      const uint8_t* sizes = &data[data.size() - index_size + 1];
      const size_t body = data.size() - index_size;
      size_t total = 0;
      bool fits = true;
      for (size_t i = 0; i < count && fits; ++i) {
        const size_t size = ReadLe(sizes + i * bytes, bytes);
        fits = size <= body - total;
        total += fits ? size : 0;
      }
      if (fits) {
        size_t offset = 0;
        for (size_t i = 0; i < count; ++i) {
          const size_t size = ReadLe(sizes + i * bytes, bytes);
          if (size > 0) frames.push_back(data.subspan(offset, size));
          offset += size;
        }
        return frames;
      }
    }
  }
  frames.push_back(data);
  return frames;
}

std::optional<std::vector<uint8_t>> JoinSuperframe(
    std::span<const std::span<const uint8_t>> frames) {
  std::vector<std::span<const uint8_t>> all;
  for (const auto frame : frames) {
    if (frame.empty()) return std::nullopt;
    for (const auto inner : SplitSuperframe(frame)) {
      if (all.size() == kMaxSuperframeFrames) return std::nullopt;
      all.push_back(inner);
    }
  }
  if (all.empty()) return std::nullopt;
  std::vector<uint8_t> out;
  size_t total = 0;
  size_t largest = 0;
  for (const auto frame : all) {
    total += frame.size();
    largest = std::max(largest, frame.size());
  }
  if (all.size() == 1) return std::vector<uint8_t>(all[0].begin(), all[0].end());
  size_t bytes = 1;
  while (bytes < 4 && (largest >> (8 * bytes)) != 0) ++bytes;
  if ((uint64_t{largest} >> 32) != 0) return std::nullopt;
  const auto index_marker =
      static_cast<uint8_t>(kSuperframeMarker | ((bytes - 1) << 3) | (all.size() - 1));
  out.reserve(total + 2 + bytes * all.size());
  for (const auto frame : all) out.insert(out.end(), frame.begin(), frame.end());
  out.push_back(index_marker);
  for (const auto frame : all) {
    for (size_t i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(frame.size() >> (8 * i)));
  }
  out.push_back(index_marker);
  return out;
}

}  // namespace tessera::rtp::vp9
