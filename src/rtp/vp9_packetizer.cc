#include "rtp/vp9_packetizer.h"

#include <tessera/rtp/vp9_bitstream.h>

#include <cstddef>
#include <utility>
#include <vector>

namespace tessera::rtp {
namespace {

constexpr uint8_t kIBit = 0x80;
constexpr uint8_t kPBit = 0x40;
constexpr uint8_t kBBit = 0x08;
constexpr uint8_t kEBit = 0x04;
constexpr uint8_t kVBit = 0x02;
constexpr uint8_t kMBit = 0x80;
constexpr uint16_t kPictureIdMask = 0x7FFF;
// Scalability structure: N_S = 0, Y, G; one picture-group entry: TID 0, U 0, R 1, then P_DIFF 1.
constexpr uint8_t kSsYBit = 0x10;
constexpr uint8_t kSsGBit = 0x08;
constexpr uint8_t kPictureGroupEntry = 0x04;
constexpr uint8_t kPictureGroupPDiff = 0x01;
constexpr size_t kMinBudget = 32;

std::vector<uint8_t> ScalabilityStructure(std::span<const uint8_t> frame) {
  std::vector<uint8_t> ss;
  const auto header = vp9::ParseUncompressedHeader(frame);
  const bool resolution = header && header->width != 0 && header->width <= 0xFFFF &&
                          header->height != 0 && header->height <= 0xFFFF;
  ss.push_back(static_cast<uint8_t>((resolution ? kSsYBit : 0) | kSsGBit));
  if (resolution) {
    ss.push_back(static_cast<uint8_t>(header->width >> 8));
    ss.push_back(static_cast<uint8_t>(header->width));
    ss.push_back(static_cast<uint8_t>(header->height >> 8));
    ss.push_back(static_cast<uint8_t>(header->height));
  }
  ss.push_back(1);  // N_G
  ss.push_back(kPictureGroupEntry);
  ss.push_back(kPictureGroupPDiff);
  return ss;
}

}  // namespace

Vp9Packetizer::Vp9Packetizer(const PacketizerConfig& config, uint16_t first_picture_id)
    : budget_(config.mtu > kRtpOverhead ? config.mtu - kRtpOverhead : 0),
      picture_id_(first_picture_id & kPictureIdMask) {}

std::vector<std::vector<uint8_t>> Vp9Packetizer::Packetize(std::span<const uint8_t> frame,
                                                           bool keyframe) {
  std::vector<std::vector<uint8_t>> out;
  if (frame.empty() || budget_ < kMinBudget) return out;
  const std::vector<uint8_t> ss = keyframe ? ScalabilityStructure(frame) : std::vector<uint8_t>();
  // The first payload's extra descriptor bytes count as data of its own, so that every payload
  // carries nearly the same number of bytes.
  const size_t extra = ss.size();
  const size_t max_fragment = budget_ - kDescriptorSize;
  const size_t units = frame.size() + extra;
  const size_t count = (units + max_fragment - 1) / max_fragment;
  const size_t base = units / count;
  const size_t larger = units % count;  // the first `larger` payloads get one more unit
  out.reserve(count);
  size_t offset = 0;
  for (size_t i = 0; i < count; ++i) {
    const size_t len = base + (i < larger ? 1 : 0) - (i == 0 ? extra : 0);
    std::vector<uint8_t> p;
    p.reserve(kDescriptorSize + (i == 0 ? extra : 0) + len);
    uint8_t first = kIBit;
    if (!keyframe) first |= kPBit;
    if (i == 0) first |= kBBit;
    if (i + 1 == count) first |= kEBit;
    if (i == 0 && !ss.empty()) first |= kVBit;
    p.push_back(first);
    p.push_back(static_cast<uint8_t>(kMBit | (picture_id_ >> 8)));
    p.push_back(static_cast<uint8_t>(picture_id_));
    if (i == 0) p.insert(p.end(), ss.begin(), ss.end());
    p.insert(p.end(), frame.begin() + static_cast<std::ptrdiff_t>(offset),
             frame.begin() + static_cast<std::ptrdiff_t>(offset + len));
    out.push_back(std::move(p));
    offset += len;
  }
  picture_id_ = (picture_id_ + 1) & kPictureIdMask;
  return out;
}

}  // namespace tessera::rtp
