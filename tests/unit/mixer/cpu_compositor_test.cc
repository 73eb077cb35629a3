#include <gtest/gtest.h>
#include <libyuv/planar_functions.h>
#include <tessera/mixer/cpu_compositor.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

namespace tessera::mixer {
namespace {

constexpr int kW = 1280;
constexpr int kH = 720;

I420Frame Solid(int w, int h, YuvColor c) {
  I420Frame f = I420Frame::Make(w, h);
  libyuv::I420Rect(f.y.data(), f.stride_y, f.u.data(), f.stride_u, f.v.data(), f.stride_v, 0, 0, w,
                   h, c.y, c.u, c.v);
  return f;
}

struct Mean {
  double y = 0, u = 0, v = 0;
};

Mean MeanOf(const I420Frame& f, const Rect& r) {
  Mean m;
  for (int row = r.y; row < r.y + r.height; ++row) {
    for (int col = r.x; col < r.x + r.width; ++col) m.y += f.y[row * f.stride_y + col];
  }
  m.y /= static_cast<double>(r.width) * r.height;
  for (int row = r.y / 2; row < (r.y + r.height) / 2; ++row) {
    for (int col = r.x / 2; col < (r.x + r.width) / 2; ++col) {
      m.u += f.u[row * f.stride_u + col];
      m.v += f.v[row * f.stride_v + col];
    }
  }
  const double chroma = static_cast<double>(r.width / 2) * (r.height / 2);
  m.u /= chroma;
  m.v /= chroma;
  return m;
}

void ExpectColor(const I420Frame& f, const Rect& r, YuvColor c) {
  const Mean m = MeanOf(f, r);
  EXPECT_NEAR(m.y, c.y, 2) << r.x << "," << r.y << " " << r.width << "x" << r.height;
  EXPECT_NEAR(m.u, c.u, 2) << r.x << "," << r.y;
  EXPECT_NEAR(m.v, c.v, 2) << r.x << "," << r.y;
}

bool PixelIs(const I420Frame& f, int x, int y, YuvColor c) {
  return f.y[y * f.stride_y + x] == c.y && f.u[(y / 2) * f.stride_u + x / 2] == c.u &&
         f.v[(y / 2) * f.stride_v + x / 2] == c.v;
}

const YuvColor kColors[] = {{200, 60, 90}, {90, 200, 30}, {40, 110, 220}, {150, 180, 170}};

std::vector<LayoutInput> Inputs(int count, int w, int h) {
  std::vector<LayoutInput> inputs;
  for (int i = 0; i < count; ++i) inputs.push_back({static_cast<uint32_t>(1 + i), w, h});
  return inputs;
}

void ExpectFourColoursInGrid(int w, int h, int expected_copied, int expected_scaled) {
  const std::vector<LayoutInput> inputs = Inputs(4, w, h);
  const std::vector<Tile> tiles = ComputeLayout({}, kW, kH, inputs, std::nullopt);
  std::vector<I420Frame> frames;
  for (const YuvColor& c : kColors) frames.push_back(Solid(w, h, c));
  const I420Frame* pictures[] = {&frames[0], &frames[1], &frames[2], &frames[3]};
  I420Frame canvas = I420Frame::Make(kW, kH);
  CpuCompositor compositor;
  const ComposeStats stats = compositor.Compose(tiles, pictures, canvas, {});
  EXPECT_TRUE(stats.canvas_valid);
  EXPECT_EQ(stats.copied, expected_copied);
  EXPECT_EQ(stats.scaled, expected_scaled);
  ASSERT_EQ(tiles.size(), 4u);
  for (size_t i = 0; i < 4; ++i) ExpectColor(canvas, tiles[i].region, kColors[i]);
}

TEST(CpuCompositor, CopiesSameSizePicturesIntoGrid) { ExpectFourColoursInGrid(640, 360, 4, 0); }

TEST(CpuCompositor, ScalesPicturesIntoGrid) {
  ExpectFourColoursInGrid(320, 180, 0, 4);
  ExpectFourColoursInGrid(1280, 720, 0, 4);
}

TEST(CpuCompositor, BoxDownscaleKeepsColours) {
  const std::vector<Tile> tiles = ComputeLayout({}, kW, kH, Inputs(1, 1920, 1080), std::nullopt);
  const I420Frame picture = Solid(1920, 1080, kColors[3]);
  const I420Frame* pictures[] = {&picture};
  I420Frame canvas = I420Frame::Make(kW, kH);
  CpuCompositor compositor;
  const ComposeStats stats = compositor.Compose(tiles, pictures, canvas,
                                                ComposeOptions{.downscale = DownscaleFilter::kBox});
  EXPECT_EQ(stats.scaled, 1);
  ExpectColor(canvas, Rect{0, 0, kW, kH}, kColors[3]);
}

TEST(CpuCompositor, LetterboxBarsHaveBackgroundColour) {
  // A 4:3 picture in a 16:9 canvas: 960x720 centred, 160-pixel bars left and right.
  const std::vector<Tile> tiles = ComputeLayout({}, kW, kH, Inputs(1, 640, 480), std::nullopt);
  ASSERT_EQ(tiles.size(), 1u);
  ASSERT_EQ(tiles[0].dest, (Rect{160, 0, 960, 720}));
  const I420Frame picture = Solid(640, 480, kColors[0]);
  const I420Frame* pictures[] = {&picture};
  I420Frame canvas = Solid(kW, kH, {255, 255, 255});
  const ComposeOptions options{.background = {20, 100, 150}};
  CpuCompositor compositor;
  (void)compositor.Compose(tiles, pictures, canvas, options);
  ExpectColor(canvas, Rect{0, 0, 160, kH}, options.background);
  ExpectColor(canvas, Rect{1120, 0, 160, kH}, options.background);
  ExpectColor(canvas, tiles[0].dest, kColors[0]);
}

TEST(CpuCompositor, TileWithoutPictureShowsPlaceholderColour) {
  std::vector<LayoutInput> inputs = Inputs(4, 640, 360);
  inputs[1].width = 0;
  inputs[1].height = 0;
  const std::vector<Tile> tiles = ComputeLayout({}, kW, kH, inputs, std::nullopt);
  const I420Frame a = Solid(640, 360, kColors[0]);
  const I420Frame c = Solid(640, 360, kColors[2]);
  // Tile 1 has no video; tile 3 has video in the layout but no picture this tick.
  const I420Frame* pictures[] = {&a, nullptr, &c, nullptr};
  I420Frame canvas = I420Frame::Make(kW, kH);
  const ComposeOptions options{.placeholder = {70, 140, 120}};
  CpuCompositor compositor;
  const ComposeStats stats = compositor.Compose(tiles, pictures, canvas, options);
  EXPECT_EQ(stats.placeholders, 2);
  EXPECT_EQ(stats.copied, 2);
  ExpectColor(canvas, tiles[0].region, kColors[0]);
  ExpectColor(canvas, tiles[1].region, options.placeholder);
  ExpectColor(canvas, tiles[2].region, kColors[2]);
  ExpectColor(canvas, tiles[3].region, options.placeholder);
}

TEST(CpuCompositor, EmptySlotsKeepBackground) {
  const std::vector<Tile> tiles = ComputeLayout({}, kW, kH, Inputs(3, 640, 360), std::nullopt);
  ASSERT_EQ(tiles.size(), 4u);
  const I420Frame a = Solid(640, 360, kColors[0]);
  const I420Frame* pictures[] = {&a, &a, &a, nullptr};
  I420Frame canvas = Solid(kW, kH, {255, 255, 255});
  CpuCompositor compositor;
  const ComposeStats stats = compositor.Compose(tiles, pictures, canvas, {});
  EXPECT_EQ(stats.empty_slots, 1);
  EXPECT_EQ(stats.placeholders, 0);
  ExpectColor(canvas, tiles[3].region, ComposeOptions{}.background);
}

TEST(CpuCompositor, PaintsBackgroundWhereNoTileIs) {
  // Speaker focus with one thumbnail leaves the strip beside it uncovered.
  const std::vector<Tile> tiles =
      ComputeLayout({.kind = LayoutKind::kSpeakerFocus}, kW, kH, Inputs(2, 640, 360), std::nullopt);
  ASSERT_EQ(tiles.size(), 2u);
  ASSERT_GT(tiles[1].region.x, 0);
  const I420Frame a = Solid(640, 360, kColors[0]);
  const I420Frame* pictures[] = {&a, &a};
  I420Frame canvas = Solid(kW, kH, {255, 255, 255});
  CpuCompositor compositor;
  (void)compositor.Compose(tiles, pictures, canvas, {});
  ExpectColor(canvas, Rect{0, tiles[1].region.y, tiles[1].region.x, tiles[1].region.height},
              ComposeOptions{}.background);
  ExpectColor(canvas, tiles[1].dest, kColors[0]);
}

TEST(CpuCompositor, SkipsTilesCoveredByHigherZ) {
  Tile hidden{.participant_id = 1,
              .region = {0, 0, 320, 180},
              .dest = {0, 0, 320, 180},
              .src = {0, 0, 640, 360},
              .z = 0};
  Tile cover{.participant_id = 2,
             .region = {0, 0, 640, 360},
             .dest = {0, 0, 640, 360},
             .src = {0, 0, 640, 360},
             .z = 1};
  Tile partly{.participant_id = 3,
              .region = {320, 0, 640, 360},
              .dest = {320, 0, 640, 360},
              .src = {0, 0, 640, 360},
              .z = 0};
  const Tile tiles[] = {cover, hidden, partly};
  const I420Frame pc = Solid(640, 360, kColors[1]);
  const I420Frame ph = Solid(640, 360, kColors[0]);
  const I420Frame pp = Solid(640, 360, kColors[2]);
  const I420Frame* pictures[] = {&pc, &ph, &pp};
  I420Frame canvas = I420Frame::Make(kW, kH);
  CpuCompositor compositor;
  const ComposeStats stats = compositor.Compose(tiles, pictures, canvas, {});
  EXPECT_EQ(stats.occluded, 1);
  EXPECT_EQ(stats.copied, 2);  // cover and partly; hidden is neither scaled nor copied
  EXPECT_EQ(stats.scaled, 0);
  // Higher z is drawn last even though it comes first in the list.
  ExpectColor(canvas, Rect{0, 0, 640, 360}, kColors[1]);
  ExpectColor(canvas, Rect{640, 0, 320, 360}, kColors[2]);
}

TEST(CpuCompositor, PictureInPictureInsetIsOnTopWithOpaqueBars) {
  std::vector<LayoutInput> inputs = Inputs(2, 1280, 720);
  inputs[1].width = 480;  // 4:3 inset: letterboxed inside its 16:9 region
  inputs[1].height = 360;
  const std::vector<Tile> tiles =
      ComputeLayout({.kind = LayoutKind::kPictureInPicture}, kW, kH, inputs, std::nullopt);
  ASSERT_EQ(tiles.size(), 2u);
  const I420Frame full = Solid(1280, 720, kColors[0]);
  const I420Frame inset = Solid(480, 360, kColors[1]);
  const I420Frame* pictures[] = {&full, &inset};
  I420Frame canvas = I420Frame::Make(kW, kH);
  CpuCompositor compositor;
  const ComposeStats stats = compositor.Compose(tiles, pictures, canvas, {});
  EXPECT_EQ(stats.occluded, 0);
  ExpectColor(canvas, tiles[1].dest, kColors[1]);
  ExpectColor(canvas, Rect{tiles[1].region.x, tiles[1].region.y, 2, tiles[1].region.height},
              ComposeOptions{}.background);
  ExpectColor(canvas, Rect{0, 0, 640, 360}, kColors[0]);
}

TEST(CpuCompositor, HighlightBorderOnActiveSpeakerTile) {
  const std::vector<LayoutInput> inputs = Inputs(4, 640, 360);
  const std::vector<Tile> tiles = ComputeLayout({}, kW, kH, inputs, inputs[2].id);
  std::vector<I420Frame> frames;
  for (const YuvColor& c : kColors) frames.push_back(Solid(640, 360, c));
  const I420Frame* pictures[] = {&frames[0], &frames[1], &frames[2], &frames[3]};
  I420Frame canvas = I420Frame::Make(kW, kH);
  const ComposeOptions options{.highlight_px = 4};
  CpuCompositor compositor;
  (void)compositor.Compose(tiles, pictures, canvas, options);
  const Rect& r = tiles[2].region;
  ASSERT_TRUE(tiles[2].highlight);
  for (int x = r.x; x < r.x + r.width; x += 7) {
    EXPECT_TRUE(PixelIs(canvas, x, r.y, options.highlight)) << x;
    EXPECT_TRUE(PixelIs(canvas, x, r.y + r.height - 1, options.highlight)) << x;
  }
  for (int y = r.y; y < r.y + r.height; y += 7) {
    EXPECT_TRUE(PixelIs(canvas, r.x, y, options.highlight)) << y;
    EXPECT_TRUE(PixelIs(canvas, r.x + r.width - 1, y, options.highlight)) << y;
  }
  EXPECT_TRUE(PixelIs(canvas, r.x + 4, r.y + 4, kColors[2]));
  // Other tiles have no frame (border_px 0).
  EXPECT_TRUE(PixelIs(canvas, tiles[0].region.x, tiles[0].region.y, kColors[0]));
  EXPECT_TRUE(PixelIs(canvas, tiles[1].region.x, tiles[1].region.y, kColors[1]));
}

TEST(CpuCompositor, BorderDrawnOnEveryTile) {
  const std::vector<Tile> tiles =
      ComputeLayout({.border_px = 2}, kW, kH, Inputs(4, 640, 360), std::nullopt);
  std::vector<I420Frame> frames;
  for (const YuvColor& c : kColors) frames.push_back(Solid(640, 360, c));
  const I420Frame* pictures[] = {&frames[0], &frames[1], &frames[2], &frames[3]};
  I420Frame canvas = I420Frame::Make(kW, kH);
  const ComposeOptions options{.border_px = 2, .highlight_px = 0};
  CpuCompositor compositor;
  (void)compositor.Compose(tiles, pictures, canvas, options);
  for (size_t i = 0; i < tiles.size(); ++i) {
    const Rect& r = tiles[i].region;
    EXPECT_TRUE(PixelIs(canvas, r.x + 1, r.y + r.height / 2, options.border)) << i;
    EXPECT_TRUE(PixelIs(canvas, r.x + r.width / 2, r.y + 1, options.border)) << i;
    ExpectColor(canvas, tiles[i].dest, kColors[i]);
  }
}

TEST(CpuCompositor, SourceLargerThanPictureIsClamped) {
  // The layout was computed for 1280x720; the participant switched to 640x360 since.
  const std::vector<Tile> tiles = ComputeLayout({}, kW, kH, Inputs(1, 1280, 720), std::nullopt);
  const I420Frame picture = Solid(640, 360, kColors[3]);
  const I420Frame* pictures[] = {&picture};
  I420Frame canvas = I420Frame::Make(kW, kH);
  CpuCompositor compositor;
  const ComposeStats stats = compositor.Compose(tiles, pictures, canvas, {});
  EXPECT_EQ(stats.clamped_sources, 1);
  EXPECT_EQ(stats.scaled, 1);
  ExpectColor(canvas, Rect{0, 0, kW, kH}, kColors[3]);
}

TEST(CpuCompositor, InvalidCanvasDrawsNothing) {
  const std::vector<Tile> tiles = ComputeLayout({}, kW, kH, Inputs(1, 640, 360), std::nullopt);
  I420Frame canvas = I420Frame::Make(kW, kH);
  canvas.y.resize(10);
  CpuCompositor compositor;
  const ComposeStats stats = compositor.Compose(tiles, {}, canvas, {});
  EXPECT_FALSE(stats.canvas_valid);
  EXPECT_EQ(stats.placeholders, 0);
}

// Pseudo-random content, so any difference in a scaler's filter taps changes some pixels.
I420Frame Noise(int w, int h, uint32_t seed) {
  I420Frame f = I420Frame::Make(w, h);
  uint32_t x = seed * 2654435761u + 1;
  for (std::vector<uint8_t>* plane : {&f.y, &f.u, &f.v}) {
    for (uint8_t& b : *plane) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      b = static_cast<uint8_t>(x);
    }
  }
  return f;
}

// Composes the scene with `threads` twice on one compositor (the second time reuses its threads)
// onto a canvas that starts as noise, so unpainted pixels show too.
I420Frame ComposeScene(const std::vector<Tile>& tiles, const std::vector<I420Frame>& frames,
                       ComposeOptions options, int threads) {
  std::vector<const I420Frame*> pictures;
  for (const Tile& t : tiles) {
    pictures.push_back(t.participant_id == 0 ? nullptr : &frames[t.participant_id - 1]);
  }
  options.threads = threads;
  CpuCompositor compositor;
  I420Frame canvas = Noise(kW, kH, 99);
  for (int i = 0; i < 2; ++i) {
    const ComposeStats stats = compositor.Compose(tiles, pictures, canvas, options);
    EXPECT_TRUE(stats.canvas_valid);
  }
  return canvas;
}

void ExpectParallelMatchesSerial(const LayoutSpec& spec, const std::vector<LayoutInput>& inputs,
                                 std::optional<uint32_t> speaker, const ComposeOptions& options) {
  std::vector<I420Frame> frames;
  for (const LayoutInput& in : inputs) frames.push_back(Noise(in.width, in.height, in.id));
  const std::vector<Tile> tiles = ComputeLayout(spec, kW, kH, inputs, speaker);
  const I420Frame serial = ComposeScene(tiles, frames, options, 1);
  for (int threads : {2, 4}) {
    const I420Frame parallel = ComposeScene(tiles, frames, options, threads);
    EXPECT_TRUE(parallel.y == serial.y) << threads << " threads: Y differs";
    EXPECT_TRUE(parallel.u == serial.u) << threads << " threads: U differs";
    EXPECT_TRUE(parallel.v == serial.v) << threads << " threads: V differs";
  }
}

TEST(CpuCompositor, ParallelGridIsIdenticalToSerial) {
  ExpectParallelMatchesSerial({}, Inputs(9, 640, 360), std::nullopt, {});
  // Highlight and borders overlap the pictures: they must land after them.
  ExpectParallelMatchesSerial({.border_px = 2}, Inputs(9, 640, 360), 5u,
                              {.border_px = 2, .downscale = DownscaleFilter::kBox});
  // Seven inputs: two empty slots; 4:3 pictures: letterbox bars.
  ExpectParallelMatchesSerial({}, Inputs(7, 640, 480), 3u, {});
}

TEST(CpuCompositor, ParallelSpeakerLayoutIsIdenticalToSerial) {
  // Not tiled: a canvas-wide fill first, then the pictures over it.
  ExpectParallelMatchesSerial({.kind = LayoutKind::kSpeakerFocus}, Inputs(9, 640, 360), 4u, {});
  ExpectParallelMatchesSerial({.kind = LayoutKind::kSpeakerFocus, .fit = FitPolicy::kCrop},
                              Inputs(3, 1280, 720), 2u, {.downscale = DownscaleFilter::kBox});
}

TEST(CpuCompositor, ParallelPictureInPictureIsIdenticalToSerial) {
  std::vector<LayoutInput> inputs = Inputs(2, 640, 360);
  inputs[1].width = 480;
  inputs[1].height = 360;
  ExpectParallelMatchesSerial({.kind = LayoutKind::kPictureInPicture}, inputs, std::nullopt, {});
  // Same-size full-screen picture: a copy, cut into bands, under the inset.
  ExpectParallelMatchesSerial({.kind = LayoutKind::kPictureInPicture}, Inputs(2, 1280, 720), 2u,
                              {});
}

TEST(I420Frame, MakeAllocatesHalfSizeChromaRoundedUp) {
  const I420Frame f = I420Frame::Make(5, 3);
  EXPECT_EQ(f.stride_y, 5);
  EXPECT_EQ(f.stride_u, 3);
  EXPECT_EQ(f.y.size(), 15u);
  EXPECT_EQ(f.u.size(), 6u);
  EXPECT_EQ(f.v.size(), 6u);
  EXPECT_TRUE(f.Valid());
  EXPECT_FALSE(I420Frame::Make(0, 10).Valid());
  EXPECT_FALSE(I420Frame::Make(-4, 10).Valid());
}

}  // namespace
}  // namespace tessera::mixer
