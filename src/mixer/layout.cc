#include <tessera/mixer/layout.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace tessera::mixer {
namespace {

int AlignDown2(int v) { return v & ~1; }
int AlignUp2(int v) { return (v + 1) & ~1; }
// Nearest even integer to `v` (v >= 0).
int RoundEven(double v) { return 2 * static_cast<int>(std::lround(v / 2.0)); }

// Boundary i of n equal even-aligned parts of [0, total); boundary n is total.
int Edge(int i, int n, int total) {
  if (i >= n) return total;
  return AlignDown2(static_cast<int>(static_cast<int64_t>(i) * total / n));
}

Rect Inset(const Rect& r, int px) {
  if (r.width <= 2 * px || r.height <= 2 * px) return Rect{r.x, r.y, 0, 0};
  return Rect{r.x + px, r.y + px, r.width - 2 * px, r.height - 2 * px};
}

// Fills dest and src of a tile whose region is already set.
void Fit(const LayoutSpec& spec, FitPolicy fit, const LayoutInput& input, Tile& tile) {
  const Rect inner = Inset(tile.region, AlignUp2(std::max(spec.border_px, 0)));
  tile.dest = inner;
  tile.src = Rect{};
  const int sw = AlignDown2(input.width);
  const int sh = AlignDown2(input.height);
  if (sw <= 0 || sh <= 0 || inner.Empty()) return;  // placeholder
  const int64_t src_wide = static_cast<int64_t>(sw) * inner.height;
  const int64_t slot_wide = static_cast<int64_t>(sh) * inner.width;
  if (fit == FitPolicy::kLetterbox) {
    tile.src = Rect{0, 0, sw, sh};
    int dw = inner.width;
    int dh = inner.height;
    if (src_wide >= slot_wide) {
      dh = std::clamp(RoundEven(static_cast<double>(inner.width) * sh / sw), 2, inner.height);
    } else {
      dw = std::clamp(RoundEven(static_cast<double>(inner.height) * sw / sh), 2, inner.width);
    }
    tile.dest = Rect{inner.x + AlignDown2((inner.width - dw) / 2),
                     inner.y + AlignDown2((inner.height - dh) / 2), dw, dh};
    return;
  }
  int cw = sw;
  int ch = sh;
  if (src_wide > slot_wide) {
    cw = std::clamp(RoundEven(static_cast<double>(sh) * inner.width / inner.height), 2, sw);
  } else {
    ch = std::clamp(RoundEven(static_cast<double>(sw) * inner.height / inner.width), 2, sh);
  }
  tile.src = Rect{AlignDown2((sw - cw) / 2), AlignDown2((sh - ch) / 2), cw, ch};
}

Tile MakeTile(const LayoutSpec& spec, const LayoutInput& input, const Rect& region, int z,
              std::optional<uint32_t> active_speaker, std::optional<FitPolicy> fit = std::nullopt) {
  Tile tile;
  tile.participant_id = input.id;
  tile.region = region;
  tile.z = z;
  tile.highlight = active_speaker.has_value() && *active_speaker == input.id;
  Fit(spec, fit.value_or(spec.fit), input, tile);
  return tile;
}

Tile EmptySlot(const Rect& region, int z) {
  Tile empty;
  empty.region = region;
  empty.dest = region;
  empty.z = z;
  return empty;
}

void AutoGrid(const LayoutSpec& spec, int w, int h, std::span<const LayoutInput> inputs,
              std::optional<uint32_t> active_speaker, std::vector<Tile>& tiles) {
  const int count = static_cast<int>(std::min<size_t>(inputs.size(), kMaxGridTiles));
  const GridShape shape = GridShapeFor(count);
  for (int row = 0; row < shape.rows; ++row) {
    for (int col = 0; col < shape.columns; ++col) {
      const int x0 = Edge(col, shape.columns, w);
      const int y0 = Edge(row, shape.rows, h);
      const Rect region{x0, y0, Edge(col + 1, shape.columns, w) - x0,
                        Edge(row + 1, shape.rows, h) - y0};
      const int slot = row * shape.columns + col;
      if (slot < count) {
        tiles.push_back(
            MakeTile(spec, inputs[static_cast<size_t>(slot)], region, 0, active_speaker));
      } else {
        tiles.push_back(EmptySlot(region, 0));
      }
    }
  }
}

// Index of the input shown large in speaker focus and picture-in-picture: the first pinned input,
// else the active speaker when present, else the first.
size_t MainIndex(std::span<const LayoutInput> inputs, std::optional<uint32_t> active_speaker) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].pinned) return i;
  }
  if (active_speaker) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].id == *active_speaker) return i;
    }
  }
  return 0;
}

// Index of the input shown large in a presentation: the first presenter, else the first input.
size_t PresenterIndex(std::span<const LayoutInput> inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].role == kPresenterRole) return i;
  }
  return 0;
}

// One large slot plus up to max_thumbnails small ones, in a strip below (speaker focus) or a
// column to the right (presentation).
void MainAndThumbnails(const LayoutSpec& spec, int w, int h, std::span<const LayoutInput> inputs,
                       size_t main_index, std::optional<uint32_t> active_speaker,
                       std::vector<Tile>& tiles) {
  const int thumbs =
      static_cast<int>(std::min<size_t>(inputs.size() - 1, std::max(spec.max_thumbnails, 0)));
  if (thumbs == 0) {
    tiles.push_back(MakeTile(spec, inputs[main_index], Rect{0, 0, w, h}, 0, active_speaker));
    return;
  }
  // Thumbnails keep the size they would have with four of them, so a single one is not stretched.
  const int slots = std::max(thumbs, 4);
  const bool strip = spec.kind == LayoutKind::kSpeakerFocus;
  Rect main_region{0, 0, w, h};
  if (strip) {
    main_region.height = AlignDown2(h * 3 / 4);
  } else {
    main_region.width = AlignDown2(w * 3 / 4);
  }
  tiles.push_back(MakeTile(spec, inputs[main_index], main_region, 0, active_speaker));
  const int along = strip ? w : h;
  const int step = AlignDown2(along / slots);
  const int start = AlignDown2((along - step * thumbs) / 2);
  int placed = 0;
  for (size_t i = 0; i < inputs.size() && placed < thumbs; ++i) {
    if (i == main_index) continue;
    const int offset = start + placed * step;
    const Rect region = strip ? Rect{offset, main_region.height, step, h - main_region.height}
                              : Rect{main_region.width, offset, w - main_region.width, step};
    tiles.push_back(MakeTile(spec, inputs[i], region, 0, active_speaker));
    ++placed;
  }
}

void PictureInPicture(const LayoutSpec& spec, int w, int h, std::span<const LayoutInput> inputs,
                      std::optional<uint32_t> active_speaker, std::vector<Tile>& tiles) {
  const size_t main_index = MainIndex(inputs, active_speaker);
  tiles.push_back(MakeTile(spec, inputs[main_index], Rect{0, 0, w, h}, 0, active_speaker));
  if (inputs.size() < 2) return;
  const size_t inset_index = main_index == 0 ? 1 : 0;
  const int iw = AlignDown2(w / 4);
  const int ih = AlignDown2(h / 4);
  const int margin = AlignDown2(std::min(w, h) / 32);
  const Rect region{w - margin - iw, h - margin - ih, iw, ih};
  tiles.push_back(MakeTile(spec, inputs[inset_index], region, 1, active_speaker));
}

// Canvas edge (even) for fraction `f` of `total` (even): the nearest even pixel, so two regions
// that share a fractional edge share the pixel edge too. NaN gives 0.
int FractionEdge(double f, int total) {
  if (!(f > 0)) return 0;
  if (f >= 1) return total;
  return std::min(RoundEven(f * total), total);
}

// The pixel rect of a custom region, clamped to the canvas; empty when it rounds to nothing.
Rect RegionRect(const CustomRegion& r, int w, int h) {
  if (!std::isfinite(r.x) || !std::isfinite(r.y) || !std::isfinite(r.width) ||
      !std::isfinite(r.height)) {
    return Rect{};
  }
  const int x0 = FractionEdge(r.x, w);
  const int y0 = FractionEdge(r.y, h);
  const int x1 = FractionEdge(r.x + r.width, w);
  const int y1 = FractionEdge(r.y + r.height, h);
  if (x1 <= x0 || y1 <= y0) return Rect{};
  return Rect{x0, y0, x1 - x0, y1 - y0};
}

void Custom(const LayoutSpec& spec, int w, int h, std::span<const LayoutInput> inputs,
            std::optional<uint32_t> active_speaker, std::vector<Tile>& tiles) {
  if (spec.custom == nullptr) return;
  const std::vector<CustomRegion>& regions = spec.custom->regions;
  constexpr size_t kNobody = std::numeric_limits<size_t>::max();
  std::vector<Rect> rects(regions.size());
  std::vector<size_t> filled_by(regions.size(), kNobody);
  std::vector<bool> placed(inputs.size(), false);
  for (size_t r = 0; r < regions.size(); ++r) rects[r] = RegionRect(regions[r], w, h);
  // Speaker first, so the active speaker is never taken by a pinned or role region; then a
  // speaker region nobody filled (no one has spoken yet) takes the first input left, so the stage
  // is not empty; join order last, so it only gets who no rule asked for.
  const auto fill = [&](SlotRule rule) {
    for (size_t r = 0; r < regions.size(); ++r) {
      const CustomRegion& region = regions[r];
      if (region.rule != rule || rects[r].Empty() || filled_by[r] != kNobody) continue;
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (placed[i]) continue;
        const LayoutInput& in = inputs[i];
        const bool matches =
            rule == SlotRule::kJoinOrder ||
            (rule == SlotRule::kSpeaker && active_speaker && in.id == *active_speaker) ||
            (rule == SlotRule::kPinned && in.pinned) ||
            (rule == SlotRule::kRole && !region.role.empty() && in.role == region.role);
        if (matches) {
          filled_by[r] = i;
          placed[i] = true;
          break;
        }
      }
    }
  };
  fill(SlotRule::kSpeaker);
  const bool speaker_placed = std::find_if(filled_by.begin(), filled_by.end(), [&](size_t f) {
                                return f != kNobody;
                              }) != filled_by.end();
  fill(SlotRule::kPinned);
  fill(SlotRule::kRole);
  if (!speaker_placed) {
    for (size_t r = 0; r < regions.size(); ++r) {
      if (regions[r].rule != SlotRule::kSpeaker || rects[r].Empty()) continue;
      // Only the first speaker region is the stage.
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (placed[i]) continue;
        filled_by[r] = i;
        placed[i] = true;
        break;
      }
      break;
    }
  }
  fill(SlotRule::kJoinOrder);
  for (size_t r = 0; r < regions.size(); ++r) {
    if (rects[r].Empty()) continue;
    if (filled_by[r] == kNobody) {
      tiles.push_back(EmptySlot(rects[r], regions[r].z));
    } else {
      tiles.push_back(MakeTile(spec, inputs[filled_by[r]], rects[r], regions[r].z, active_speaker,
                               regions[r].fit));
    }
  }
}

}  // namespace

GridShape GridShapeFor(int count) {
  if (count <= 0) return GridShape{};
  if (count == 1) return GridShape{1, 1};
  if (count == 2) return GridShape{2, 1};
  for (int side = 2; side <= 5; ++side) {
    if (count <= side * side) return GridShape{side, side};
  }
  // Above 25 (a cascaded all-hands): as square as fits, rows left empty at the bottom dropped,
  // so 30 gives 6 x 5 rather than a 6 x 6 with an empty row.
  count = std::min(count, kMaxGridTiles);
  int columns = 6;
  while (columns * columns < count) ++columns;
  return GridShape{columns, (count + columns - 1) / columns};
}

std::vector<Tile> ComputeLayout(const LayoutSpec& spec, int canvas_w, int canvas_h,
                                std::span<const LayoutInput> inputs,
                                std::optional<uint32_t> active_speaker) {
  std::vector<Tile> tiles;
  const int w = AlignDown2(canvas_w);
  const int h = AlignDown2(canvas_h);
  if (w <= 0 || h <= 0 || inputs.empty()) return tiles;
  switch (spec.kind) {
    case LayoutKind::kAutoGrid:
      AutoGrid(spec, w, h, inputs, active_speaker, tiles);
      break;
    case LayoutKind::kSpeakerFocus:
      MainAndThumbnails(spec, w, h, inputs, MainIndex(inputs, active_speaker), active_speaker,
                        tiles);
      break;
    case LayoutKind::kPresentation:
      MainAndThumbnails(spec, w, h, inputs, PresenterIndex(inputs), active_speaker, tiles);
      break;
    case LayoutKind::kPictureInPicture:
      PictureInPicture(spec, w, h, inputs, active_speaker, tiles);
      break;
    case LayoutKind::kCustom:
      Custom(spec, w, h, inputs, active_speaker, tiles);
      break;
  }
  return tiles;
}

}  // namespace tessera::mixer
