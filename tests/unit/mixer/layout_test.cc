#include <gtest/gtest.h>
#include <tessera/mixer/layout.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace tessera::mixer {
namespace {

constexpr int kW = 1280;
constexpr int kH = 720;

std::vector<LayoutInput> Inputs(int count, int width = 640, int height = 360) {
  std::vector<LayoutInput> inputs;
  for (int i = 0; i < count; ++i) {
    inputs.push_back(LayoutInput{static_cast<uint32_t>(100 + i), width, height});
  }
  return inputs;
}

bool EvenAligned(const Rect& r) {
  return r.x % 2 == 0 && r.y % 2 == 0 && r.width % 2 == 0 && r.height % 2 == 0;
}

void ExpectWellFormed(const std::vector<Tile>& tiles, int w, int h) {
  const Rect canvas{0, 0, w, h};
  for (const Tile& t : tiles) {
    EXPECT_TRUE(EvenAligned(t.region)) << t.participant_id;
    EXPECT_TRUE(EvenAligned(t.dest)) << t.participant_id;
    EXPECT_TRUE(EvenAligned(t.src)) << t.participant_id;
    EXPECT_TRUE(canvas.Contains(t.region)) << t.participant_id;
    EXPECT_TRUE(t.region.Contains(t.dest)) << t.participant_id;
    EXPECT_FALSE(t.region.Empty());
  }
}

double Aspect(const Rect& r) { return static_cast<double>(r.width) / r.height; }

TEST(AutoGridLayout, PicksGridShapeByCount) {
  struct Case {
    int count, columns, rows;
  };
  for (const Case& c : {Case{1, 1, 1}, Case{2, 2, 1}, Case{4, 2, 2}, Case{5, 3, 3}, Case{9, 3, 3},
                        Case{10, 4, 4}, Case{26, 5, 5}}) {
    const std::vector<LayoutInput> inputs = Inputs(c.count);
    const std::vector<Tile> tiles = ComputeLayout({}, kW, kH, inputs, std::nullopt);
    ASSERT_EQ(tiles.size(), static_cast<size_t>(c.columns * c.rows)) << c.count;
    ExpectWellFormed(tiles, kW, kH);
    // Slot order: row-major, inputs first, then empty slots.
    int shown = 0;
    for (size_t i = 0; i < tiles.size(); ++i) {
      if (static_cast<int>(i) < std::min(c.count, kMaxGridTiles)) {
        EXPECT_EQ(tiles[i].participant_id, inputs[i].id);
        ++shown;
      } else {
        EXPECT_EQ(tiles[i].participant_id, 0u);
      }
    }
    EXPECT_EQ(shown, std::min(c.count, 25));
    // Columns share the canvas width.
    int row_width = 0;
    for (int col = 0; col < c.columns; ++col)
      row_width += tiles[static_cast<size_t>(col)].region.width;
    EXPECT_EQ(row_width, kW) << c.count;
    EXPECT_EQ(tiles.back().region.x + tiles.back().region.width, kW);
    EXPECT_EQ(tiles.back().region.y + tiles.back().region.height, kH);
  }
}

TEST(AutoGridLayout, SlotsDoNotOverlap) {
  for (int count : {1, 2, 4, 5, 9, 10, 26}) {
    const std::vector<Tile> tiles = ComputeLayout({}, 1920, 1080, Inputs(count), std::nullopt);
    ExpectWellFormed(tiles, 1920, 1080);
    for (size_t i = 0; i < tiles.size(); ++i) {
      for (size_t j = i + 1; j < tiles.size(); ++j) {
        EXPECT_FALSE(tiles[i].region.Intersects(tiles[j].region)) << count << ": " << i << "," << j;
      }
    }
  }
}

TEST(AutoGridLayout, OddCanvasIsRoundedDownToEven) {
  const std::vector<Tile> tiles = ComputeLayout({}, 1281, 721, Inputs(9), std::nullopt);
  ExpectWellFormed(tiles, 1280, 720);
}

TEST(AutoGridLayout, EmptyInputsOrCanvasGiveNoTiles) {
  EXPECT_TRUE(ComputeLayout({}, kW, kH, {}, std::nullopt).empty());
  EXPECT_TRUE(ComputeLayout({}, 1, kH, Inputs(4), std::nullopt).empty());
  EXPECT_TRUE(ComputeLayout({}, kW, 0, Inputs(4), std::nullopt).empty());
}

TEST(LetterboxFit, KeepsSourceAspectAndCentres) {
  struct Source {
    int w, h;
  };
  // A 2x2 grid on 1280x720 has 640x360 (16:9) slots.
  for (const Source& s : {Source{640, 480}, Source{1280, 720}, Source{360, 640}, Source{480, 640},
                          Source{1920, 800}}) {
    const std::vector<LayoutInput> inputs = Inputs(4, s.w, s.h);
    const std::vector<Tile> tiles = ComputeLayout({}, kW, kH, inputs, std::nullopt);
    ExpectWellFormed(tiles, kW, kH);
    for (const Tile& t : tiles) {
      const double source_aspect = static_cast<double>(s.w) / s.h;
      EXPECT_NEAR(Aspect(t.dest) / source_aspect, 1.0, 0.01) << s.w << "x" << s.h;
      EXPECT_EQ(t.src, (Rect{0, 0, s.w, s.h}));
      // Centred: the bars on either side differ by at most 2 pixels.
      const int left = t.dest.x - t.region.x;
      const int right = t.region.x + t.region.width - (t.dest.x + t.dest.width);
      const int top = t.dest.y - t.region.y;
      const int bottom = t.region.y + t.region.height - (t.dest.y + t.dest.height);
      EXPECT_LE(std::abs(left - right), 2);
      EXPECT_LE(std::abs(top - bottom), 2);
      // One dimension fills the slot.
      EXPECT_TRUE(t.dest.width == t.region.width || t.dest.height == t.region.height);
    }
  }
}

TEST(LetterboxFit, BorderIsReservedInsideRegion) {
  const std::vector<Tile> tiles =
      ComputeLayout({.border_px = 3}, kW, kH, Inputs(4, 1280, 720), std::nullopt);
  ExpectWellFormed(tiles, kW, kH);
  for (const Tile& t : tiles) {
    // 3 rounds up to 4 (even); the picture may sit further in on one axis (letterbox).
    EXPECT_GE(t.dest.x - t.region.x, 4);
    EXPECT_GE(t.dest.y - t.region.y, 4);
    EXPECT_EQ(std::min(t.dest.x - t.region.x, t.dest.y - t.region.y), 4);
    EXPECT_GE(t.region.x + t.region.width - (t.dest.x + t.dest.width), 4);
  }
}

TEST(LetterboxFit, BorderWiderThanSlotLeavesNoPicture) {
  const std::vector<Tile> tiles =
      ComputeLayout({.border_px = 200}, 640, 360, Inputs(4), std::nullopt);
  ExpectWellFormed(tiles, 640, 360);
  ASSERT_EQ(tiles.size(), 4u);
  for (const Tile& t : tiles) {
    EXPECT_TRUE(t.dest.Empty());
    EXPECT_TRUE(t.src.Empty());
  }
}

TEST(CropFit, SourceCropHasSlotAspectAndIsCentred) {
  struct Source {
    int w, h;
  };
  for (const Source& s :
       {Source{640, 480}, Source{1280, 720}, Source{360, 640}, Source{1920, 800}}) {
    for (int count : {2, 4, 9}) {
      const std::vector<Tile> tiles =
          ComputeLayout({.fit = FitPolicy::kCrop}, kW, kH, Inputs(count, s.w, s.h), std::nullopt);
      ExpectWellFormed(tiles, kW, kH);
      for (const Tile& t : tiles) {
        if (t.participant_id == 0) continue;
        EXPECT_EQ(t.dest, t.region);
        EXPECT_NEAR(Aspect(t.src) / Aspect(t.region), 1.0, 0.01) << s.w << "x" << s.h;
        EXPECT_TRUE((Rect{0, 0, s.w, s.h}).Contains(t.src));
        EXPECT_TRUE(t.src.width == s.w || t.src.height == s.h);
        EXPECT_LE(std::abs(t.src.x - (s.w - t.src.x - t.src.width)), 2);
        EXPECT_LE(std::abs(t.src.y - (s.h - t.src.y - t.src.height)), 2);
      }
    }
  }
}

TEST(PlaceholderFit, NoVideoGivesEmptySourceAndFullDest) {
  std::vector<LayoutInput> inputs = Inputs(4);
  inputs[2].width = 0;
  inputs[2].height = 0;
  const std::vector<Tile> tiles = ComputeLayout({}, kW, kH, inputs, std::nullopt);
  ASSERT_EQ(tiles.size(), 4u);
  EXPECT_TRUE(tiles[2].src.Empty());
  EXPECT_EQ(tiles[2].dest, tiles[2].region);
  EXPECT_EQ(tiles[2].participant_id, inputs[2].id);
}

TEST(SpeakerFocusLayout, ActiveSpeakerGetsTheLargeTile) {
  const std::vector<LayoutInput> inputs = Inputs(5);
  const std::vector<Tile> tiles =
      ComputeLayout({.kind = LayoutKind::kSpeakerFocus}, kW, kH, inputs, inputs[3].id);
  ASSERT_EQ(tiles.size(), 5u);
  ExpectWellFormed(tiles, kW, kH);
  EXPECT_EQ(tiles[0].participant_id, inputs[3].id);
  EXPECT_TRUE(tiles[0].highlight);
  EXPECT_EQ(tiles[0].region, (Rect{0, 0, kW, 540}));
  for (size_t i = 1; i < tiles.size(); ++i) {
    EXPECT_FALSE(tiles[i].highlight);
    EXPECT_NE(tiles[i].participant_id, inputs[3].id);
    EXPECT_EQ(tiles[i].region.y, 540);
    EXPECT_EQ(tiles[i].region.y + tiles[i].region.height, kH);
    EXPECT_LT(tiles[i].region.width * tiles[i].region.height,
              tiles[0].region.width * tiles[0].region.height / 4);
    for (size_t j = i + 1; j < tiles.size(); ++j) {
      EXPECT_FALSE(tiles[i].region.Intersects(tiles[j].region));
    }
  }
}

TEST(SpeakerFocusLayout, WithoutActiveSpeakerTheFirstIsLarge) {
  const std::vector<LayoutInput> inputs = Inputs(3);
  const std::vector<Tile> tiles =
      ComputeLayout({.kind = LayoutKind::kSpeakerFocus}, kW, kH, inputs, 999u);
  ASSERT_EQ(tiles.size(), 3u);
  EXPECT_EQ(tiles[0].participant_id, inputs[0].id);
  for (const Tile& t : tiles) EXPECT_FALSE(t.highlight);
}

TEST(SpeakerFocusLayout, ThumbnailsAreCapped) {
  const std::vector<Tile> tiles = ComputeLayout(
      {.kind = LayoutKind::kSpeakerFocus, .max_thumbnails = 6}, kW, kH, Inputs(12), std::nullopt);
  EXPECT_EQ(tiles.size(), 7u);
  ExpectWellFormed(tiles, kW, kH);
}

TEST(PresentationLayout, PresenterDominatesWithThumbnailsOnTheRight) {
  const std::vector<LayoutInput> inputs = Inputs(4, 1920, 1080);
  const std::vector<Tile> tiles =
      ComputeLayout({.kind = LayoutKind::kPresentation}, kW, kH, inputs, inputs[2].id);
  ASSERT_EQ(tiles.size(), 4u);
  ExpectWellFormed(tiles, kW, kH);
  EXPECT_EQ(tiles[0].participant_id, inputs[0].id);
  EXPECT_EQ(tiles[0].region, (Rect{0, 0, 960, kH}));
  for (size_t i = 1; i < tiles.size(); ++i) {
    EXPECT_EQ(tiles[i].region.x, 960);
    EXPECT_EQ(tiles[i].highlight, tiles[i].participant_id == inputs[2].id);
  }
}

TEST(PictureInPictureLayout, InsetIsBottomRightAndOnTop) {
  const std::vector<LayoutInput> inputs = Inputs(3);
  const std::vector<Tile> tiles =
      ComputeLayout({.kind = LayoutKind::kPictureInPicture}, kW, kH, inputs, inputs[1].id);
  ASSERT_EQ(tiles.size(), 2u);
  ExpectWellFormed(tiles, kW, kH);
  EXPECT_EQ(tiles[0].participant_id, inputs[1].id);
  EXPECT_EQ(tiles[0].region, (Rect{0, 0, kW, kH}));
  EXPECT_EQ(tiles[1].participant_id, inputs[0].id);
  EXPECT_GT(tiles[1].z, tiles[0].z);
  EXPECT_TRUE(tiles[0].region.Contains(tiles[1].region));
  EXPECT_GT(tiles[1].region.x, kW / 2);
  EXPECT_GT(tiles[1].region.y, kH / 2);
  EXPECT_LE(tiles[1].region.width, kW / 4);
}

}  // namespace
}  // namespace tessera::mixer
