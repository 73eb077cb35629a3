// VP9 RTP payload format (RFC 9628): payload descriptor parsing and depacketization.
#pragma once

#include <tessera/rtp/depacketizer.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

// The scalability structure (RFC 9628 4.2.1), sent with V = 1.
struct Vp9ScalabilityStructure {
  uint8_t spatial_layers = 1;  // N_S + 1
  // Each spatial layer's resolution, when Y = 1 (0 otherwise).
  std::array<uint16_t, 8> width{};
  std::array<uint16_t, 8> height{};
  uint8_t pictures_in_group = 0;  // N_G; 0 when G = 0
};

// The VP9 payload descriptor (RFC 9628 4.2). Optional fields are nullopt when absent.
struct Vp9Descriptor {
  bool inter_picture_predicted = false;  // P
  bool flexible_mode = false;            // F
  bool begin_of_frame = false;           // B: first packet of a layer frame
  bool end_of_frame = false;             // E: last packet of a layer frame
  bool not_upper_reference = false;      // Z
  // PictureID, 7 bits (M = 0) or 15 bits (M = 1), when I.
  std::optional<uint16_t> picture_id;
  bool picture_id_15bit = false;
  // Layer indices, when L.
  std::optional<uint8_t> temporal_id;   // TID, 0..7
  std::optional<uint8_t> spatial_id;    // SID, 0..7
  bool switching_up = false;            // U
  bool inter_layer_dependency = false;  // D
  std::optional<uint8_t> tl0_pic_idx;   // non-flexible mode with L
  // Reference indices (flexible mode with P): up to three P_DIFF values, 1..127.
  uint8_t reference_count = 0;
  std::array<uint8_t, 3> p_diff{};
  std::optional<Vp9ScalabilityStructure> ss;  // when V
  size_t size = 0;                            // descriptor bytes before the VP9 payload
};

// nullopt when the payload is empty, ends inside the descriptor, or its reference indices are
// malformed (a P_DIFF of 0, a fourth reference). D on spatial layer 0 reads as 0.
std::optional<Vp9Descriptor> ParseVp9Descriptor(std::span<const uint8_t> payload);

// Runs on: the participant's network shard. Stateless between packets.
class Vp9Depacketizer final : public Depacketizer {
 public:
  // Output data is the payload without its descriptor (possibly empty). frame_start when B = 1
  // and D = 0: the first packet of a layer frame that does not depend on a lower spatial layer of
  // its picture (the base layer, or a layer sent on its own). Such a packet must carry VP9 data;
  // when it is spatial layer 0 (or has no layer indices) and its uncompressed header reads as a
  // keyframe while P = 0, keyframe is set. width and height come from the uncompressed header
  // of any B packet whose frame codes its size. layer_frame_end mirrors E. nullopt for a
  // malformed descriptor or a B packet without VP9 data.
  std::optional<DepacketizedPayload> Parse(std::span<const uint8_t> payload) override;
};

// The bitstream of one picture from its packets' outputs in sequence order: the layer frames
// joined into one superframe (with an index) when there are several, so that a decoder decodes
// them all; else the data as it came. Layer frames end at packets with layer_frame_end and at
// the last packet. More than 8 frames in all: the data concatenated.
std::vector<uint8_t> AssembleVp9Frame(std::span<const DepacketizedPayload* const> packets);

}  // namespace tessera::rtp
