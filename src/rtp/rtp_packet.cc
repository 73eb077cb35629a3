#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtp_packet.h>

#include <algorithm>

namespace tessera::rtp {
namespace {

constexpr uint16_t kOneByteProfile = 0xBEDE;
constexpr uint16_t kTwoByteProfileMask = 0xFFF0;
constexpr uint16_t kTwoByteProfile = 0x1000;

}  // namespace

std::optional<RtpPacket> RtpPacket::Parse(std::span<const uint8_t> data) {
  if (data.size() < kRtpFixedHeaderSize) return std::nullopt;
  const uint8_t* p = data.data();
  if ((p[0] >> 6) != 2) return std::nullopt;
  const bool has_padding = p[0] & 0x20;
  const bool has_extension = p[0] & 0x10;
  const uint8_t cc = p[0] & 0x0F;

  RtpPacket pkt;
  pkt.marker_ = p[1] & 0x80;
  pkt.payload_type_ = p[1] & 0x7F;
  pkt.sequence_number_ = ReadBe16(p + 2);
  pkt.timestamp_ = ReadBe32(p + 4);
  pkt.ssrc_ = ReadBe32(p + 8);
  pkt.csrc_count_ = cc;

  size_t offset = kRtpFixedHeaderSize + 4u * cc;
  if (offset > data.size()) return std::nullopt;

  if (has_extension) {
    if (offset + 4 > data.size()) return std::nullopt;
    const uint16_t profile = ReadBe16(p + offset);
    const size_t ext_len = 4u * ReadBe16(p + offset + 2);
    const size_t ext_start = offset + 4;
    if (ext_start + ext_len > data.size()) return std::nullopt;
    if (profile == kOneByteProfile || (profile & kTwoByteProfileMask) == kTwoByteProfile) {
      const bool one_byte = profile == kOneByteProfile;
      pkt.extension_profile_ = one_byte ? ExtensionProfile::kOneByte : ExtensionProfile::kTwoByte;
      size_t i = ext_start;
      const size_t end = ext_start + ext_len;
      while (i < end) {
        if (p[i] == 0) {  // padding byte between elements
          ++i;
          continue;
        }
        uint8_t id;
        size_t len;
        if (one_byte) {
          id = p[i] >> 4;
          len = (p[i] & 0x0F) + 1u;
          if (id == 15) break;  // reserved: stop processing (RFC 8285 4.2)
          i += 1;
        } else {
          if (i + 2 > end) return std::nullopt;
          id = p[i];
          len = p[i + 1];
          i += 2;
        }
        if (i + len > end) return std::nullopt;
        if (pkt.extension_count_ < kMaxExtensions) {
          pkt.extensions_[pkt.extension_count_++] = {id, static_cast<uint16_t>(i),
                                                     static_cast<uint16_t>(len)};
        }
        i += len;
      }
    } else {
      pkt.extension_profile_ = ExtensionProfile::kOther;
    }
    offset = ext_start + ext_len;
  }

  size_t padding = 0;
  if (has_padding) {
    if (data.size() == offset) return std::nullopt;
    padding = data.back();
    if (padding == 0 || offset + padding > data.size()) return std::nullopt;
  }
  pkt.payload_offset_ = offset;
  pkt.payload_size_ = data.size() - offset - padding;
  pkt.padding_size_ = padding;
  pkt.buffer_.assign(data.begin(), data.end());
  return pkt;
}

RtpPacket RtpPacket::Build(const RtpHeader& header, std::span<const ExtensionElement> extensions,
                           std::span<const uint8_t> payload, uint8_t padding_size) {
  std::vector<uint8_t> out;
  out.reserve(kRtpFixedHeaderSize + 64 + payload.size() + padding_size);
  const size_t cc = std::min(header.csrcs.size(), kMaxCsrcs);
  ByteWriter w(out);
  w.U8(static_cast<uint8_t>(0x80 | (padding_size ? 0x20 : 0) | (extensions.empty() ? 0 : 0x10) |
                            cc));
  w.U8(static_cast<uint8_t>((header.marker ? 0x80 : 0) | (header.payload_type & 0x7F)));
  w.U16(header.sequence_number);
  w.U32(header.timestamp);
  w.U32(header.ssrc);
  for (size_t i = 0; i < cc; ++i) w.U32(header.csrcs[i]);

  if (!extensions.empty()) {
    bool one_byte = true;
    for (const auto& e : extensions) {
      if (e.id < 1 || e.id > 14 || e.data.empty() || e.data.size() > 16) one_byte = false;
    }
    const size_t header_at = out.size();
    w.U16(one_byte ? kOneByteProfile : kTwoByteProfile);
    w.U16(0);  // length, patched below
    for (const auto& e : extensions) {
      if (one_byte) {
        w.U8(static_cast<uint8_t>((e.id << 4) | (e.data.size() - 1)));
      } else {
        w.U8(e.id);
        w.U8(static_cast<uint8_t>(std::min<size_t>(e.data.size(), 255)));
      }
      w.Bytes(std::span<const uint8_t>(e.data).first(std::min<size_t>(e.data.size(), 255)));
    }
    while ((out.size() - header_at) % 4) w.U8(0);
    WriteBe16(&out[header_at + 2], static_cast<uint16_t>((out.size() - header_at - 4) / 4));
  }
  w.Bytes(payload);
  if (padding_size) {
    w.Zeros(padding_size - 1u);
    w.U8(padding_size);
  }
  auto parsed = Parse(out);
  return parsed ? std::move(*parsed) : RtpPacket();
}

uint32_t RtpPacket::csrc(size_t i) const {
  if (i >= csrc_count_) return 0;
  return ReadBe32(&buffer_[kRtpFixedHeaderSize + 4 * i]);
}

std::optional<std::span<const uint8_t>> RtpPacket::extension(uint8_t id) const {
  for (size_t i = 0; i < extension_count_; ++i) {
    if (extensions_[i].id == id) {
      return std::span<const uint8_t>(buffer_).subspan(extensions_[i].offset,
                                                       extensions_[i].length);
    }
  }
  return std::nullopt;
}

void RtpPacket::SetMarker(bool marker) {
  marker_ = marker;
  if (buffer_.size() >= kRtpFixedHeaderSize) {
    buffer_[1] = static_cast<uint8_t>((buffer_[1] & 0x7F) | (marker ? 0x80 : 0));
  }
}
void RtpPacket::SetPayloadType(uint8_t pt) {
  payload_type_ = pt & 0x7F;
  if (buffer_.size() >= kRtpFixedHeaderSize) {
    buffer_[1] = static_cast<uint8_t>((buffer_[1] & 0x80) | payload_type_);
  }
}
void RtpPacket::SetSequenceNumber(uint16_t seq) {
  sequence_number_ = seq;
  if (buffer_.size() >= kRtpFixedHeaderSize) WriteBe16(&buffer_[2], seq);
}
void RtpPacket::SetTimestamp(uint32_t ts) {
  timestamp_ = ts;
  if (buffer_.size() >= kRtpFixedHeaderSize) WriteBe32(&buffer_[4], ts);
}
void RtpPacket::SetSsrc(uint32_t ssrc) {
  ssrc_ = ssrc;
  if (buffer_.size() >= kRtpFixedHeaderSize) WriteBe32(&buffer_[8], ssrc);
}

bool RtpPacket::SetExtension(uint8_t id, std::span<const uint8_t> data) {
  if (id == 0 || data.empty() || data.size() > 255) return false;
  if (extension_profile_ == ExtensionProfile::kOther) return false;
  for (size_t i = 0; i < extension_count_; ++i) {
    if (extensions_[i].id == id && extensions_[i].length == data.size()) {
      std::copy(data.begin(), data.end(), buffer_.begin() + extensions_[i].offset);
      return true;
    }
  }
  std::vector<ExtensionElement> elements;
  elements.reserve(extension_count_ + 1);
  for (size_t i = 0; i < extension_count_; ++i) {
    if (extensions_[i].id == id) continue;
    const auto bytes =
        std::span<const uint8_t>(buffer_).subspan(extensions_[i].offset, extensions_[i].length);
    elements.push_back({extensions_[i].id, {bytes.begin(), bytes.end()}});
  }
  if (elements.size() >= kMaxExtensions) return false;
  elements.push_back({id, {data.begin(), data.end()}});
  RtpHeader h{marker_, payload_type_, sequence_number_, timestamp_, ssrc_, {}};
  for (size_t i = 0; i < csrc_count_; ++i) h.csrcs.push_back(csrc(i));
  RtpPacket rebuilt = Build(h, elements, payload(), static_cast<uint8_t>(padding_size_));
  if (rebuilt.size() == 0) return false;
  *this = std::move(rebuilt);
  return true;
}

}  // namespace tessera::rtp
