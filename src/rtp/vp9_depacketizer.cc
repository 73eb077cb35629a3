#include "rtp/vp9_depacketizer.h"

#include <tessera/base/byte_io.h>
#include <tessera/rtp/vp9_bitstream.h>

#include <algorithm>
#include <utility>

#include "rtp/picture_id.h"

namespace tessera::rtp {
namespace {

// The first octet: I P L F B E V Z (RFC 9628 4.2).
constexpr uint8_t kIBit = 0x80;
constexpr uint8_t kPBit = 0x40;
constexpr uint8_t kLBit = 0x20;
constexpr uint8_t kFBit = 0x10;
constexpr uint8_t kBBit = 0x08;
constexpr uint8_t kEBit = 0x04;
constexpr uint8_t kVBit = 0x02;
constexpr uint8_t kZBit = 0x01;
// Layer indices: TID (3) U (1) SID (3) D (1).
constexpr uint8_t kUBit = 0x10;
constexpr uint8_t kDBit = 0x01;
// Reference indices: P_DIFF (7) N (1).
constexpr uint8_t kNBit = 0x01;
constexpr uint8_t kMaxReferences = 3;
// Scalability structure: N_S (3) Y (1) G (1) reserved (3); a PG entry: TID (3) U (1) R (2) - -.
constexpr uint8_t kYBit = 0x10;
constexpr uint8_t kGBit = 0x08;

uint16_t Saturate16(uint32_t v) { return static_cast<uint16_t>(std::min<uint32_t>(v, 0xFFFF)); }

bool ParseScalabilityStructure(ByteReader& r, Vp9ScalabilityStructure& ss) {
  const uint8_t head = r.U8();
  ss.spatial_layers = static_cast<uint8_t>((head >> 5) + 1);
  if (head & kYBit) {
    for (int i = 0; i < ss.spatial_layers; ++i) {
      ss.width[i] = r.U16();
      ss.height[i] = r.U16();
    }
  }
  if (head & kGBit) {
    ss.pictures_in_group = r.U8();
    for (int i = 0; i < ss.pictures_in_group; ++i) {
      const uint8_t entry = r.U8();
      const size_t references = (entry >> 2) & 0x03;
      r.Skip(references);  // P_DIFF of each
    }
  }
  return r.ok();
}

}  // namespace

std::optional<Vp9Descriptor> ParseVp9Descriptor(std::span<const uint8_t> payload) {
  ByteReader r(payload);
  Vp9Descriptor d;
  const uint8_t first = r.U8();
  if (!r.ok()) return std::nullopt;
  d.inter_picture_predicted = first & kPBit;
  d.flexible_mode = first & kFBit;
  d.begin_of_frame = first & kBBit;
  d.end_of_frame = first & kEBit;
  d.not_upper_reference = first & kZBit;
  if (first & kIBit) {
    const PictureId id = ReadPictureId(r);
    d.picture_id = id.value;
    d.picture_id_15bit = id.fifteen_bit;
  }
  if (first & kLBit) {
    const uint8_t layers = r.U8();
    d.temporal_id = static_cast<uint8_t>(layers >> 5);
    d.switching_up = layers & kUBit;
    d.spatial_id = static_cast<uint8_t>((layers >> 1) & 0x07);
    // RFC 9628 4.2: D MUST be zero on the base layer, which has no lower layer to depend on; a
    // sender that sets it there is taken at its SID.
    d.inter_layer_dependency = (layers & kDBit) && *d.spatial_id != 0;
    if (!d.flexible_mode) d.tl0_pic_idx = r.U8();
  }
  if (d.flexible_mode && d.inter_picture_predicted) {
    for (;;) {
      const uint8_t ref = r.U8();
      if (!r.ok()) return std::nullopt;
      if ((ref >> 1) == 0 || d.reference_count == kMaxReferences) return std::nullopt;
      d.p_diff[d.reference_count++] = static_cast<uint8_t>(ref >> 1);
      if (!(ref & kNBit)) break;
    }
  }
  if (first & kVBit) {
    Vp9ScalabilityStructure ss;
    if (!ParseScalabilityStructure(r, ss)) return std::nullopt;
    d.ss = ss;
  }
  if (!r.ok()) return std::nullopt;
  d.size = r.position();
  return d;
}

std::optional<DepacketizedPayload> Vp9Depacketizer::Parse(std::span<const uint8_t> payload) {
  auto descriptor = ParseVp9Descriptor(payload);
  if (!descriptor) return std::nullopt;
  const auto frame = payload.subspan(descriptor->size);

  DepacketizedPayload out;
  out.frame_start = descriptor->begin_of_frame && !descriptor->inter_layer_dependency;
  out.layer_frame_end = descriptor->end_of_frame;
  if (descriptor->begin_of_frame) {
    if (frame.empty()) return std::nullopt;
    // A superframe's first frame begins the payload; its header is the one read here.
    if (const auto header = vp9::ParseUncompressedHeader(frame)) {
      const bool base_layer = descriptor->spatial_id.value_or(0) == 0;
      out.keyframe = header->keyframe && base_layer && !descriptor->inter_picture_predicted;
      if (header->width != 0 && header->height != 0) {
        out.width = Saturate16(header->width);
        out.height = Saturate16(header->height);
      }
    }
  }
  out.data.assign(frame.begin(), frame.end());
  return out;
}

std::vector<uint8_t> AssembleVp9Frame(std::span<const DepacketizedPayload* const> packets) {
  std::vector<uint8_t> data;
  size_t bytes = 0;
  for (const DepacketizedPayload* p : packets) bytes += p->data.size();
  data.reserve(bytes);
  // Where each layer frame ends in `data`.
  std::vector<size_t> ends;
  for (size_t i = 0; i < packets.size(); ++i) {
    const DepacketizedPayload& p = *packets[i];
    data.insert(data.end(), p.data.begin(), p.data.end());
    const size_t last_end = ends.empty() ? 0 : ends.back();
    if ((p.layer_frame_end || i + 1 == packets.size()) && data.size() > last_end) {
      ends.push_back(data.size());
    }
  }
  if (ends.size() < 2) return data;
  std::vector<std::span<const uint8_t>> frames;
  frames.reserve(ends.size());
  const std::span<const uint8_t> all(data);
  size_t begin = 0;
  for (size_t end : ends) {
    frames.push_back(all.subspan(begin, end - begin));
    begin = end;
  }
  auto joined = vp9::JoinSuperframe(frames);
  if (!joined) return data;
  return std::move(*joined);
}

}  // namespace tessera::rtp
