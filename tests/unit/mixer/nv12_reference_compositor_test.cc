#include "mixer/nv12_reference_compositor.h"

#include <gtest/gtest.h>
#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/layout.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "unit/mixer/nv12_scenes.h"

namespace tessera::mixer {
namespace {

using testing::GridScene;
using testing::MeanOf;
using testing::Psnr;
using testing::Scene;
using testing::TexturedPicture;
using testing::ToI420;
using testing::ToNv12;

struct Result {
  I420Frame cpu;
  I420Frame reference;
  ComposeStats cpu_stats;
  ComposeStats reference_stats;
};

Result ComposeBoth(const Scene& s, const ComposeOptions& options, uint8_t initial = 0) {
  Result r;
  r.cpu = I420Frame::Make(s.canvas_w, s.canvas_h);
  CpuCompositor cpu;
  r.cpu_stats = cpu.Compose(s.tiles, s.I420ByTile(), r.cpu, options);

  const std::vector<Nv12Planes> planes = s.PlanesByParticipant();
  std::vector<const Nv12Planes*> by_tile;
  for (const Tile& t : s.tiles) {
    const bool has = t.participant_id != 0 && planes[t.participant_id - 1].Valid();
    by_tile.push_back(has ? &planes[t.participant_id - 1] : nullptr);
  }
  Nv12Image canvas = Nv12Image::Make(s.canvas_w, s.canvas_h);
  std::fill(canvas.y.begin(), canvas.y.end(), initial);
  std::fill(canvas.uv.begin(), canvas.uv.end(), initial);
  Nv12ReferenceCompositor reference;
  r.reference_stats = reference.Compose(s.tiles, by_tile, canvas, options);
  r.reference = ToI420(canvas);
  return r;
}

void ExpectSameStats(const ComposeStats& a, const ComposeStats& b) {
  EXPECT_EQ(a.canvas_valid, b.canvas_valid);
  EXPECT_EQ(a.copied, b.copied);
  EXPECT_EQ(a.scaled, b.scaled);
  EXPECT_EQ(a.placeholders, b.placeholders);
  EXPECT_EQ(a.occluded, b.occluded);
  EXPECT_EQ(a.empty_slots, b.empty_slots);
  EXPECT_EQ(a.clamped_sources, b.clamped_sources);
}

void ExpectPsnrAtLeast40(const Result& r) {
  EXPECT_GE(Psnr(r.cpu.y, r.reference.y), 40.0);
  EXPECT_GE(Psnr(r.cpu.u, r.reference.u), 40.0);
  EXPECT_GE(Psnr(r.cpu.v, r.reference.v), 40.0);
}

// Every tile shows its own input: the mean of the picture area is the input's mean (or the
// placeholder colour), in both canvases.
void ExpectEveryTileWritten(const Scene& s, const Result& r, const ComposeOptions& options) {
  for (const Tile& t : s.tiles) {
    if (t.participant_id == 0 || t.dest.Empty()) continue;
    // Inside the frame: a highlight is wider than the room the layout kept for the border.
    const int inset = 8;
    const Rect inner{t.dest.x + inset, t.dest.y + inset, t.dest.width - 2 * inset,
                     t.dest.height - 2 * inset};
    const I420Frame& input = s.i420[t.participant_id - 1];
    testing::MeanColor want{static_cast<double>(options.placeholder.y),
                            static_cast<double>(options.placeholder.u),
                            static_cast<double>(options.placeholder.v)};
    if (input.width > 0) want = MeanOf(input, t.src);
    for (const I420Frame* canvas : {&r.cpu, &r.reference}) {
      const testing::MeanColor got = MeanOf(*canvas, inner);
      EXPECT_NEAR(got.y, want.y, 4) << "tile of " << t.participant_id;
      EXPECT_NEAR(got.u, want.u, 4) << "tile of " << t.participant_id;
      EXPECT_NEAR(got.v, want.v, 4) << "tile of " << t.participant_id;
    }
  }
}

void CompareGrid(int count, int w, int h, DownscaleFilter filter) {
  const Scene s = GridScene(count, w, h, /*border_px=*/4);
  const ComposeOptions options{.border_px = 4, .highlight_px = 6, .downscale = filter};
  const Result r = ComposeBoth(s, options);
  ExpectSameStats(r.cpu_stats, r.reference_stats);
  EXPECT_EQ(r.reference_stats.placeholders, 2);
  EXPECT_GT(r.reference_stats.scaled, 0);
  ExpectPsnrAtLeast40(r);
  ExpectEveryTileWritten(s, r, options);
  // Every pixel is painted: starting from another canvas gives the same bytes.
  const Result again = ComposeBoth(s, options, 255);
  EXPECT_EQ(again.reference.y, r.reference.y);
  EXPECT_EQ(again.reference.u, r.reference.u);
  EXPECT_EQ(again.reference.v, r.reference.v);
}

TEST(Nv12ReferenceCompositor, MatchesCpuCompositor3x3Into720pBilinear) {
  CompareGrid(8, 1280, 720, DownscaleFilter::kBilinear);
}

TEST(Nv12ReferenceCompositor, MatchesCpuCompositor3x3Into720pBox) {
  CompareGrid(8, 1280, 720, DownscaleFilter::kBox);
}

TEST(Nv12ReferenceCompositor, MatchesCpuCompositor5x5Into1080pBilinear) {
  CompareGrid(25, 1920, 1080, DownscaleFilter::kBilinear);
}

TEST(Nv12ReferenceCompositor, MatchesCpuCompositor5x5Into1080pBox) {
  CompareGrid(25, 1920, 1080, DownscaleFilter::kBox);
}

Scene LayoutScene(const LayoutSpec& spec, std::vector<LayoutInput> inputs, int w, int h) {
  Scene s;
  s.canvas_w = w;
  s.canvas_h = h;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const YuvColor c{static_cast<uint8_t>(60 + 40 * i), static_cast<uint8_t>(90 + 30 * i),
                     static_cast<uint8_t>(170 - 25 * i)};
    s.i420.push_back(TexturedPicture(inputs[i].width, inputs[i].height, c, static_cast<int>(i)));
    s.nv12.push_back(ToNv12(s.i420.back()));
  }
  s.tiles = ComputeLayout(spec, w, h, inputs, inputs.front().id);
  return s;
}

TEST(Nv12ReferenceCompositor, MatchesCpuCompositorOnSpeakerFocusWithUncoveredCanvas) {
  const Scene s = LayoutScene({.kind = LayoutKind::kSpeakerFocus, .border_px = 2},
                              {{1, 1280, 720}, {2, 640, 480}}, 1280, 720);
  const ComposeOptions options{.border_px = 2, .highlight_px = 4};
  const Result r = ComposeBoth(s, options);
  ExpectSameStats(r.cpu_stats, r.reference_stats);
  ExpectPsnrAtLeast40(r);
  // The strip beside the single thumbnail is background in both.
  const Rect strip{0, s.tiles[1].region.y, s.tiles[1].region.x, s.tiles[1].region.height};
  const testing::MeanColor m = MeanOf(r.reference, strip);
  EXPECT_EQ(m.y, options.background.y);
  EXPECT_EQ(m.u, options.background.u);
}

TEST(Nv12ReferenceCompositor, MatchesCpuCompositorOnPictureInPicture) {
  const Scene s = LayoutScene({.kind = LayoutKind::kPictureInPicture},
                              {{1, 1920, 1080}, {2, 480, 360}}, 1280, 720);
  const Result r = ComposeBoth(s, ComposeOptions{.downscale = DownscaleFilter::kBox});
  ExpectSameStats(r.cpu_stats, r.reference_stats);
  ExpectPsnrAtLeast40(r);
}

TEST(Nv12ReferenceCompositor, SkipsOccludedTilesAndClampsSourcesLikeCpu) {
  Scene s;
  s.canvas_w = 640;
  s.canvas_h = 360;
  s.i420.push_back(TexturedPicture(320, 180, {80, 100, 150}, 1));
  s.i420.push_back(TexturedPicture(640, 360, {160, 150, 100}, 2));
  for (const I420Frame& f : s.i420) s.nv12.push_back(ToNv12(f));
  // Tile 1 is covered by tile 2 above it; tile 2's src reaches past its (smaller) picture.
  s.tiles = {Tile{.participant_id = 1,
                  .region = {0, 0, 320, 180},
                  .dest = {0, 0, 320, 180},
                  .src = {0, 0, 320, 180},
                  .z = 0},
             Tile{.participant_id = 2,
                  .region = {0, 0, 640, 360},
                  .dest = {0, 0, 640, 360},
                  .src = {0, 0, 800, 450},
                  .z = 1,
                  .highlight = true}};
  const Result r = ComposeBoth(s, ComposeOptions{});
  ExpectSameStats(r.cpu_stats, r.reference_stats);
  EXPECT_EQ(r.reference_stats.occluded, 1);
  EXPECT_EQ(r.reference_stats.clamped_sources, 1);
  EXPECT_EQ(r.reference_stats.copied, 1);
  EXPECT_GE(Psnr(r.cpu.y, r.reference.y), 40.0);
  EXPECT_EQ(r.cpu.y, r.reference.y);  // a copy and fills: the same bytes
  EXPECT_EQ(r.cpu.u, r.reference.u);
  EXPECT_EQ(r.cpu.v, r.reference.v);
}

TEST(Nv12ReferenceCompositor, ClipsOddRectsAndTinyFramesLikeCpu) {
  // Hand-made tiles: odd rects that clip to a same-size copy, a placeholder partly off the canvas
  // whose frame is clamped to an odd width, and a src rect past its picture that clamps to a
  // copy. Fills and copies only, so the canvases are equal byte for byte.
  Scene s;
  s.canvas_w = 320;
  s.canvas_h = 180;
  s.i420.push_back(TexturedPicture(100, 60, {120, 90, 160}, 3));
  s.nv12.push_back(ToNv12(s.i420.back()));
  s.i420.emplace_back();
  s.nv12.emplace_back();
  s.i420.push_back(TexturedPicture(64, 64, {70, 150, 100}, 4));
  s.nv12.push_back(ToNv12(s.i420.back()));
  s.tiles = {Tile{.participant_id = 1,
                  .region = {3, 5, 121, 75},
                  .dest = {9, 11, 101, 61},
                  .src = {0, 0, 100, 60},
                  .z = 0},
             Tile{.participant_id = 2,
                  .region = {300, 20, 30, 6},
                  .dest = {300, 20, 30, 6},
                  .z = 1,
                  .highlight = true},
             Tile{.participant_id = 3,
                  .region = {240, 100, 72, 72},
                  .dest = {244, 104, 64, 64},
                  .src = {0, 0, 66, 66},
                  .z = 2}};
  const ComposeOptions options{.border_px = 3, .highlight_px = 10};
  const Result r = ComposeBoth(s, options, 7);
  ExpectSameStats(r.cpu_stats, r.reference_stats);
  EXPECT_EQ(r.reference_stats.copied, 2);
  EXPECT_EQ(r.reference_stats.placeholders, 1);
  EXPECT_EQ(r.reference_stats.clamped_sources, 1);
  // Not tiled, so the background fill paints the whole canvas first in both.
  EXPECT_EQ(r.cpu.y, r.reference.y);
  EXPECT_EQ(r.cpu.u, r.reference.u);
  EXPECT_EQ(r.cpu.v, r.reference.v);
}

TEST(Nv12ReferenceCompositor, InvalidCanvasIsNotDrawn) {
  Nv12Image canvas;  // empty
  Nv12ReferenceCompositor reference;
  const ComposeStats stats = reference.Compose({}, {}, canvas, {});
  EXPECT_FALSE(stats.canvas_valid);
}

TEST(Nv12ReferenceCompositor, NoTilesPaintsBackground) {
  Nv12Image canvas = Nv12Image::Make(64, 32);
  std::fill(canvas.y.begin(), canvas.y.end(), 0);
  const ComposeOptions options{.background = {20, 110, 140}};
  Nv12ReferenceCompositor reference;
  const ComposeStats stats = reference.Compose({}, {}, canvas, options);
  EXPECT_TRUE(stats.canvas_valid);
  for (uint8_t v : canvas.y) ASSERT_EQ(v, 20);
  for (size_t i = 0; i < canvas.uv.size(); i += 2) {
    ASSERT_EQ(canvas.uv[i], 110);
    ASSERT_EQ(canvas.uv[i + 1], 140);
  }
}

}  // namespace
}  // namespace tessera::mixer
