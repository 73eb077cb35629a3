// AV1 RTP payload format (the AOM "RTP Payload Format For AV1", v1.0): the aggregation header,
// OBU elements and fragments, and joining a temporal unit's packets into OBUs.
#pragma once

#include <tessera/rtp/depacketizer.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

// The aggregation header (section 4.4): Z Y W W N - - -.
struct Av1AggregationHeader {
  bool continues_previous = false;  // Z: the first OBU element continues the previous packet's
  bool continues_next = false;      // Y: the last OBU element continues in the next packet
  uint8_t element_count = 0;        // W: 1..3, the last element without a length; 0: all with
  bool new_coded_video_sequence = false;  // N: first packet of a coded video sequence
};

Av1AggregationHeader ParseAv1AggregationHeader(uint8_t byte);

// Runs on: the participant's network shard. Stateless between packets.
class Av1Depacketizer final : public Depacketizer {
 public:
  // Output data is the packet's OBU elements, each behind its LEB128 length (whatever W said),
  // with obu_continues_previous (Z) and obu_continues_next (Y) for AssembleAv1Frame to rejoin
  // fragments. frame_start when Z = 0 and the first element begins a sequence header, temporal
  // delimiter, or the frame (header) of spatial layer 0. keyframe when N = 1 and a sequence
  // header OBU begins in the packet; width and height are that sequence header's maximum frame
  // size. nullopt for a payload without any element, an element length past the end, an empty
  // element, or fewer elements than W says.
  std::optional<DepacketizedPayload> Parse(std::span<const uint8_t> payload) override;
};

// The temporal unit of one frame's packets, in sequence order: the OBUs of their elements, each
// fragment joined to the rest of its OBU, written in the low overhead bitstream format (every OBU
// with obu_has_size_field and its size). Temporal delimiters and tile lists are left out (section
// 5: receivers ignore them), as are OBUs whose first or last fragment is missing and elements
// whose OBU header or size field is malformed.
std::vector<uint8_t> AssembleAv1Frame(std::span<const DepacketizedPayload* const> packets);

}  // namespace tessera::rtp
