#include "rtp/av1_packetizer.h"

#include <tessera/rtp/av1_bitstream.h>

#include <utility>
#include <vector>

namespace tessera::rtp {
namespace {

constexpr uint8_t kZBit = 0x80;
constexpr uint8_t kYBit = 0x40;
constexpr uint8_t kNBit = 0x08;
constexpr uint8_t kHasSizeField = 0x02;
constexpr size_t kAggregationHeaderSize = 1;
constexpr size_t kMinBudget = 8;

size_t Leb128Size(size_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

}  // namespace

Av1Packetizer::Av1Packetizer(const PacketizerConfig& config)
    : budget_(config.mtu > kRtpOverhead ? config.mtu - kRtpOverhead : 0) {}

std::vector<std::vector<uint8_t>> Av1Packetizer::Packetize(std::span<const uint8_t> frame,
                                                           bool keyframe) {
  std::vector<std::vector<uint8_t>> out;
  if (budget_ < kMinBudget) return out;
  bool complete = false;
  const auto obus = av1::SplitObus(frame, &complete);
  if (!complete) return out;
  // One element per OBU: its header without obu_has_size_field, then its payload.
  std::vector<std::vector<uint8_t>> elements;
  bool sequence_header = false;
  for (const av1::Obu& obu : obus) {
    const av1::ObuType type = obu.header.type;
    if (type == av1::ObuType::kTemporalDelimiter || type == av1::ObuType::kTileList ||
        type == av1::ObuType::kPadding) {
      continue;
    }
    sequence_header = sequence_header || type == av1::ObuType::kSequenceHeader;
    std::vector<uint8_t> element;
    element.reserve(obu.header_bytes.size() + obu.payload.size());
    element.push_back(static_cast<uint8_t>(obu.header_bytes[0] & ~kHasSizeField));
    element.insert(element.end(), obu.header_bytes.begin() + 1, obu.header_bytes.end());
    element.insert(element.end(), obu.payload.begin(), obu.payload.end());
    elements.push_back(std::move(element));
  }
  if (elements.empty()) return out;

  std::vector<uint8_t> packet = {keyframe && sequence_header ? kNBit : uint8_t{0}};
  auto flush = [&](bool continues) {
    if (continues) packet[0] |= kYBit;
    out.push_back(std::move(packet));
    packet.assign(1, continues ? kZBit : uint8_t{0});
  };
  for (const std::vector<uint8_t>& element : elements) {
    size_t offset = 0;
    while (offset < element.size()) {
      const size_t left = element.size() - offset;
      const size_t space = budget_ - packet.size();
      if (Leb128Size(left) + left <= space) {
        av1::WriteLeb128(static_cast<uint32_t>(left), packet);
        packet.insert(packet.end(), element.begin() + static_cast<std::ptrdiff_t>(offset),
                      element.end());
        offset = element.size();
        break;
      }
      // A fragment that fills the packet; a packet too full for one byte more goes first.
      size_t chunk = space > 1 ? space - 1 : 0;
      while (chunk > 0 && Leb128Size(chunk) + chunk > space) --chunk;
      if (chunk == 0) {
        flush(false);
        continue;
      }
      av1::WriteLeb128(static_cast<uint32_t>(chunk), packet);
      packet.insert(packet.end(), element.begin() + static_cast<std::ptrdiff_t>(offset),
                    element.begin() + static_cast<std::ptrdiff_t>(offset + chunk));
      offset += chunk;
      flush(true);
    }
  }
  if (packet.size() > kAggregationHeaderSize) out.push_back(std::move(packet));
  return out;
}

}  // namespace tessera::rtp
