#include "rtp/vp8_depacketizer.h"

#include <tessera/base/byte_io.h>

#include "rtp/picture_id.h"

namespace tessera::rtp {
namespace {

constexpr uint8_t kXBit = 0x80;
constexpr uint8_t kNBit = 0x20;
constexpr uint8_t kSBit = 0x10;
constexpr uint8_t kPidMask = 0x07;
constexpr uint8_t kIBit = 0x80;
constexpr uint8_t kLBit = 0x40;
constexpr uint8_t kTBit = 0x20;
constexpr uint8_t kKBit = 0x10;

// VP8 payload header (RFC 7741 4.3) and keyframe header (RFC 6386 9.1).
constexpr size_t kPayloadHeaderSize = 3;
constexpr size_t kKeyframeHeaderSize = 10;
constexpr uint8_t kInverseKeyframeBit = 0x01;
constexpr uint8_t kStartCode[3] = {0x9d, 0x01, 0x2a};
constexpr uint16_t kDimensionMask = 0x3FFF;  // the top two bits are the scaling mode

uint16_t ReadLe16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

}  // namespace

std::optional<Vp8Descriptor> ParseVp8Descriptor(std::span<const uint8_t> payload) {
  ByteReader r(payload);
  Vp8Descriptor d;
  const uint8_t first = r.U8();
  if (!r.ok()) return std::nullopt;
  d.non_reference = first & kNBit;
  d.start_of_partition = first & kSBit;
  d.partition_id = first & kPidMask;
  if (first & kXBit) {
    const uint8_t ext = r.U8();
    if (ext & kIBit) {
      const PictureId id = ReadPictureId(r);
      d.picture_id = id.value;
      d.picture_id_15bit = id.fifteen_bit;
    }
    if (ext & kLBit) d.tl0_pic_idx = r.U8();
    if (ext & (kTBit | kKBit)) {
      const uint8_t tyk = r.U8();
      if (ext & kTBit) {
        d.temporal_id = static_cast<uint8_t>(tyk >> 6);
        d.layer_sync = tyk & 0x20;
      }
      if (ext & kKBit) d.key_idx = tyk & 0x1F;
    }
    if (!r.ok()) return std::nullopt;
  }
  d.size = r.position();
  return d;
}

std::optional<DepacketizedPayload> Vp8Depacketizer::Parse(std::span<const uint8_t> payload) {
  auto descriptor = ParseVp8Descriptor(payload);
  if (!descriptor) return std::nullopt;
  const auto vp8 = payload.subspan(descriptor->size);

  DepacketizedPayload out;
  out.frame_start = descriptor->start_of_partition && descriptor->partition_id == 0;
  if (out.frame_start) {
    if (vp8.size() < kPayloadHeaderSize) return std::nullopt;
    out.keyframe = !(vp8[0] & kInverseKeyframeBit);
    if (out.keyframe && vp8.size() >= kKeyframeHeaderSize && vp8[3] == kStartCode[0] &&
        vp8[4] == kStartCode[1] && vp8[5] == kStartCode[2]) {
      out.width = ReadLe16(&vp8[6]) & kDimensionMask;
      out.height = ReadLe16(&vp8[8]) & kDimensionMask;
    }
  }
  out.data.assign(vp8.begin(), vp8.end());
  return out;
}

}  // namespace tessera::rtp
