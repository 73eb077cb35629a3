// RTP packets (RFC 3550) with header extensions (RFC 8285, one- and two-byte forms) and padding.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

inline constexpr size_t kRtpFixedHeaderSize = 12;
inline constexpr size_t kMaxCsrcs = 15;
inline constexpr size_t kMaxExtensions = 16;

enum class ExtensionProfile : uint8_t { kNone, kOneByte, kTwoByte, kOther };

struct ExtensionElement {
  uint8_t id = 0;
  std::vector<uint8_t> data;
};

// The header fields a sender chooses.
struct RtpHeader {
  bool marker = false;
  uint8_t payload_type = 0;
  uint16_t sequence_number = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  std::vector<uint32_t> csrcs;
};

// A parsed RTP packet that owns its bytes. Parse never throws: it returns nullopt for anything
// that is not a well-formed RTP packet. Mutators rewrite the wire bytes in place, so data()
// is always the packet as it goes on the wire.
class RtpPacket {
 public:
  RtpPacket() = default;

  static std::optional<RtpPacket> Parse(std::span<const uint8_t> data);
  // Builds a packet. Extensions use the one-byte form when every id is 1..14 and every element is
  // 1..16 bytes, else the two-byte form. padding_size 0..255 (0 = no padding).
  static RtpPacket Build(const RtpHeader& header, std::span<const ExtensionElement> extensions,
                         std::span<const uint8_t> payload, uint8_t padding_size = 0);

  bool marker() const { return marker_; }
  uint8_t payload_type() const { return payload_type_; }
  uint16_t sequence_number() const { return sequence_number_; }
  uint32_t timestamp() const { return timestamp_; }
  uint32_t ssrc() const { return ssrc_; }
  size_t csrc_count() const { return csrc_count_; }
  uint32_t csrc(size_t i) const;
  size_t padding_size() const { return padding_size_; }
  size_t header_size() const { return payload_offset_; }

  ExtensionProfile extension_profile() const { return extension_profile_; }
  size_t extension_count() const { return extension_count_; }
  // The element with this id, or nullopt. A zero-length two-byte element yields an empty span.
  std::optional<std::span<const uint8_t>> extension(uint8_t id) const;

  std::span<const uint8_t> payload() const {
    return std::span<const uint8_t>(buffer_).subspan(payload_offset_, payload_size_);
  }
  std::span<const uint8_t> data() const { return buffer_; }
  size_t size() const { return buffer_.size(); }

  void SetMarker(bool marker);
  void SetPayloadType(uint8_t pt);
  void SetSequenceNumber(uint16_t seq);
  void SetTimestamp(uint32_t ts);
  void SetSsrc(uint32_t ssrc);
  // Sets header extension `id` to `data` (1..16 bytes for the one-byte form), in place when an
  // element of that id and size is there, else by rebuilding the packet with it added (every
  // other field, extension, the payload and padding kept). False, and the packet unchanged, for
  // a packet with an extension profile other than RFC 8285's or already kMaxExtensions elements.
  bool SetExtension(uint8_t id, std::span<const uint8_t> data);

 private:
  struct ExtensionRef {
    uint8_t id;
    uint16_t offset;
    uint16_t length;
  };

  std::vector<uint8_t> buffer_;
  bool marker_ = false;
  uint8_t payload_type_ = 0;
  uint16_t sequence_number_ = 0;
  uint32_t timestamp_ = 0;
  uint32_t ssrc_ = 0;
  uint8_t csrc_count_ = 0;
  ExtensionProfile extension_profile_ = ExtensionProfile::kNone;
  uint8_t extension_count_ = 0;
  std::array<ExtensionRef, kMaxExtensions> extensions_{};
  size_t payload_offset_ = 0;
  size_t payload_size_ = 0;
  size_t padding_size_ = 0;
};

// True when the sequence number a comes after b, modulo 2^16 (RFC 1982 serial arithmetic).
inline bool SeqNewer(uint16_t a, uint16_t b) {
  return a != b && static_cast<uint16_t>(a - b) < 0x8000;
}
// True when timestamp a comes after b modulo 2^32.
inline bool TimestampNewer(uint32_t a, uint32_t b) {
  return a != b && static_cast<uint32_t>(a - b) < 0x80000000u;
}

}  // namespace tessera::rtp
