#include "rtp/h264_packetizer.h"

#include <tessera/base/byte_io.h>
#include <tessera/rtp/h264_bitstream.h>

#include <algorithm>

namespace tessera::rtp {
namespace {

using h264::NalType;

constexpr size_t kNalHeaderSize = 1;
constexpr size_t kStapALengthSize = 2;
constexpr size_t kFuAHeaderSize = 2;
constexpr uint8_t kFuStartBit = 0x80;
constexpr uint8_t kFuEndBit = 0x40;
constexpr uint8_t kForbiddenBit = 0x80;
constexpr uint8_t kNriMask = 0x60;
constexpr size_t kMaxStapANalSize = 0xFFFF;  // 16-bit NAL unit size field

using Payloads = std::vector<std::vector<uint8_t>>;

// One STAP-A carrying nals[0..n): F is the OR of the aggregated F bits and NRI their maximum
// (RFC 6184 5.7.1).
std::vector<uint8_t> MakeStapA(std::span<const std::span<const uint8_t>> nals) {
  uint8_t f = 0;
  uint8_t nri = 0;
  size_t size = kNalHeaderSize;
  for (const auto& nal : nals) {
    f |= nal[0] & kForbiddenBit;
    nri = std::max<uint8_t>(nri, nal[0] & kNriMask);
    size += kStapALengthSize + nal.size();
  }
  std::vector<uint8_t> out;
  out.reserve(size);
  ByteWriter w(out);
  w.U8(static_cast<uint8_t>(f | nri | static_cast<uint8_t>(NalType::kStapA)));
  for (const auto& nal : nals) {
    w.U16(static_cast<uint16_t>(nal.size()));
    w.Bytes(nal);
  }
  return out;
}

// FU-A fragments of one NAL unit larger than `budget`, sizes differing by at most one byte.
void AppendFuA(std::span<const uint8_t> nal, size_t budget, Payloads& out) {
  const uint8_t indicator = static_cast<uint8_t>((nal[0] & (kForbiddenBit | kNriMask)) |
                                                 static_cast<uint8_t>(NalType::kFuA));
  const uint8_t type = h264::NalTypeOf(nal[0]);
  const auto body = nal.subspan(kNalHeaderSize);
  const size_t max_fragment = budget - kFuAHeaderSize;
  const size_t count = (body.size() + max_fragment - 1) / max_fragment;
  const size_t base = body.size() / count;
  const size_t larger = body.size() % count;  // the first `larger` fragments get one more byte
  size_t offset = 0;
  for (size_t i = 0; i < count; ++i) {
    const size_t len = base + (i < larger ? 1 : 0);
    uint8_t fu_header = type;
    if (i == 0) fu_header |= kFuStartBit;
    if (i + 1 == count) fu_header |= kFuEndBit;
    std::vector<uint8_t> p;
    p.reserve(kFuAHeaderSize + len);
    p.push_back(indicator);
    p.push_back(fu_header);
    p.insert(p.end(), body.begin() + offset, body.begin() + offset + len);
    out.push_back(std::move(p));
    offset += len;
  }
}

}  // namespace

H264Packetizer::H264Packetizer(const PacketizerConfig& config)
    : budget_(config.mtu > kRtpOverhead ? config.mtu - kRtpOverhead : 0),
      single_nal_only_(config.h264_packetization_mode == 0) {}

std::vector<std::vector<uint8_t>> H264Packetizer::Packetize(std::span<const uint8_t> frame,
                                                            bool /*keyframe*/) {
  const auto nals = h264::SplitAnnexB(frame);
  Payloads out;
  if (nals.empty()) return out;
  // Types 0 and 24-31 would read as RTP packet types (RFC 6184 5.2) at the receiver.
  for (const auto& nal : nals) {
    if (!h264::IsSingleNalType(h264::NalTypeOf(nal[0]))) return {};
  }

  if (single_nal_only_) {
    for (const auto& nal : nals) {
      if (nal.size() > budget_) return {};
    }
    out.reserve(nals.size());
    for (const auto& nal : nals) out.emplace_back(nal.begin(), nal.end());
    return out;
  }

  // An FU-A needs room for its two header bytes and at least one byte of the NAL unit.
  if (budget_ <= kFuAHeaderSize) return {};
  size_t i = 0;
  while (i < nals.size()) {
    if (nals[i].size() > budget_) {
      AppendFuA(nals[i], budget_, out);
      ++i;
      continue;
    }
    // Greedily extend a run of NAL units that fit one STAP-A together.
    size_t stap_size = kNalHeaderSize + kStapALengthSize + nals[i].size();
    size_t end = i + 1;
    while (end < nals.size() && nals[i].size() <= kMaxStapANalSize &&
           nals[end].size() <= kMaxStapANalSize &&
           stap_size + kStapALengthSize + nals[end].size() <= budget_) {
      stap_size += kStapALengthSize + nals[end].size();
      ++end;
    }
    if (end - i >= 2) {
      out.push_back(MakeStapA(std::span(nals).subspan(i, end - i)));
    } else {
      out.emplace_back(nals[i].begin(), nals[i].end());
    }
    i = end;
  }
  return out;
}

}  // namespace tessera::rtp
