#include "rtp/av1_depacketizer.h"

#include <tessera/rtp/av1_bitstream.h>

#include <algorithm>

namespace tessera::rtp {
namespace {

constexpr uint8_t kZBit = 0x80;
constexpr uint8_t kYBit = 0x40;
constexpr uint8_t kNBit = 0x08;

uint16_t Saturate16(uint32_t v) { return static_cast<uint16_t>(std::min<uint32_t>(v, 0xFFFF)); }

// Whether an OBU that begins an element can begin a temporal unit.
bool BeginsTemporalUnit(const av1::ObuHeader& h) {
  switch (h.type) {
    case av1::ObuType::kSequenceHeader:
    case av1::ObuType::kTemporalDelimiter:
      return true;
    case av1::ObuType::kFrameHeader:
    case av1::ObuType::kFrame:
      return h.spatial_id == 0;
    default:
      return false;
  }
}

// The payload of a whole OBU (header first): after the header and the size field when it has
// one, cut to that size. nullopt when the size field is malformed or runs past the OBU.
std::optional<std::span<const uint8_t>> ObuPayload(const av1::ObuHeader& h,
                                                   std::span<const uint8_t> obu) {
  auto payload = obu.subspan(h.header_size);
  if (!h.has_size_field) return payload;
  const auto size = av1::ReadLeb128(payload);
  if (!size || size->value > payload.size() - size->size) return std::nullopt;
  return payload.subspan(size->size, size->value);
}

// Appends one rejoined OBU to `out` in the low overhead format, unless it is to be left out.
void AppendWholeObu(std::span<const uint8_t> obu, std::vector<uint8_t>& out) {
  const auto header = av1::ParseObuHeader(obu);
  if (!header || header->type == av1::ObuType::kTemporalDelimiter ||
      header->type == av1::ObuType::kTileList) {
    return;
  }
  const auto payload = ObuPayload(*header, obu);
  if (!payload) return;
  av1::AppendObu(obu.first(header->header_size), *payload, out);
}

// The elements of a depacketized payload's data (each behind its LEB128 length); stops at the
// first one that does not read.
std::vector<std::span<const uint8_t>> Elements(std::span<const uint8_t> data) {
  std::vector<std::span<const uint8_t>> elements;
  size_t pos = 0;
  while (pos < data.size()) {
    const auto length = av1::ReadLeb128(data.subspan(pos));
    if (!length || length->value > data.size() - pos - length->size) break;
    elements.push_back(data.subspan(pos + length->size, length->value));
    pos += length->size + length->value;
  }
  return elements;
}

}  // namespace

Av1AggregationHeader ParseAv1AggregationHeader(uint8_t byte) {
  Av1AggregationHeader h;
  h.continues_previous = byte & kZBit;
  h.continues_next = byte & kYBit;
  h.element_count = static_cast<uint8_t>((byte >> 4) & 0x03);
  h.new_coded_video_sequence = byte & kNBit;
  return h;
}

std::optional<DepacketizedPayload> Av1Depacketizer::Parse(std::span<const uint8_t> payload) {
  if (payload.empty()) return std::nullopt;
  const Av1AggregationHeader aggregation = ParseAv1AggregationHeader(payload[0]);
  DepacketizedPayload out;
  out.obu_continues_previous = aggregation.continues_previous;
  out.obu_continues_next = aggregation.continues_next;
  out.data.reserve(payload.size() + 4);
  size_t pos = 1;
  int count = 0;
  while (pos < payload.size()) {
    ++count;
    size_t length = payload.size() - pos;  // the last of W elements has no length field
    if (aggregation.element_count == 0 || count < aggregation.element_count) {
      const auto leb = av1::ReadLeb128(payload.subspan(pos));
      if (!leb || leb->value > payload.size() - pos - leb->size) return std::nullopt;
      pos += leb->size;
      length = leb->value;
    }
    if (length == 0) return std::nullopt;
    const auto element = payload.subspan(pos, length);
    pos += length;
    av1::WriteLeb128(static_cast<uint32_t>(length), out.data);
    out.data.insert(out.data.end(), element.begin(), element.end());

    // An element that is not the continuation of a fragment begins an OBU, header first.
    if (count == 1 && aggregation.continues_previous) continue;
    const auto header = av1::ParseObuHeader(element);
    if (!header) continue;
    if (count == 1) out.frame_start = BeginsTemporalUnit(*header);
    if (header->type == av1::ObuType::kSequenceHeader) {
      out.keyframe = out.keyframe || aggregation.new_coded_video_sequence;
      // A fragment of the header may be cut before the size; then it is unknown here.
      const auto obu_payload = ObuPayload(*header, element);
      const auto sequence = obu_payload ? av1::ParseSequenceHeader(*obu_payload) : std::nullopt;
      if (sequence) {
        out.width = Saturate16(sequence->max_width);
        out.height = Saturate16(sequence->max_height);
      }
    }
  }
  if (count == 0 || (aggregation.element_count != 0 && count != aggregation.element_count)) {
    return std::nullopt;
  }
  return out;
}

std::vector<uint8_t> AssembleAv1Frame(std::span<const DepacketizedPayload* const> packets) {
  std::vector<uint8_t> out;
  size_t bytes = 0;
  for (const DepacketizedPayload* p : packets) bytes += p->data.size();
  out.reserve(bytes + 16);
  std::vector<uint8_t> pending;  // the OBU being rejoined from its fragments
  bool valid = false;            // pending began with its first fragment
  bool open = false;             // pending continues in the next element
  for (const DepacketizedPayload* p : packets) {
    const auto elements = Elements(p->data);
    for (size_t i = 0; i < elements.size(); ++i) {
      if (i == 0 && p->obu_continues_previous) {
        // A continuation: of the OBU pending, or of one whose start is missing.
        if (open) {
          pending.insert(pending.end(), elements[i].begin(), elements[i].end());
        } else {
          pending.clear();
          valid = false;
        }
      } else {
        // A new OBU; one still waiting for its end lost it.
        pending.assign(elements[i].begin(), elements[i].end());
        valid = true;
      }
      open = i + 1 == elements.size() && p->obu_continues_next;
      if (!open) {
        if (valid) AppendWholeObu(pending, out);
        pending.clear();
        valid = false;
      }
    }
    if (elements.empty() && open) {
      // Nothing came to continue the OBU pending: its end is lost.
      pending.clear();
      valid = false;
      open = false;
    }
  }
  return out;
}

}  // namespace tessera::rtp
