// VP9 bitstream helpers shared by the RTP payload format (RFC 9628) and the codec module: the
// start of a frame's uncompressed header (VP9 bitstream specification 6.2) and superframes
// (Annex B). Every function is pure and never reads out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp::vp9 {

struct UncompressedHeader {
  uint8_t profile = 0;  // 0..3
  bool show_existing_frame = false;
  bool keyframe = false;  // frame_type KEY_FRAME (never with show_existing_frame)
  bool show_frame = false;
  bool error_resilient = false;
  bool intra_only = false;
  // The frame size the header codes (frame_size(): keyframes, intra-only frames, and inter frames
  // that do not take a reference frame's size), 1..65536 each; 0 when it codes none.
  uint32_t width = 0;
  uint32_t height = 0;
};

// Reads one frame's uncompressed header up to its frame size. nullopt when `frame` ends before
// that, the frame marker is not 2, a reserved bit is set, or a keyframe or intra-only frame lacks
// the sync code.
std::optional<UncompressedHeader> ParseUncompressedHeader(std::span<const uint8_t> frame);

// The largest number of frames one superframe holds.
inline constexpr size_t kMaxSuperframeFrames = 8;

// The frames of `data`, in order: the frames its superframe index lists (empty frames left out)
// when it ends with a valid index whose sizes fit the data before it, else `data` itself as one
// frame. Empty for empty data. The spans point into `data`.
std::vector<std::span<const uint8_t>> SplitSuperframe(std::span<const uint8_t> data);

// Joins frames into one superframe: the frames one after another and an index of their sizes.
// Frames that are superframes themselves contribute the frames of their own index (an index
// cannot nest). One frame in all is returned as it is, without an index. nullopt when there are
// more than kMaxSuperframeFrames frames in all or a frame is empty.
std::optional<std::vector<uint8_t>> JoinSuperframe(
    std::span<const std::span<const uint8_t>> frames);

}  // namespace tessera::rtp::vp9
