#include <gtest/gtest.h>
#include <libyuv/planar_functions.h>
#include <tessera/mixer/text_renderer.h>

#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace tessera::mixer {
namespace {

constexpr YuvColor kGrey = {48, 128, 128};

I420Frame Solid(int w, int h, YuvColor c) {
  I420Frame f = I420Frame::Make(w, h);
  libyuv::I420Rect(f.y.data(), f.stride_y, f.u.data(), f.stride_u, f.v.data(), f.stride_v, 0, 0, w,
                   h, c.y, c.u, c.v);
  return f;
}

// Bounding box of the luma pixels that differ between a and b; empty when none do.
Rect ChangedLuma(const I420Frame& a, const I420Frame& b) {
  int x0 = INT_MAX, y0 = INT_MAX, x1 = -1, y1 = -1;
  for (int y = 0; y < a.height; ++y) {
    for (int x = 0; x < a.width; ++x) {
      if (a.y[y * a.stride_y + x] != b.y[y * b.stride_y + x]) {
        x0 = std::min(x0, x);
        y0 = std::min(y0, y);
        x1 = std::max(x1, x);
        y1 = std::max(y1, y);
      }
    }
  }
  return x1 < 0 ? Rect{} : Rect{x0, y0, x1 - x0 + 1, y1 - y0 + 1};
}

// Bounding box, in chroma samples, of the U or V samples that differ.
Rect ChangedChroma(const I420Frame& a, const I420Frame& b) {
  int x0 = INT_MAX, y0 = INT_MAX, x1 = -1, y1 = -1;
  for (int y = 0; y < a.ChromaHeight(); ++y) {
    for (int x = 0; x < a.ChromaWidth(); ++x) {
      const int i = y * a.stride_u + x;
      if (a.u[i] != b.u[i] || a.v[i] != b.v[i]) {
        x0 = std::min(x0, x);
        y0 = std::min(y0, y);
        x1 = std::max(x1, x);
        y1 = std::max(y1, y);
      }
    }
  }
  return x1 < 0 ? Rect{} : Rect{x0, y0, x1 - x0 + 1, y1 - y0 + 1};
}

std::vector<uint8_t> LumaOf(const I420Frame& f, const Rect& r) {
  std::vector<uint8_t> out;
  for (int y = r.y; y < r.y + r.height; ++y) {
    const auto row = f.y.begin() + y * f.stride_y;
    out.insert(out.end(), row + r.x, row + r.x + r.width);
  }
  return out;
}

// The chroma samples that share a luma pixel with `r`.
Rect ChromaFootprint(const Rect& r) {
  return {r.x / 2, r.y / 2, (r.x + r.width - 1) / 2 - r.x / 2 + 1,
          (r.y + r.height - 1) / 2 - r.y / 2 + 1};
}

class TextRendererTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = TextRenderer::Create();
    if (!created.ok()) {
      std::printf("skipping: %s\n", created.status().ToString().c_str());
      GTEST_SKIP() << "no font: " << created.status().ToString();
    }
    renderer_ = std::move(created).value();
  }

  // Draws on a fresh grey canvas and checks nothing outside `box` (and the drawn rect) changed.
  Rect DrawAndCheck(std::string_view text, const Rect& box, const TextStyle& style = {},
                    int w = 1280, int h = 720, bool label = false) {
    const I420Frame before = Solid(w, h, kGrey);
    canvas_ = before;
    const Rect drawn = label ? renderer_->DrawLabel(text, box, style, canvas_)
                             : renderer_->DrawCentered(text, box, style, canvas_);
    EXPECT_EQ(canvas_.y.size(), before.y.size());
    EXPECT_EQ(canvas_.u.size(), before.u.size());
    const Rect changed = ChangedLuma(before, canvas_);
    if (drawn.Empty()) {
      EXPECT_TRUE(changed.Empty());
      EXPECT_TRUE(ChangedChroma(before, canvas_).Empty());
    } else {
      EXPECT_TRUE(box.Contains(drawn)) << drawn.x << "," << drawn.y << " " << drawn.width;
      EXPECT_TRUE(Rect({0, 0, w, h}).Contains(drawn));
      EXPECT_TRUE(drawn.Contains(changed))
          << changed.x << "," << changed.y << " " << changed.width << "x" << changed.height;
      const Rect chroma = ChangedChroma(before, canvas_);
      if (!chroma.Empty()) {
        EXPECT_TRUE(ChromaFootprint(drawn).Contains(chroma));
      }
    }
    return drawn;
  }

  std::unique_ptr<TextRenderer> renderer_;
  I420Frame canvas_;
};

TEST(TextRendererCreate, ReportsMissingFontFile) {
  auto created = TextRenderer::Create("/nonexistent/font.ttf");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kNotFound);
  EXPECT_NE(created.status().message().find("/nonexistent/font.ttf"), std::string::npos);
}

TEST(TextRendererCreate, ReportsFileThatIsNotAFont) {
  const std::string path = ::testing::TempDir() + "not_a_font.ttf";
  std::ofstream(path) << "this is not a TrueType font";
  auto created = TextRenderer::Create(path);
  std::filesystem::remove(path);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kInternal);
}

TEST_F(TextRendererTest, DrawsCentredInsideTheBoxOnly) {
  const Rect box{100, 60, 426, 240};
  const Rect drawn = DrawAndCheck("Alice", box);
  ASSERT_FALSE(drawn.Empty());
  EXPECT_NEAR(drawn.x + drawn.width / 2.0, box.x + box.width / 2.0, 3);
  EXPECT_NEAR(drawn.y + drawn.height / 2.0, box.y + box.height / 2.0, 8);
  EXPECT_GT(drawn.height, 12);
  EXPECT_LT(drawn.height, 40);
  // The centre of the box now shows bright glyphs over the grey.
  int bright = 0;
  for (int y = drawn.y; y < drawn.y + drawn.height; ++y) {
    for (int x = drawn.x; x < drawn.x + drawn.width; ++x) bright += canvas_.y[y * 1280 + x] > 200;
  }
  EXPECT_GT(bright, 50);
}

TEST_F(TextRendererTest, LongerTextIsWider) {
  const Rect box{0, 0, 640, 360};
  const Rect short_rect = DrawAndCheck("Bo", box);
  const Rect long_rect = DrawAndCheck("Bo Jackson-Whitfield", box);
  EXPECT_GT(long_rect.width, 3 * short_rect.width);
}

TEST_F(TextRendererTest, CutsOverlongTextWithAnEllipsis) {
  const Rect box{10, 10, 120, 60};
  const std::string name = "Maximilian Alexander von Hohenberg";
  const Rect drawn = DrawAndCheck(name, box);
  ASSERT_FALSE(drawn.Empty());
  EXPECT_LE(drawn.width, box.width);
  EXPECT_GT(drawn.width, box.width / 2);
  // The result is some prefix of the name followed by "…": the same pixels as that text drawn
  // uncut in a box wide enough for it.
  const std::vector<uint8_t> cut = LumaOf(canvas_, drawn);
  const Rect wide{10, 10, 1000, 60};
  bool found = false;
  for (size_t k = 1; k < name.size() && !found; ++k) {
    const Rect whole = DrawAndCheck(name.substr(0, k) + "\xe2\x80\xa6", wide);
    found = whole.width == drawn.width && whole.y == drawn.y && LumaOf(canvas_, whole) == cut;
  }
  EXPECT_TRUE(found);
}

TEST_F(TextRendererTest, ClipsTextTallerThanTheBox) {
  const Rect box{100, 100, 300, 10};
  const Rect drawn = DrawAndCheck("Alice", box, {.pixel_height = 40});
  ASSERT_FALSE(drawn.Empty());
  EXPECT_EQ(drawn.y, box.y);
  EXPECT_EQ(drawn.height, box.height);
  // A label's backdrop hangs above a box too short for it and is cut at the box's top.
  const Rect low_box{100, 100, 300, 30};
  const Rect label = DrawAndCheck("Alice", low_box, {.pixel_height = 40}, 1280, 720, true);
  ASSERT_FALSE(label.Empty());
  EXPECT_EQ(label.y, low_box.y);
}

TEST_F(TextRendererTest, TextTooLongForAnyByteLimitIsCut) {
  const Rect box{0, 0, 1280, 100};
  const Rect drawn = DrawAndCheck(std::string(100000, 'W'), box);
  EXPECT_FALSE(drawn.Empty());
  EXPECT_LE(drawn.width, box.width);
}

TEST_F(TextRendererTest, EmptyOrBlankTextDrawsNothing) {
  EXPECT_TRUE(DrawAndCheck("", {0, 0, 400, 200}).Empty());
  EXPECT_TRUE(DrawAndCheck("   ", {0, 0, 400, 200}).Empty());
  EXPECT_TRUE(DrawAndCheck("\n\t\x7f", {0, 0, 400, 200}).Empty());
  EXPECT_TRUE(DrawAndCheck("", {0, 0, 400, 200}, {}, 1280, 720, /*label=*/true).Empty());
}

TEST_F(TextRendererTest, InvalidUtf8IsDrawnAsReplacementCharacters) {
  const Rect box{200, 100, 300, 80};
  for (const char* s : {"\xff", "\xc3", "\xe2\x82",
                        "A\x80"
                        "B",
                        "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "Bob\xf0\x9f"}) {
    EXPECT_FALSE(DrawAndCheck(s, box).Empty()) << s;
  }
}

TEST_F(TextRendererTest, DegenerateAndOffCanvasBoxesDrawNothingOutside) {
  const Rect boxes[] = {
      {0, 0, 0, 100},
      {0, 0, 100, 0},
      {10, 10, -50, 40},
      {10, 10, 40, -50},
      {2000, 100, 300, 80},
      {-500, -500, 300, 80},
      {INT_MAX - 10, 0, 10, 10},
      {INT_MIN, INT_MIN, INT_MAX, INT_MAX},
      {0, INT_MAX - 5, 500, 5},
  };
  for (const Rect& box : boxes) {
    EXPECT_TRUE(DrawAndCheck("Alice", box).Empty()) << box.x << "," << box.y;
    EXPECT_TRUE(DrawAndCheck("Alice", box, {}, 1280, 720, true).Empty()) << box.x << "," << box.y;
  }
  // Boxes hanging over the canvas edges draw only their on-canvas part.
  DrawAndCheck("Alice Wonderland", {1100, 680, 426, 240});
  DrawAndCheck("Alice Wonderland", {-200, -100, 426, 240});
  DrawAndCheck("Alice Wonderland", {-200, -100, 426, 240}, {}, 1280, 720, true);
  DrawAndCheck("Alice", {-100000, -100000, 200000, 200000});
}

TEST_F(TextRendererTest, OddCanvasSizesAreFine) {
  for (const Rect& box : {Rect{0, 0, 427, 241}, Rect{301, 201, 126, 40}, Rect{1, 1, 425, 239}}) {
    EXPECT_FALSE(DrawAndCheck("Zoë", box, {}, 427, 241).Empty());
    EXPECT_FALSE(DrawAndCheck("Zoë", box, {.pixel_height = 16}, 427, 241, true).Empty());
  }
  EXPECT_FALSE(DrawAndCheck("W", {0, 0, 41, 31}, {.pixel_height = 24}, 41, 31).Empty());
}

TEST_F(TextRendererTest, BadStylesOrCanvasDrawNothing) {
  EXPECT_TRUE(DrawAndCheck("Alice", {0, 0, 400, 200}, {.pixel_height = 0}).Empty());
  EXPECT_TRUE(DrawAndCheck("Alice", {0, 0, 400, 200}, {.pixel_height = -3}).Empty());
  EXPECT_FALSE(DrawAndCheck("Al", {0, 0, 1280, 720}, {.pixel_height = 100000}).Empty());
  I420Frame invalid;
  EXPECT_TRUE(renderer_->DrawCentered("Alice", {0, 0, 100, 100}, {}, invalid).Empty());
  EXPECT_TRUE(renderer_->DrawLabel("Alice", {0, 0, 100, 100}, {}, invalid).Empty());
}

TEST_F(TextRendererTest, ChromaTakesTheTextColour) {
  const YuvColor red = {81, 90, 240};
  const Rect drawn =
      DrawAndCheck("MMMM", {0, 0, 640, 360}, {.pixel_height = 64, .color = red, .shadow = false});
  ASSERT_FALSE(drawn.Empty());
  int max_v = 0, min_u = 255;
  for (int y = drawn.y / 2; y < (drawn.y + drawn.height) / 2; ++y) {
    for (int x = drawn.x / 2; x < (drawn.x + drawn.width) / 2; ++x) {
      max_v = std::max<int>(max_v, canvas_.v[y * canvas_.stride_v + x]);
      min_u = std::min<int>(min_u, canvas_.u[y * canvas_.stride_u + x]);
    }
  }
  EXPECT_GE(max_v, 235);  // fully covered chroma samples inside the strokes
  EXPECT_LE(min_u, 95);
}

TEST_F(TextRendererTest, ShadowDarkensBelowTheGlyphs) {
  const TextStyle plain{.shadow = false};
  const I420Frame white = Solid(640, 360, {235, 128, 128});
  canvas_ = white;
  renderer_->DrawCentered("Alice", {0, 0, 640, 360}, plain, canvas_);
  EXPECT_EQ(canvas_.y, white.y);  // white on white: invisible without the shadow
  canvas_ = white;
  renderer_->DrawCentered("Alice", {0, 0, 640, 360}, {}, canvas_);
  EXPECT_LT(*std::min_element(canvas_.y.begin(), canvas_.y.end()), 100);
}

TEST_F(TextRendererTest, LabelSitsBottomLeftOverADarkBackdrop) {
  const Rect box{640, 360, 640, 360};
  const TextStyle style{.pixel_height = 20};
  const Rect drawn = DrawAndCheck("Alice", box, style, 1280, 720, /*label=*/true);
  ASSERT_FALSE(drawn.Empty());
  EXPECT_LT(drawn.x - box.x, 12);
  EXPECT_LT(box.y + box.height - (drawn.y + drawn.height), 12);
  EXPECT_GT(drawn.y, box.y + box.height / 2);
  EXPECT_LT(drawn.width, box.width / 2);
  // The backdrop's corner is darker than the grey around it; the glyphs are bright.
  EXPECT_LT(canvas_.y[drawn.y * 1280 + drawn.x], kGrey.y);
  int bright = 0;
  for (int y = drawn.y; y < drawn.y + drawn.height; ++y) {
    for (int x = drawn.x; x < drawn.x + drawn.width; ++x) bright += canvas_.y[y * 1280 + x] > 200;
  }
  EXPECT_GT(bright, 30);
  // A label keeps inside narrow tiles, and gives up on tiles too narrow for an ellipsis.
  const Rect narrow = DrawAndCheck("Alexandra Longname", {0, 0, 90, 60}, style, 1280, 720, true);
  EXPECT_FALSE(narrow.Empty());
  EXPECT_TRUE(DrawAndCheck("Alice", {0, 0, 12, 60}, style, 1280, 720, true).Empty());
}

TEST_F(TextRendererTest, CachedSecondDrawIsIdentical) {
  const Rect box{0, 0, 426, 240};
  DrawAndCheck("Émilie Dupont", box);
  const I420Frame first = canvas_;
  EXPECT_EQ(renderer_->cache_stats().misses, 1u);
  DrawAndCheck("Émilie Dupont", box);
  EXPECT_EQ(renderer_->cache_stats().misses, 1u);
  EXPECT_EQ(renderer_->cache_stats().hits, 1u);
  EXPECT_EQ(canvas_.y, first.y);
  EXPECT_EQ(canvas_.u, first.u);
  EXPECT_EQ(canvas_.v, first.v);
  // Another size or width is another entry.
  DrawAndCheck("Émilie Dupont", box, {.pixel_height = 30});
  EXPECT_EQ(renderer_->cache_stats().misses, 2u);
}

TEST_F(TextRendererTest, CacheStaysBounded) {
  I420Frame canvas = Solid(640, 360, kGrey);
  for (int i = 0; i < 200; ++i) {
    renderer_->DrawCentered("Guest " + std::to_string(i), {0, 0, 640, 360}, {}, canvas);
  }
  EXPECT_EQ(renderer_->cache_stats().entries, TextRenderer::kCacheEntries);
  EXPECT_LE(renderer_->cache_stats().bytes, TextRenderer::kCacheBytes);
  // The most recent names are still cached; the first ones were evicted.
  const uint64_t misses = renderer_->cache_stats().misses;
  renderer_->DrawCentered("Guest 199", {0, 0, 640, 360}, {}, canvas);
  EXPECT_EQ(renderer_->cache_stats().misses, misses);
  renderer_->DrawCentered("Guest 0", {0, 0, 640, 360}, {}, canvas);
  EXPECT_EQ(renderer_->cache_stats().misses, misses + 1);
}

}  // namespace
}  // namespace tessera::mixer
