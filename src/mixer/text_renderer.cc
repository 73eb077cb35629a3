#include <ft2build.h>
#include FT_FREETYPE_H
#include <tessera/mixer/text_renderer.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "mixer/text_blend.h"
#include "mixer/utf8.h"

namespace tessera::mixer {

struct TextRenderer::FreeType {
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  int pixel_height = 0;  // size last set on the face

  ~FreeType() {
    if (face != nullptr) FT_Done_Face(face);
    if (library != nullptr) FT_Done_FreeType(library);
  }
};

namespace {

// Bytes of text considered: enough for kMaxCodePoints of any script. A longer text is cut there
// (on a character boundary) and ends in an ellipsis, so a huge string costs no more than this.
constexpr size_t kMaxTextBytes = 4 * TextRenderer::kMaxCodePoints;

std::string FtErrorText(FT_Error error) {
  const char* s = FT_Error_String(error);
  return s != nullptr ? std::string(s) : "FreeType error " + std::to_string(error);
}

bool IsSpace(char32_t c) { return c == U' ' || c == 0xA0 || c == 0x3000; }

// One rendered glyph: an 8-bit coverage bitmap and its metrics in pixels (advance in 26.6).
struct Glyph {
  FT_UInt index = 0;
  int left = 0;  // from the pen to the bitmap's left column
  int top = 0;   // from the baseline up to the bitmap's top row
  int width = 0;
  int rows = 0;
  FT_Pos advance = 0;
  std::vector<uint8_t> coverage;  // width * rows
  bool HasInk() const { return width > 0 && rows > 0; }
};

Glyph RenderGlyph(FT_Face face, FT_UInt index) {
  Glyph g;
  g.index = index;
  if (FT_Load_Glyph(face, index, FT_LOAD_RENDER | FT_LOAD_TARGET_LIGHT) != 0) return g;
  const FT_GlyphSlot slot = face->glyph;
  const FT_Bitmap& bm = slot->bitmap;
  g.advance = slot->advance.x;
  if (bm.pixel_mode != FT_PIXEL_MODE_GRAY && bm.pixel_mode != FT_PIXEL_MODE_MONO) return g;
  g.left = slot->bitmap_left;
  g.top = slot->bitmap_top;
  g.width = static_cast<int>(bm.width);
  g.rows = static_cast<int>(bm.rows);
  g.coverage.resize(static_cast<size_t>(g.width) * g.rows);
  const int pitch = bm.pitch < 0 ? -bm.pitch : bm.pitch;
  const int max_gray = bm.num_grays > 1 ? bm.num_grays - 1 : 255;
  for (int r = 0; r < g.rows; ++r) {
    // A negative pitch stores the rows bottom-up.
    const uint8_t* src =
        bm.buffer + static_cast<ptrdiff_t>(bm.pitch < 0 ? g.rows - 1 - r : r) * pitch;
    uint8_t* dst = g.coverage.data() + static_cast<size_t>(r) * g.width;
    for (int c = 0; c < g.width; ++c) {
      if (bm.pixel_mode == FT_PIXEL_MODE_MONO) {
        dst[c] = (src[c >> 3] & (0x80 >> (c & 7))) != 0 ? 255 : 0;
      } else {
        dst[c] = static_cast<uint8_t>(std::min(255, src[c] * 255 / max_gray));
      }
    }
  }
  return g;
}

// A glyph placed on the line: x of its bitmap's left column, relative to the start pen.
struct Placed {
  const Glyph* glyph = nullptr;
  int x = 0;
};

int PixelOf(FT_Pos pos_26_6) { return static_cast<int>((pos_26_6 + 32) >> 6); }

// Places `line` left to right (with the font's kerning) when its ink is at most `max_width`
// pixels wide and `cut` is false; else the longest prefix, less trailing spaces, that fits with
// `ellipsis` after it. Empty when not even the ellipsis fits. `space[i]` tells whether line[i] is
// a space.
std::vector<Placed> FitLine(FT_Face face, const std::vector<const Glyph*>& line,
                            const std::vector<bool>& space,
                            const std::vector<const Glyph*>& ellipsis, bool cut, int max_width) {
  const bool kerning = FT_HAS_KERNING(face);
  auto kern = [&](const Glyph* a, const Glyph* b) -> FT_Pos {
    FT_Vector delta{0, 0};
    if (kerning && a != nullptr) {
      FT_Get_Kerning(face, a->index, b->index, FT_KERNING_DEFAULT, &delta);
    }
    return delta.x;
  };
  // Pen of each glyph of the full line (26.6) and the ink extent of each prefix (pixels).
  const size_t n = line.size();
  std::vector<FT_Pos> pen(n + 1, 0);
  std::vector<int> ink_x0(n + 1, INT32_MAX), ink_x1(n + 1, INT32_MIN);
  for (size_t i = 0; i < n; ++i) {
    const FT_Pos start = pen[i] + (i > 0 ? kern(line[i - 1], line[i]) : 0);
    pen[i + 1] = start + line[i]->advance;
    ink_x0[i + 1] = ink_x0[i];
    ink_x1[i + 1] = ink_x1[i];
    if (line[i]->HasInk()) {
      const int x = PixelOf(start) + line[i]->left;
      ink_x0[i + 1] = std::min(ink_x0[i + 1], x);
      ink_x1[i + 1] = std::max(ink_x1[i + 1], x + line[i]->width);
    }
    pen[i] = start;  // from here on, where glyph i is drawn
  }
  auto fits = [&](int x0, int x1) { return x1 <= x0 || x1 - x0 <= max_width; };
  auto prefix = [&](size_t k) {
    std::vector<Placed> placed;
    for (size_t i = 0; i < k; ++i) placed.push_back({line[i], PixelOf(pen[i]) + line[i]->left});
    return placed;
  };
  if (!cut && fits(ink_x0[n], ink_x1[n])) return prefix(n);

  for (size_t k = cut ? n : n - 1;; --k) {
    size_t keep = k;
    while (keep > 0 && space[keep - 1]) --keep;
    FT_Pos p = keep > 0 ? pen[keep - 1] + line[keep - 1]->advance : 0;
    int x0 = ink_x0[keep], x1 = ink_x1[keep];
    std::vector<Placed> tail;
    const Glyph* prev = keep > 0 ? line[keep - 1] : nullptr;
    for (const Glyph* g : ellipsis) {
      p += kern(prev, g);
      const int x = PixelOf(p) + g->left;
      tail.push_back({g, x});
      if (g->HasInk()) {
        x0 = std::min(x0, x);
        x1 = std::max(x1, x + g->width);
      }
      p += g->advance;
      prev = g;
    }
    if (fits(x0, x1)) {
      std::vector<Placed> placed = prefix(keep);
      placed.insert(placed.end(), tail.begin(), tail.end());
      return placed;
    }
    if (k == 0) return {};
  }
}

}  // namespace

size_t TextRenderer::KeyHash::operator()(const Key& k) const {
  size_t h = std::hash<std::string_view>()(k.text);
  h ^= std::hash<int>()(k.pixel_height) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= std::hash<int>()(k.max_width * 2 + (k.shadow ? 1 : 0)) + 0x9e3779b97f4a7c15ULL + (h << 6) +
       (h >> 2);
  return h;
}

StatusOr<std::unique_ptr<TextRenderer>> TextRenderer::Create(const std::string& font_path) {
  std::vector<std::string> candidates;
  if (!font_path.empty()) {
    candidates.push_back(font_path);
  } else {
    for (const char* p : kDefaultFonts) candidates.emplace_back(p);
  }
  auto ft = std::make_unique<FreeType>();
  if (const FT_Error e = FT_Init_FreeType(&ft->library); e != 0) {
    ft->library = nullptr;
    return InternalError("FreeType init failed: " + FtErrorText(e));
  }
  std::string failures;
  for (const std::string& path : candidates) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) continue;
    FT_Face face = nullptr;
    if (const FT_Error e = FT_New_Face(ft->library, path.c_str(), 0, &face); e != 0) {
      failures += "; " + path + ": " + FtErrorText(e);
      continue;
    }
    if (!FT_IS_SCALABLE(face) || FT_Select_Charmap(face, FT_ENCODING_UNICODE) != 0) {
      FT_Done_Face(face);
      failures += "; " + path + ": not a scalable font with a Unicode character map";
      continue;
    }
    ft->face = face;
    return std::unique_ptr<TextRenderer>(new TextRenderer(std::move(ft), path));
  }
  if (!failures.empty()) return InternalError("no font could be loaded" + failures);
  std::string tried;
  for (const std::string& path : candidates) tried += (tried.empty() ? "" : ", ") + path;
  return NotFoundError("no font file found (tried " + tried +
                       "); install Debian's fonts-dejavu-core or pass a TrueType font path");
}

TextRenderer::TextRenderer(std::unique_ptr<FreeType> ft, std::string font_path)
    : ft_(std::move(ft)),
      font_path_(std::move(font_path)),
      blend_scratch_(std::make_unique<BlendScratch>()) {}

TextRenderer::~TextRenderer() = default;

const TextRenderer::Mask& TextRenderer::Lookup(std::string_view text, int pixel_height,
                                               int max_width, bool shadow) {
  // One byte past the limit keeps "cut" texts apart from texts exactly kMaxTextBytes long.
  scratch_key_.text.assign(text.substr(0, kMaxTextBytes + 1));
  scratch_key_.pixel_height = pixel_height;
  scratch_key_.max_width = max_width;
  scratch_key_.shadow = shadow;
  if (auto it = index_.find(scratch_key_); it != index_.end()) {
    ++stats_.hits;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }
  ++stats_.misses;
  Mask mask = Rasterize(scratch_key_.text, pixel_height, max_width, shadow);
  stats_.bytes += mask.text.size() + mask.shadow.size();
  lru_.emplace_front(scratch_key_, std::move(mask));
  index_.emplace(scratch_key_, lru_.begin());
  while (lru_.size() > 1 && (lru_.size() > kCacheEntries || stats_.bytes > kCacheBytes)) {
    const Mask& old = lru_.back().second;
    stats_.bytes -= old.text.size() + old.shadow.size();
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  stats_.entries = lru_.size();
  return lru_.front().second;
}

TextRenderer::Mask TextRenderer::Rasterize(std::string_view text, int pixel_height, int max_width,
                                           bool shadow) {
  Mask mask;
  FT_Face face = ft_->face;
  if (ft_->pixel_height != pixel_height) {
    if (FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(pixel_height)) != 0) return mask;
    ft_->pixel_height = pixel_height;
  }
  bool cut = text.size() > kMaxTextBytes;
  if (cut) {
    size_t end = kMaxTextBytes;
    // Back up to a character boundary so the cut leaves no broken sequence behind.
    for (int i = 0; i < 3 && end > 0 && (static_cast<uint8_t>(text[end]) & 0xC0) == 0x80; ++i) {
      --end;
    }
    text = text.substr(0, end);
  }
  const DecodedText decoded = DecodeUtf8(text, kMaxCodePoints);
  cut = cut || decoded.truncated;

  // Render each distinct glyph once.
  std::unordered_map<FT_UInt, Glyph> glyphs;
  const FT_UInt replacement = FT_Get_Char_Index(face, kReplacementChar);
  auto glyph_for = [&](char32_t c) -> const Glyph* {
    FT_UInt index = FT_Get_Char_Index(face, c);
    if (index == 0) index = replacement;  // 0 again draws the font's "missing" box
    auto it = glyphs.find(index);
    if (it == glyphs.end()) it = glyphs.emplace(index, RenderGlyph(face, index)).first;
    return &it->second;
  };
  std::vector<const Glyph*> line;
  std::vector<bool> space;
  for (char32_t c : decoded.code_points) {
    line.push_back(glyph_for(c));
    space.push_back(IsSpace(c));
  }
  std::vector<const Glyph*> ellipsis;
  if (FT_Get_Char_Index(face, 0x2026) != 0) {
    ellipsis.push_back(glyph_for(0x2026));
  } else {
    ellipsis.assign(3, glyph_for(U'.'));
  }

  const int shadow_px = shadow ? std::max(1, pixel_height / 12) : 0;
  const std::vector<Placed> placed =
      FitLine(face, line, space, ellipsis, cut, max_width - shadow_px);
  if (placed.empty()) return mask;

  // Ink box of the placed glyphs; rows are relative to the top of the line box.
  const FT_Size_Metrics& m = face->size->metrics;
  const int ascender = static_cast<int>((m.ascender + 63) >> 6);
  const int descender = static_cast<int>(m.descender >> 6);  // negative: below the baseline
  int x0 = INT32_MAX, x1 = INT32_MIN, y0 = INT32_MAX, y1 = INT32_MIN;
  for (const Placed& p : placed) {
    if (!p.glyph->HasInk()) continue;
    x0 = std::min(x0, p.x);
    x1 = std::max(x1, p.x + p.glyph->width);
    y0 = std::min(y0, ascender - p.glyph->top);
    y1 = std::max(y1, ascender - p.glyph->top + p.glyph->rows);
  }
  if (x1 <= x0 || y1 <= y0) return mask;  // only spaces
  mask.width = x1 - x0 + shadow_px;
  mask.height = y1 - y0 + shadow_px;
  mask.ink_top = y0;
  mask.line_height = ascender - descender;
  mask.text.assign(static_cast<size_t>(mask.width) * mask.height, 0);
  for (const Placed& p : placed) {
    const Glyph& g = *p.glyph;
    for (int r = 0; r < g.rows; ++r) {
      uint8_t* dst = mask.text.data() +
                     static_cast<size_t>(ascender - g.top + r - y0) * mask.width + (p.x - x0);
      const uint8_t* src = g.coverage.data() + static_cast<size_t>(r) * g.width;
      // Overlapping glyphs (kerned pairs) keep the stronger coverage.
      for (int c = 0; c < g.width; ++c) dst[c] = std::max(dst[c], src[c]);
    }
  }
  if (shadow_px > 0) {
    mask.shadow.assign(mask.text.size(), 0);
    for (int r = 0; r + shadow_px < mask.height; ++r) {
      const uint8_t* src = mask.text.data() + static_cast<size_t>(r) * mask.width;
      uint8_t* dst =
          mask.shadow.data() + static_cast<size_t>(r + shadow_px) * mask.width + shadow_px;
      for (int c = 0; c + shadow_px < mask.width; ++c)
        dst[c] = static_cast<uint8_t>(src[c] * 3 / 4);
    }
  }
  return mask;
}

Rect TextRenderer::DrawCentered(std::string_view text, const Rect& box, const TextStyle& style,
                                I420Frame& canvas) {
  if (style.pixel_height <= 0 || box.Empty() || !canvas.Valid()) return {};
  const Span clip = Span::Of(box).Intersect(Span::Canvas(canvas));
  if (clip.Empty()) return {};
  const int px = std::min(style.pixel_height, kMaxPixelHeight);
  const Mask& mask = Lookup(text, px, std::min(box.width, kMaxTextWidth), style.shadow);
  if (mask.width == 0) return {};
  const int64_t x = int64_t{box.x} + (int64_t{box.width} - mask.width) / 2;
  const int64_t y = int64_t{box.y} + (int64_t{box.height} - mask.line_height) / 2 + mask.ink_top;
  const Span drawn = Span{x, y, x + mask.width, y + mask.height}.Intersect(clip);
  if (drawn.Empty()) return {};
  BlendCoverage({mask.width, mask.text, mask.shadow}, x, y, drawn, style.color, *blend_scratch_,
                canvas);
  return drawn.ToRect();
}

Rect TextRenderer::DrawLabel(std::string_view text, const Rect& box, const TextStyle& style,
                             I420Frame& canvas) {
  if (style.pixel_height <= 0 || box.Empty() || !canvas.Valid()) return {};
  const Span clip = Span::Of(box).Intersect(Span::Canvas(canvas));
  if (clip.Empty()) return {};
  const int px = std::min(style.pixel_height, kMaxPixelHeight);
  const int margin = std::max(2, px / 4);
  const int pad = std::max(2, px / 6);
  const int max_width = std::min(box.width - 2 * margin - 2 * pad, kMaxTextWidth);
  if (max_width <= 0) return {};
  const Mask& mask = Lookup(text, px, max_width, style.shadow);
  if (mask.width == 0) return {};
  const Span box_span = Span::Of(box);
  const int64_t bottom = box_span.y1 - margin;
  const Span backdrop{box_span.x0 + margin, bottom - mask.line_height - 2 * pad,
                      box_span.x0 + margin + mask.width + 2 * pad, bottom};
  const int64_t x = backdrop.x0 + pad;
  const int64_t y = backdrop.y0 + pad + mask.ink_top;
  const Span glyphs = Span{x, y, x + mask.width, y + mask.height}.Intersect(clip);
  const Span shade = backdrop.Intersect(clip);
  if (!shade.Empty()) BlendFill(shade, kBackdropColor, kBackdropAlpha, *blend_scratch_, canvas);
  if (!glyphs.Empty()) {
    BlendCoverage({mask.width, mask.text, mask.shadow}, x, y, glyphs, style.color, *blend_scratch_,
                  canvas);
  }
  return shade.Union(glyphs).ToRect();
}

}  // namespace tessera::mixer
