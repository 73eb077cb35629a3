// Draws participant names onto the video mixer's canvas: centred on a placeholder ("no video")
// tile, or as a small label on a video tile. Glyphs come from FreeType and a TrueType font
// (DejaVu Sans from Debian's fonts-dejavu-core by default).
#pragma once

#include <tessera/base/status.h>
#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/frame.h>
#include <tessera/mixer/layout.h>

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tessera::mixer {

struct BlendScratch;  // src/mixer/text_blend.h

struct TextStyle {
  // Font size: the em height in canvas pixels, clamped to [1, kMaxPixelHeight]; <= 0 draws nothing.
  int pixel_height = 24;
  YuvColor color = {235, 128, 128};  // white (BT.601 limited range)
  // A dark drop shadow down-right of the glyphs, so light text stays legible on light video.
  bool shadow = true;
};

struct TextCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;  // each one rasterised the text with FreeType
  size_t entries = 0;
  size_t bytes = 0;  // coverage masks held
};

// Runs on: the room's video mixing thread (one renderer per room, used after the compositor has
// drawn the tiles). Not thread-safe: FreeType faces and the mask cache are unsynchronised.
//
// A text is rasterised once per (text, pixel height, width available, shadow) into an 8-bit
// coverage mask, kept in a small LRU cache; later draws only blend the mask into the canvas, so
// drawing the same names every tick costs a few microseconds each.
class TextRenderer {
 public:
  static constexpr int kMaxPixelHeight = 256;
  // Widest text drawn, in pixels; wider boxes are treated as this wide.
  static constexpr int kMaxTextWidth = 4096;
  // Longest text considered, in code points; past it the text is cut with an ellipsis.
  static constexpr size_t kMaxCodePoints = 256;
  static constexpr size_t kCacheEntries = 64;
  static constexpr size_t kCacheBytes = 8 << 20;

  // Default fonts, tried in order when Create() is given no path. Bold first: it survives video
  // encoding at small sizes better.
  static constexpr const char* kDefaultFonts[] = {
      "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
      "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  };

  // Loads `font_path` when non-empty, else the first of kDefaultFonts that exists. NotFound when
  // the file (or every default) is missing; Internal when FreeType cannot load it or the font is
  // not scalable. The message names the path(s) and FreeType's reason.
  static StatusOr<std::unique_ptr<TextRenderer>> Create(const std::string& font_path = {});

  ~TextRenderer();
  TextRenderer(const TextRenderer&) = delete;
  TextRenderer& operator=(const TextRenderer&) = delete;

  // Draws UTF-8 `text` centred in `box` (canvas pixels), alpha-blended into the Y plane and, at the
  // chroma resolution, into U and V. Text wider than the box is cut and ends in "…" (or "..." when
  // the font lacks it); text whose ellipsis alone does not fit draws nothing. Ill-formed UTF-8 is
  // drawn as U+FFFD; control characters are skipped. Nothing outside box and canvas is written.
  // Returns the rect actually drawn (glyphs and shadow, clipped to box and canvas); empty when
  // nothing was drawn (empty text, empty or off-canvas box, invalid canvas or style).
  Rect DrawCentered(std::string_view text, const Rect& box, const TextStyle& style,
                    I420Frame& canvas);

  // Same text, anchored bottom-left inside `box` with a small margin, over a translucent dark
  // backdrop: a name label on a video tile. Returns the rect drawn (backdrop included).
  Rect DrawLabel(std::string_view text, const Rect& box, const TextStyle& style, I420Frame& canvas);

  const TextCacheStats& cache_stats() const { return stats_; }
  const std::string& font_path() const { return font_path_; }

 private:
  struct FreeType;  // FT_Library and FT_Face, owned

  // Coverage of one text, tight around its ink (glyphs and shadow).
  struct Mask {
    int width = 0;
    int height = 0;
    int ink_top = 0;              // first mask row, relative to the top of the line box
    int line_height = 0;          // ascender - descender of the font at this size
    std::vector<uint8_t> text;    // width * height, 0..255
    std::vector<uint8_t> shadow;  // same size, empty without shadow
  };
  struct Key {
    std::string text;
    int pixel_height = 0;
    int max_width = 0;
    bool shadow = false;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  using Lru = std::list<std::pair<Key, Mask>>;

  TextRenderer(std::unique_ptr<FreeType> ft, std::string font_path);

  // The cached mask for the key, rasterised on a miss. Never null; an empty mask draws nothing.
  const Mask& Lookup(std::string_view text, int pixel_height, int max_width, bool shadow);
  Mask Rasterize(std::string_view text, int pixel_height, int max_width, bool shadow);

  std::unique_ptr<FreeType> ft_;
  std::string font_path_;
  Lru lru_;  // most recently used first
  std::unordered_map<Key, Lru::iterator, KeyHash> index_;
  Key scratch_key_;  // reused so a cache hit allocates nothing
  std::unique_ptr<BlendScratch> blend_scratch_;
  TextCacheStats stats_;
};

}  // namespace tessera::mixer
