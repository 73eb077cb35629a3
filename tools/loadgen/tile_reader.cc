#include "loadgen/tile_reader.h"

#include "loadgen/frame_code.h"

namespace tessera::loadgen {

TileReader::TileReader(RoomLayout layout) : layout_(std::move(layout)) {}

std::vector<std::optional<uint32_t>> TileReader::Read(const codec::VideoFrame& composite) {
  std::vector<std::optional<uint32_t>> out(layout_.inputs.size());
  if (composite.width != width_ || composite.height != height_) {
    width_ = composite.width;
    height_ = composite.height;
    mixer::LayoutSpec spec = layout_.spec;
    spec.custom = layout_.custom ? &*layout_.custom : nullptr;
    // The active speaker moves tiles only in speaker-led layouts, which the reader cannot follow.
    tiles_ = mixer::ComputeLayout(spec, width_, height_, layout_.inputs, std::nullopt);
  }
  for (size_t i = 0; i < layout_.inputs.size(); ++i) {
    const mixer::LayoutInput& in = layout_.inputs[i];
    if (in.width <= 0 || in.height <= 0) continue;
    for (const mixer::Tile& t : tiles_) {
      if (t.participant_id != in.id) continue;
      out[i] = ReadFrameCode(composite, Placement{in.width, in.height, t.src, t.dest});
      break;
    }
  }
  return out;
}

}  // namespace tessera::loadgen
