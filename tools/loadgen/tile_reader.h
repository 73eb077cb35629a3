// Reads the frame code of every participant's tile in a decoded composite. The tiles come from
// mixer::ComputeLayout with the room's layout, fit and borders, as Tessera computes them, and
// are recomputed only when the composite's size changes.
#pragma once

#include <tessera/codec/video_frame.h>
#include <tessera/mixer/layout.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace tessera::loadgen {

struct RoomLayout {
  mixer::LayoutSpec spec;  // spec.custom is ignored: `custom` is used when kind is kCustom
  std::optional<mixer::CustomLayout> custom;
  // The room's tiles in joining order (Tessera's participant ids), with the size of the pictures
  // each sends (0 x 0: no video).
  std::vector<mixer::LayoutInput> inputs;
};

// Runs on: the decode thread of its composite (not thread-safe).
class TileReader {
 public:
  explicit TileReader(RoomLayout layout);

  // One reading per input of the layout, in its order: the clip index the tile shows, or nullopt
  // (no tile, no video, unreadable).
  std::vector<std::optional<uint32_t>> Read(const codec::VideoFrame& composite);

 private:
  RoomLayout layout_;
  int width_ = 0;
  int height_ = 0;
  std::vector<mixer::Tile> tiles_;
};

}  // namespace tessera::loadgen
