// Video layout engine: turns a layout choice and the participants' picture sizes into pixel tiles
// on the output canvas, once per layout change. Every compositor backend consumes the same tiles,
// so the geometry (alignment, fit, z order) is decided here and nowhere else.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::mixer {

// A rectangle in pixels. Rects produced by ComputeLayout have even x, y, width and height (so the
// I420 chroma planes line up) and lie inside the canvas (or, for Tile::src, inside the picture).
struct Rect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;

  bool Empty() const { return width <= 0 || height <= 0; }
  // True when `other` lies entirely inside this rect.
  bool Contains(const Rect& other) const {
    return other.x >= x && other.y >= y && other.x + other.width <= x + width &&
           other.y + other.height <= y + height;
  }
  bool Intersects(const Rect& other) const {
    return other.x < x + width && x < other.x + other.width && other.y < y + height &&
           y < other.y + other.height;
  }
  friend bool operator==(const Rect&, const Rect&) = default;
};

// How a picture whose aspect ratio differs from its slot is fitted.
enum class FitPolicy {
  kCrop,       // fill the slot; the centre of the source is kept, the sides cut
  kLetterbox,  // show the whole source; the slot keeps background bars
};

struct Tile {
  uint32_t participant_id = 0;  // 0 = empty slot (drawn as background)
  Rect region = {};             // the slot on the canvas, including the border
  // Where the picture lands: region less the border, then (letterbox) inset to the source's aspect
  // ratio and centred. For a placeholder (no video) it is region less the border.
  Rect dest = {};
  // Source rectangle in the input picture's pixels: the centre crop (kCrop) or the whole picture
  // (kLetterbox). Empty for placeholders and empty slots.
  Rect src = {};
  int z = 0;               // higher z is drawn later (on top)
  bool highlight = false;  // the active speaker's tile
};

struct LayoutInput {
  uint32_t id = 0;  // non-zero
  // Current picture size in pixels; 0 = no video (the tile shows a placeholder).
  int width = 0;
  int height = 0;
  // The participant's role in the room ("presenter", "moderator", ...); empty = none.
  std::string role = {};
  // Pinned by the room's operator: kept in the large tile (speaker focus, picture-in-picture) or
  // in a kPinned region of a custom layout.
  bool pinned = false;
};

enum class LayoutKind {
  kAutoGrid,          // 1, 1x2, 2x2, 3x3, 4x4 or 5x5 equal slots by count (at most 25)
  kSpeakerFocus,      // pinned / active speaker large on top (~75%), a strip of the others below
  kPresentation,      // the presenter large, a column of thumbnails right
  kPictureInPicture,  // one input on the full canvas, one inset bottom-right on top
  kCustom,            // the regions of LayoutSpec::custom
};

// Who fills a region of a custom layout.
enum class SlotRule {
  kJoinOrder,  // the next input, in joining order, that no other rule placed
  kRole,       // the next input whose role is CustomRegion::role
  kPinned,     // the next pinned input
  kSpeaker,    // the active speaker
};

// One region of a custom layout, in fractions of the canvas (0..1, origin top-left).
struct CustomRegion {
  double x = 0;
  double y = 0;
  double width = 0;
  double height = 0;
  int z = 0;  // as Tile::z: higher is drawn later (on top)
  SlotRule rule = SlotRule::kJoinOrder;
  std::string role = {};              // for kRole
  std::optional<FitPolicy> fit = {};  // overrides LayoutSpec::fit for this region
};

struct CustomLayout {
  std::string name = {};
  std::vector<CustomRegion> regions = {};  // in list order; z decides what is drawn on top
};

struct LayoutSpec {
  LayoutKind kind = LayoutKind::kAutoGrid;
  FitPolicy fit = FitPolicy::kLetterbox;
  // Frame kept inside each slot for the compositor's border / highlight (rounded up to even).
  int border_px = 0;
  // Speaker focus and presentation: most thumbnails shown; later inputs are left out.
  int max_thumbnails = 6;
  // The regions when kind == kCustom; not owned, must outlive the call. nullptr gives no tiles.
  const CustomLayout* custom = nullptr;
};

// The most tiles a grid shows (10 x 10: an all-hands cascaded over several nodes); later
// inputs are left out.
inline constexpr int kMaxGridTiles = 100;
// The role that kPresentation shows large.
inline constexpr std::string_view kPresenterRole = "presenter";

// Computes the tiles for `inputs` on a canvas of canvas_w x canvas_h pixels (odd sizes are
// rounded down to even). `inputs` are in joining order. Speaker focus and picture-in-picture put
// the first pinned input in the large tile, else `active_speaker` when it is among the inputs,
// else the first input. Presentation puts the first input with role "presenter" large, else the
// first input. The other inputs follow in input order. Inputs that do not fit the layout (past 25
// in a grid, past max_thumbnails, past the second in picture-in-picture) get no tile. The tile of
// `active_speaker` has highlight set.
//
// Custom layouts: each region becomes a rect whose edges are the region's fractional edges,
// clamped to 0..1, times the canvas size, rounded to the nearest even pixel; adjacent regions thus
// share their edges without gaps or overlaps. Regions that round to nothing (or have non-finite
// fractions) are dropped. Slots are filled in this order, regions in their list order: kSpeaker
// regions take the active speaker (when among the inputs; a second kSpeaker region stays empty),
// kPinned regions the pinned inputs, kRole regions the inputs with their role; when no speaker is
// known, the first kSpeaker region (the stage) then takes the first input left; then kJoinOrder
// regions the inputs left. Each input fills at most one region; inputs left over get no tile. A
// region nobody fills is an empty slot (participant_id 0, drawn as background).
//
// Tiles are returned in slot order (custom: region order, with each region's z); a grid and a
// custom layout also return their empty slots. Pure function; no input (empty, zero-sized
// canvas, missing custom layout, any fraction) makes it fail: it returns fewer tiles.
std::vector<Tile> ComputeLayout(const LayoutSpec& spec, int canvas_w, int canvas_h,
                                std::span<const LayoutInput> inputs,
                                std::optional<uint32_t> active_speaker);

// Grid shape (columns, rows) used by kAutoGrid for `count` inputs.
struct GridShape {
  int columns = 0;
  int rows = 0;
};
GridShape GridShapeFor(int count);

}  // namespace tessera::mixer
