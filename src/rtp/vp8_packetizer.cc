#include "rtp/vp8_packetizer.h"

namespace tessera::rtp {
namespace {

constexpr uint8_t kXBit = 0x80;
constexpr uint8_t kSBit = 0x10;
constexpr uint8_t kIBit = 0x80;
constexpr uint8_t kMBit = 0x80;
constexpr uint16_t kPictureIdMask = 0x7FFF;
// A VP8 frame starts with its 3-byte frame tag, which the receiver needs in the first payload
// (RFC 7741 4.3). Nearly equal fragments of up to at least 7 bytes always leave 3 or more bytes
// in the first one: ceil(L / ceil(L / 7)) >= 3 for every L >= 3.
constexpr size_t kFrameTagSize = 3;
constexpr size_t kMinMaxFragment = 7;

}  // namespace

Vp8Packetizer::Vp8Packetizer(const PacketizerConfig& config, uint16_t first_picture_id)
    : budget_(config.mtu > kRtpOverhead ? config.mtu - kRtpOverhead : 0),
      picture_id_(first_picture_id & kPictureIdMask) {}

std::vector<std::vector<uint8_t>> Vp8Packetizer::Packetize(std::span<const uint8_t> frame,
                                                           bool /*keyframe*/) {
  std::vector<std::vector<uint8_t>> out;
  if (frame.size() < kFrameTagSize || budget_ < kDescriptorSize + kMinMaxFragment) return out;
  const size_t max_fragment = budget_ - kDescriptorSize;
  const size_t count = (frame.size() + max_fragment - 1) / max_fragment;
  const size_t base = frame.size() / count;
  const size_t larger = frame.size() % count;  // the first `larger` payloads get one more byte
  out.reserve(count);
  size_t offset = 0;
  for (size_t i = 0; i < count; ++i) {
    const size_t len = base + (i < larger ? 1 : 0);
    std::vector<uint8_t> p;
    p.reserve(kDescriptorSize + len);
    p.push_back(static_cast<uint8_t>(kXBit | (i == 0 ? kSBit : 0)));
    p.push_back(kIBit);
    p.push_back(static_cast<uint8_t>(kMBit | (picture_id_ >> 8)));
    p.push_back(static_cast<uint8_t>(picture_id_));
    p.insert(p.end(), frame.begin() + offset, frame.begin() + offset + len);
    out.push_back(std::move(p));
    offset += len;
  }
  picture_id_ = (picture_id_ + 1) & kPictureIdMask;
  return out;
}

}  // namespace tessera::rtp
