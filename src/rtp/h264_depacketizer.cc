#include "rtp/h264_depacketizer.h"

#include <tessera/base/byte_io.h>
#include <tessera/rtp/h264_bitstream.h>

#include <iterator>

namespace tessera::rtp {
namespace {

using h264::NalType;

constexpr size_t kNalHeaderSize = 1;
constexpr size_t kStapALengthSize = 2;
constexpr size_t kFuAHeaderSize = 2;  // FU indicator + FU header
constexpr uint8_t kFuStartBit = 0x80;
constexpr uint8_t kFuEndBit = 0x40;
constexpr uint8_t kNalFAndNriMask = 0xE0;

// Whether a NAL unit (header byte included) can only be the first of an access unit here:
// the access unit delimiter, parameter sets and SEI precede the first slice (H.264 7.4.1.2.3),
// and a slice with first_mb_in_slice == 0 is the first slice of a picture.
bool BeginsFrame(std::span<const uint8_t> nal) {
  const uint8_t type = h264::NalTypeOf(nal[0]);
  if (h264::Is(type, NalType::kAud) || h264::Is(type, NalType::kSps) ||
      h264::Is(type, NalType::kPps) || h264::Is(type, NalType::kSei)) {
    return true;
  }
  if (h264::IsSlice(type)) {
    auto first_mb = h264::FirstMbInSlice(nal);
    return first_mb && *first_mb == 0;
  }
  return false;
}

class PayloadBuilder {
 public:
  explicit PayloadBuilder(size_t reserve) { out_.data.reserve(reserve); }

  // Appends one complete NAL unit and notes what it says about the frame.
  void AddNal(std::span<const uint8_t> nal) {
    if (out_.data.empty()) out_.frame_start = BeginsFrame(nal);
    out_.data.insert(out_.data.end(), std::begin(h264::kStartCode), std::end(h264::kStartCode));
    out_.data.insert(out_.data.end(), nal.begin(), nal.end());
    const uint8_t type = h264::NalTypeOf(nal[0]);
    if (h264::Is(type, NalType::kIdr)) out_.keyframe = true;
    if (h264::Is(type, NalType::kPps)) has_pps_ = true;
    if (h264::Is(type, NalType::kSps)) {
      has_sps_ = true;
      if (auto sps = h264::ParseSps(nal)) {
        out_.width = sps->width;
        out_.height = sps->height;
      }
    }
  }

  DepacketizedPayload Finish() {
    out_.has_sps = has_sps_;
    out_.has_pps = has_pps_;
    out_.has_parameter_sets = has_sps_ && has_pps_;
    return std::move(out_);
  }

 private:
  DepacketizedPayload out_;
  bool has_sps_ = false;
  bool has_pps_ = false;
};

std::optional<DepacketizedPayload> ParseStapA(std::span<const uint8_t> payload) {
  // First pass: every NAL unit size must be non-zero and within the payload, with no bytes left.
  size_t offset = kNalHeaderSize;
  size_t count = 0;
  while (offset < payload.size()) {
    if (payload.size() - offset < kStapALengthSize) return std::nullopt;
    const size_t length = ReadBe16(&payload[offset]);
    offset += kStapALengthSize;
    if (length == 0 || length > payload.size() - offset) return std::nullopt;
    if (!h264::IsSingleNalType(h264::NalTypeOf(payload[offset]))) return std::nullopt;
    offset += length;
    ++count;
  }
  if (count == 0) return std::nullopt;

  // Each 2-byte size becomes a 4-byte start code; the STAP-A header is dropped.
  PayloadBuilder builder(payload.size() - kNalHeaderSize + 2 * count);
  offset = kNalHeaderSize;
  while (offset < payload.size()) {
    const size_t length = ReadBe16(&payload[offset]);
    offset += kStapALengthSize;
    builder.AddNal(payload.subspan(offset, length));
    offset += length;
  }
  return builder.Finish();
}

std::optional<DepacketizedPayload> ParseFuA(std::span<const uint8_t> payload) {
  if (payload.size() < kFuAHeaderSize) return std::nullopt;
  const uint8_t indicator = payload[0];
  const uint8_t fu_header = payload[1];
  const bool start = fu_header & kFuStartBit;
  const bool end = fu_header & kFuEndBit;
  const uint8_t type = h264::NalTypeOf(fu_header);
  // RFC 6184 5.8: a NAL unit is never sent in a single FU, and only single NAL unit types are
  // fragmented.
  if ((start && end) || !h264::IsSingleNalType(type)) return std::nullopt;

  const auto fragment = payload.subspan(kFuAHeaderSize);
  DepacketizedPayload out;
  out.keyframe = h264::Is(type, NalType::kIdr);
  if (start) {
    out.data.reserve(sizeof(h264::kStartCode) + kNalHeaderSize + fragment.size());
    out.data.insert(out.data.end(), std::begin(h264::kStartCode), std::end(h264::kStartCode));
    out.data.push_back(static_cast<uint8_t>((indicator & kNalFAndNriMask) | type));
    out.data.insert(out.data.end(), fragment.begin(), fragment.end());
    out.frame_start = BeginsFrame(std::span<const uint8_t>(out.data).subspan(4));
  } else {
    out.data.assign(fragment.begin(), fragment.end());
  }
  return out;
}

}  // namespace

std::optional<DepacketizedPayload> H264Depacketizer::Parse(std::span<const uint8_t> payload) {
  if (payload.empty()) return std::nullopt;
  const uint8_t type = h264::NalTypeOf(payload[0]);
  if (h264::IsSingleNalType(type)) {
    PayloadBuilder builder(sizeof(h264::kStartCode) + payload.size());
    builder.AddNal(payload);
    return builder.Finish();
  }
  if (h264::Is(type, NalType::kStapA)) return ParseStapA(payload);
  if (h264::Is(type, NalType::kFuA)) return ParseFuA(payload);
  // 0 and 30-31 are reserved; STAP-B, MTAP16/24 and FU-B belong to the interleaved mode.
  return std::nullopt;
}

}  // namespace tessera::rtp
