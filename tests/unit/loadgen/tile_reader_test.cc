#include "loadgen/tile_reader.h"

#include <gtest/gtest.h>
#include <tessera/mixer/cpu_compositor.h>

#include "loadgen/test_pattern.h"

namespace tessera::loadgen {
namespace {

TEST(TileReader, ReadsEveryTileOfACroppedBorderedGrid) {
  RoomLayout layout;
  layout.spec.fit = mixer::FitPolicy::kCrop;
  layout.spec.border_px = 2;
  // Four senders and one participant without video (a placeholder tile).
  for (uint32_t id = 1; id <= 4; ++id) layout.inputs.push_back({id, 640, 360});
  layout.inputs.push_back({5, 0, 0});
  const auto tiles = mixer::ComputeLayout(layout.spec, 1280, 720, layout.inputs, std::nullopt);
  std::vector<codec::VideoFrame> pictures;
  for (uint32_t i = 0; i < 4; ++i) pictures.push_back(MakeTestPicture(640, 360, 30, 100 + 7 * i));
  std::vector<const mixer::I420Frame*> by_tile;
  for (const auto& t : tiles) {
    by_tile.push_back(
        t.participant_id >= 1 && t.participant_id <= 4 ? &pictures[t.participant_id - 1] : nullptr);
  }
  codec::VideoFrame canvas = codec::VideoFrame::Make(1280, 720);
  mixer::CpuCompositor compositor;
  mixer::ComposeOptions options;
  options.border_px = 2;
  (void)compositor.Compose(tiles, by_tile, canvas, options);

  TileReader reader(layout);
  const auto readings = reader.Read(canvas);
  ASSERT_EQ(readings.size(), 5u);
  EXPECT_EQ(readings[0], 100u);
  EXPECT_EQ(readings[1], 107u);
  EXPECT_EQ(readings[2], 114u);
  EXPECT_EQ(readings[3], 121u);
  EXPECT_EQ(readings[4], std::nullopt);
}

TEST(TileReader, AnotherCompositeSizeGetsItsOwnTiles) {
  RoomLayout layout;
  layout.inputs.push_back({1, 640, 360});
  TileReader reader(layout);
  const auto big = MakeTestPicture(640, 360, 30, 9);
  EXPECT_EQ(reader.Read(big)[0], 9u);
  // A 1x1 grid on a smaller canvas: the picture scaled to 320x180.
  const auto small = MakeTestPicture(320, 180, 30, 11);
  EXPECT_EQ(reader.Read(small)[0], 11u);
}

}  // namespace
}  // namespace tessera::loadgen
