// VP8 RTP payload format (RFC 7741): payload descriptor parsing and depacketization.
#pragma once

#include <tessera/rtp/depacketizer.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace tessera::rtp {

// The VP8 payload descriptor (RFC 7741 4.2). Optional fields are nullopt when absent.
struct Vp8Descriptor {
  bool non_reference = false;       // N
  bool start_of_partition = false;  // S
  uint8_t partition_id = 0;         // PID, 0..7
  // PictureID, 7 bits (M = 0) or 15 bits (M = 1).
  std::optional<uint16_t> picture_id;
  bool picture_id_15bit = false;
  std::optional<uint8_t> tl0_pic_idx;
  std::optional<uint8_t> temporal_id;  // TID, 0..3, when T
  bool layer_sync = false;             // Y, meaningful when T
  std::optional<uint8_t> key_idx;      // KEYIDX, 0..31, when K
  size_t size = 0;                     // descriptor bytes before the VP8 payload
};

// nullopt when the payload is empty or ends inside the descriptor.
std::optional<Vp8Descriptor> ParseVp8Descriptor(std::span<const uint8_t> payload);

// Runs on: the participant's network shard. Stateless between packets.
class Vp8Depacketizer final : public Depacketizer {
 public:
  // Output data is the payload without its descriptor (possibly empty). frame_start when S = 1
  // and PID = 0; such a packet must hold the 3-byte VP8 payload header, whose P bit gives
  // keyframe, and a keyframe's 10-byte frame header gives width and height (0 when it is cut
  // off or lacks the start code). nullopt for a truncated descriptor or payload header.
  std::optional<DepacketizedPayload> Parse(std::span<const uint8_t> payload) override;
};

}  // namespace tessera::rtp
