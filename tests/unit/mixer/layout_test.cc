#include <gtest/gtest.h>
#include <tessera/mixer/layout.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
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
                        Case{10, 4, 4}, Case{25, 5, 5}, Case{26, 6, 5}, Case{30, 6, 5},
                        Case{31, 6, 6}, Case{100, 10, 10}, Case{120, 10, 10}}) {
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
    EXPECT_EQ(shown, std::min(c.count, kMaxGridTiles));
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
  for (int count : {1, 2, 4, 5, 9, 10, 26, 30, 100}) {
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

TEST(PresentationLayout, InputWithPresenterRoleIsLarge) {
  std::vector<LayoutInput> inputs = Inputs(4);
  inputs[2].role = "presenter";
  inputs[3].role = "presenter";
  const std::vector<Tile> tiles =
      ComputeLayout({.kind = LayoutKind::kPresentation}, kW, kH, inputs, std::nullopt);
  ASSERT_EQ(tiles.size(), 4u);
  EXPECT_EQ(tiles[0].participant_id, inputs[2].id);
  EXPECT_EQ(tiles[0].region, (Rect{0, 0, 960, kH}));
  // The others keep joining order in the column.
  EXPECT_EQ(tiles[1].participant_id, inputs[0].id);
  EXPECT_EQ(tiles[2].participant_id, inputs[1].id);
  EXPECT_EQ(tiles[3].participant_id, inputs[3].id);
}

TEST(SpeakerFocusLayout, PinnedInputWinsTheLargeTileOverTheSpeaker) {
  std::vector<LayoutInput> inputs = Inputs(5);
  inputs[1].pinned = true;
  inputs[4].pinned = true;
  const std::vector<Tile> tiles =
      ComputeLayout({.kind = LayoutKind::kSpeakerFocus}, kW, kH, inputs, inputs[3].id);
  ASSERT_EQ(tiles.size(), 5u);
  EXPECT_EQ(tiles[0].participant_id, inputs[1].id);
  EXPECT_EQ(tiles[0].region, (Rect{0, 0, kW, 540}));
  EXPECT_FALSE(tiles[0].highlight);
  // The speaker is still highlighted in its thumbnail.
  for (size_t i = 1; i < tiles.size(); ++i) {
    EXPECT_EQ(tiles[i].highlight, tiles[i].participant_id == inputs[3].id);
  }
}

TEST(PictureInPictureLayout, PinnedInputFillsTheCanvas) {
  std::vector<LayoutInput> inputs = Inputs(3);
  inputs[2].pinned = true;
  const std::vector<Tile> tiles =
      ComputeLayout({.kind = LayoutKind::kPictureInPicture}, kW, kH, inputs, inputs[1].id);
  ASSERT_EQ(tiles.size(), 2u);
  EXPECT_EQ(tiles[0].participant_id, inputs[2].id);
  EXPECT_EQ(tiles[1].participant_id, inputs[0].id);
}

CustomRegion Region(double x, double y, double w, double h, SlotRule rule = SlotRule::kJoinOrder,
                    std::string role = {}) {
  return CustomRegion{.x = x, .y = y, .width = w, .height = h, .rule = rule, .role = role};
}

LayoutSpec CustomSpec(const CustomLayout& layout) {
  return LayoutSpec{.kind = LayoutKind::kCustom, .custom = &layout};
}

int64_t Area(const Rect& r) { return static_cast<int64_t>(r.width) * r.height; }

void ExpectTilesCanvas(const std::vector<Tile>& tiles, int w, int h) {
  int64_t area = 0;
  for (size_t i = 0; i < tiles.size(); ++i) {
    area += Area(tiles[i].region);
    for (size_t j = i + 1; j < tiles.size(); ++j) {
      EXPECT_FALSE(tiles[i].region.Intersects(tiles[j].region)) << i << "," << j;
    }
  }
  // No overlaps and the areas add up: the regions cover the canvas without gaps.
  EXPECT_EQ(area, static_cast<int64_t>(w) * h);
}

TEST(CustomLayout, ThirdsMapToEvenRectsThatTileTheCanvas) {
  CustomLayout layout{.name = "thirds"};
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 3; ++col) {
      layout.regions.push_back(Region(col / 3.0, row / 3.0, 1 / 3.0, 1 / 3.0));
    }
  }
  const std::vector<Tile> tiles = ComputeLayout(CustomSpec(layout), kW, kH, Inputs(9), 104u);
  ASSERT_EQ(tiles.size(), 9u);
  ExpectWellFormed(tiles, kW, kH);
  ExpectTilesCanvas(tiles, kW, kH);
  // 1280 / 3 = 426.7: the edges round to the nearest even pixel, 426 and 854.
  EXPECT_EQ(tiles[0].region, (Rect{0, 0, 426, 240}));
  EXPECT_EQ(tiles[4].region, (Rect{426, 240, 428, 240}));
  EXPECT_EQ(tiles[8].region, (Rect{854, 480, 426, 240}));
  EXPECT_TRUE(tiles[4].highlight);
  EXPECT_EQ(std::count_if(tiles.begin(), tiles.end(), [](const Tile& t) { return t.highlight; }),
            1);
}

TEST(CustomLayout, DecimalFractionsShareEdgesWithoutGaps) {
  // As a config file writes thirds: the edges 0.3333 + 0.3334 and 0.6667 meet on one pixel edge.
  const CustomLayout layout{.regions = {Region(0, 0, 0.3333, 1), Region(0.3333, 0, 0.3334, 0.5),
                                        Region(0.3333, 0.5, 0.3334, 0.5),
                                        Region(0.6667, 0, 0.3333, 1)}};
  for (const auto& [w, h] :
       {std::pair{1280, 720}, std::pair{1920, 1080}, std::pair{642, 362}, std::pair{1281, 721}}) {
    const std::vector<Tile> tiles =
        ComputeLayout(CustomSpec(layout), w, h, Inputs(4), std::nullopt);
    ASSERT_EQ(tiles.size(), 4u);
    ExpectWellFormed(tiles, w & ~1, h & ~1);
    ExpectTilesCanvas(tiles, w & ~1, h & ~1);
  }
}

TEST(CustomLayout, SlotRulesFillSpeakerPinnedRoleThenJoinOrder) {
  std::vector<LayoutInput> inputs = Inputs(6);
  inputs[1].role = "presenter";
  inputs[2].pinned = true;
  inputs[4].role = "presenter";
  const uint32_t speaker = inputs[3].id;
  const CustomLayout layout{.regions = {
                                Region(0, 0, 0.25, 0.5),                                  // 0
                                Region(0.25, 0, 0.25, 0.5, SlotRule::kSpeaker),           // 1
                                Region(0.5, 0, 0.25, 0.5, SlotRule::kRole, "presenter"),  // 2
                                Region(0.75, 0, 0.25, 0.5, SlotRule::kPinned),            // 3
                                Region(0, 0.5, 0.25, 0.5),                                // 4
                                Region(0.25, 0.5, 0.25, 0.5, SlotRule::kRole, "moderator"),
                                Region(0.5, 0.5, 0.25, 0.5),  // 6
                                Region(0.75, 0.5, 0.25, 0.5, SlotRule::kSpeaker),
                            }};
  const std::vector<Tile> tiles = ComputeLayout(CustomSpec(layout), kW, kH, inputs, speaker);
  ASSERT_EQ(tiles.size(), 8u);
  ExpectWellFormed(tiles, kW, kH);
  EXPECT_EQ(tiles[1].participant_id, inputs[3].id);  // the speaker
  EXPECT_EQ(tiles[3].participant_id, inputs[2].id);  // pinned
  EXPECT_EQ(tiles[2].participant_id, inputs[1].id);  // the first presenter
  // Join order gets who is left, in input order: 0, then 4 (a second presenter), then 5.
  EXPECT_EQ(tiles[0].participant_id, inputs[0].id);
  EXPECT_EQ(tiles[4].participant_id, inputs[4].id);
  EXPECT_EQ(tiles[6].participant_id, inputs[5].id);
  // Nobody has the role, and the speaker is placed once: empty slots drawn as background.
  for (size_t i : {5u, 7u}) {
    EXPECT_EQ(tiles[i].participant_id, 0u) << i;
    EXPECT_EQ(tiles[i].dest, tiles[i].region);
    EXPECT_TRUE(tiles[i].src.Empty());
    EXPECT_FALSE(tiles[i].highlight);
  }
  for (const Tile& t : tiles) EXPECT_EQ(t.highlight, t.participant_id == speaker);
}

TEST(CustomLayout, StageTakesTheFirstInputLeftUntilSomeoneSpeaks) {
  const CustomLayout layout{.regions = {Region(0, 0, 0.5, 1, SlotRule::kSpeaker),
                                        Region(0.5, 0, 0.5, 0.5, SlotRule::kSpeaker),
                                        Region(0.5, 0.5, 0.5, 0.5, SlotRule::kPinned)}};
  std::vector<LayoutInput> inputs = Inputs(3);
  inputs[0].pinned = true;
  for (const std::optional<uint32_t> speaker : {std::optional<uint32_t>{}, std::optional{999u}}) {
    const std::vector<Tile> tiles = ComputeLayout(CustomSpec(layout), kW, kH, inputs, speaker);
    ASSERT_EQ(tiles.size(), 3u);
    EXPECT_EQ(tiles[0].participant_id, 101u);  // the stage: the first not pinned elsewhere
    EXPECT_EQ(tiles[1].participant_id, 0u);    // a second speaker region stays empty
    EXPECT_EQ(tiles[2].participant_id, 100u);
  }
}

TEST(CustomLayout, PinnedSpeakerFillsTheSpeakerRegionAndTheNextPinnedThePinnedOne) {
  std::vector<LayoutInput> inputs = Inputs(4);
  inputs[1].pinned = true;
  inputs[3].pinned = true;
  const CustomLayout layout{.regions = {Region(0, 0, 0.5, 1, SlotRule::kPinned),
                                        Region(0.5, 0, 0.5, 1, SlotRule::kSpeaker)}};
  const std::vector<Tile> tiles = ComputeLayout(CustomSpec(layout), kW, kH, inputs, inputs[1].id);
  ASSERT_EQ(tiles.size(), 2u);
  EXPECT_EQ(tiles[0].participant_id, inputs[3].id);
  EXPECT_EQ(tiles[1].participant_id, inputs[1].id);
}

TEST(CustomLayout, InputsPastTheRegionsGetNoTile) {
  const CustomLayout layout{.regions = {Region(0, 0, 0.5, 1), Region(0.5, 0, 0.5, 1)}};
  const std::vector<Tile> tiles = ComputeLayout(CustomSpec(layout), kW, kH, Inputs(5), 103u);
  ASSERT_EQ(tiles.size(), 2u);
  EXPECT_EQ(tiles[0].participant_id, 100u);
  EXPECT_EQ(tiles[1].participant_id, 101u);
  for (const Tile& t : tiles) EXPECT_FALSE(t.highlight);
}

TEST(CustomLayout, KeepsRegionOrderAndZ) {
  CustomLayout layout{
      .regions = {Region(0, 0, 1, 1), Region(0.7, 0.7, 0.25, 0.25), Region(0.05, 0.7, 0.25, 0.25)}};
  layout.regions[0].z = 0;
  layout.regions[1].z = 5;
  layout.regions[2].z = -3;
  const std::vector<Tile> tiles =
      ComputeLayout(CustomSpec(layout), kW, kH, Inputs(3), std::nullopt);
  ASSERT_EQ(tiles.size(), 3u);
  ExpectWellFormed(tiles, kW, kH);
  EXPECT_EQ(tiles[0].z, 0);
  EXPECT_EQ(tiles[1].z, 5);
  EXPECT_EQ(tiles[2].z, -3);
  EXPECT_EQ(tiles[1].participant_id, 101u);
  EXPECT_TRUE(tiles[0].region.Contains(tiles[1].region));
}

TEST(CustomLayout, RegionFitOverridesTheSpec) {
  CustomLayout layout{.regions = {Region(0, 0, 0.5, 1), Region(0.5, 0, 0.5, 1)}};
  layout.regions[1].fit = FitPolicy::kCrop;
  // 4:3 pictures in 640x720 slots.
  LayoutSpec spec = CustomSpec(layout);
  spec.border_px = 2;
  const std::vector<Tile> tiles = ComputeLayout(spec, kW, kH, Inputs(2, 640, 480), std::nullopt);
  ASSERT_EQ(tiles.size(), 2u);
  ExpectWellFormed(tiles, kW, kH);
  const Rect inner0{2, 2, 636, 716};
  const Rect inner1{642, 2, 636, 716};
  EXPECT_EQ(tiles[0].src, (Rect{0, 0, 640, 480}));  // letterbox: the whole picture
  EXPECT_EQ(tiles[0].dest.width, inner0.width);
  EXPECT_LT(tiles[0].dest.height, inner0.height);
  EXPECT_EQ(tiles[1].dest, inner1);  // crop: fills the slot
  EXPECT_EQ(tiles[1].src.height, 480);
  EXPECT_NEAR(Aspect(tiles[1].src) / Aspect(inner1), 1.0, 0.01);
}

TEST(CustomLayout, MissingLayoutOrNoInputsGiveNoTiles) {
  EXPECT_TRUE(ComputeLayout({.kind = LayoutKind::kCustom}, kW, kH, Inputs(3), 100u).empty());
  const CustomLayout layout{.regions = {Region(0, 0, 1, 1)}};
  EXPECT_TRUE(ComputeLayout(CustomSpec(layout), kW, kH, {}, std::nullopt).empty());
}

TEST(CustomLayout, OutOfRangeFractionsAreClampedToTheCanvas) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const CustomLayout layout{.regions = {
                                Region(0.9, 0, 0.5, 0.5),          // past the right edge: clipped
                                Region(-0.5, 0.5, 1, 0.5),         // left of the canvas: clipped
                                Region(kNaN, 0, 0.5, 0.5),         // dropped
                                Region(0, 0, kInf, 1),             // dropped
                                Region(0.5, 0.5, -0.2, 0.5),       // negative width: dropped
                                Region(0.2, 0.2, 0.0001, 0.0001),  // rounds to nothing: dropped
                                Region(2, 2, 1, 1),                // outside: dropped
                            }};
  const std::vector<Tile> tiles = ComputeLayout(CustomSpec(layout), kW, kH, Inputs(7), 100u);
  ASSERT_EQ(tiles.size(), 2u);
  ExpectWellFormed(tiles, kW, kH);
  EXPECT_EQ(tiles[0].region, (Rect{1152, 0, 128, 360}));
  EXPECT_EQ(tiles[1].region, (Rect{0, 360, 640, 360}));
  // Dropped regions take nobody: the first two inputs fill the two regions left.
  EXPECT_EQ(tiles[0].participant_id, 100u);
  EXPECT_EQ(tiles[1].participant_id, 101u);
}

TEST(CustomLayout, ArbitraryRegionsStayInsideTheCanvas) {
  std::mt19937 rng(7);
  const double specials[] = {std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::max(),
                             -std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::denorm_min(),
                             -0.0,
                             1e-9,
                             1 - 1e-12,
                             1.5};
  std::uniform_real_distribution<double> fraction(-0.5, 1.5);
  auto value = [&] {
    return rng() % 4 == 0 ? specials[rng() % std::size(specials)] : fraction(rng);
  };
  for (int round = 0; round < 2000; ++round) {
    CustomLayout layout;
    const int count = static_cast<int>(rng() % 30);
    for (int r = 0; r < count; ++r) {
      CustomRegion region = Region(value(), value(), value(), value(),
                                   static_cast<SlotRule>(rng() % 4), rng() % 2 ? "a" : "");
      region.z = static_cast<int>(rng() % 7) - 3;
      if (rng() % 3 == 0) region.fit = rng() % 2 ? FitPolicy::kCrop : FitPolicy::kLetterbox;
      layout.regions.push_back(region);
    }
    std::vector<LayoutInput> inputs =
        Inputs(static_cast<int>(rng() % 12) + 1, static_cast<int>(rng() % 1000) - 10,
               static_cast<int>(rng() % 1000) - 10);
    for (LayoutInput& in : inputs) {
      in.pinned = rng() % 3 == 0;
      if (rng() % 3 == 0) in.role = "a";
    }
    LayoutSpec spec = CustomSpec(layout);
    spec.border_px = static_cast<int>(rng() % 12) - 2;
    const int w = static_cast<int>(rng() % 2000);
    const int h = static_cast<int>(rng() % 2000);
    const std::vector<Tile> tiles =
        ComputeLayout(spec, w, h, inputs, 100 + static_cast<uint32_t>(rng() % 14));
    ASSERT_LE(tiles.size(), layout.regions.size());
    const Rect canvas{0, 0, w & ~1, h & ~1};
    std::vector<uint32_t> ids;
    for (const Tile& t : tiles) {
      ASSERT_TRUE(EvenAligned(t.region) && EvenAligned(t.dest) && EvenAligned(t.src)) << round;
      ASSERT_FALSE(t.region.Empty()) << round;
      ASSERT_TRUE(canvas.Contains(t.region)) << round;
      ASSERT_TRUE(t.dest.Empty() || t.region.Contains(t.dest)) << round;
      if (t.participant_id != 0) ids.push_back(t.participant_id);
    }
    std::sort(ids.begin(), ids.end());
    ASSERT_TRUE(std::adjacent_find(ids.begin(), ids.end()) == ids.end()) << round;
  }
}

}  // namespace
}  // namespace tessera::mixer
