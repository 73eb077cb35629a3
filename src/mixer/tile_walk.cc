#include <tessera/mixer/tile_walk.h>

#include <algorithm>
#include <cstdint>

namespace tessera::mixer {
namespace {

int AlignDown2(int v) { return v & ~1; }
int AlignUp2(int v) { return (v + 1) & ~1; }

// True when the regions of the tiles at z `z` cover `bounds` without overlapping.
bool TilesCanvas(std::span<const Tile> tiles, int z, const Rect& bounds) {
  int64_t area = 0;
  for (size_t i = 0; i < tiles.size(); ++i) {
    if (tiles[i].z != z) continue;
    const Rect& r = tiles[i].region;
    if (r.Empty() || ClipEven(r, bounds) != r) return false;
    for (size_t j = i + 1; j < tiles.size(); ++j) {
      if (tiles[j].z == z && r.Intersects(tiles[j].region)) return false;
    }
    area += static_cast<int64_t>(r.width) * r.height;
  }
  return area == static_cast<int64_t>(bounds.width) * bounds.height;
}

}  // namespace

Rect ClipEven(const Rect& r, const Rect& bounds) {
  const int x0 = AlignUp2(std::max(r.x, bounds.x));
  const int y0 = AlignUp2(std::max(r.y, bounds.y));
  const int x1 = AlignDown2(std::min(r.x + r.width, bounds.x + bounds.width));
  const int y1 = AlignDown2(std::min(r.y + r.height, bounds.y + bounds.height));
  if (x1 <= x0 || y1 <= y0) return Rect{};
  return Rect{x0, y0, x1 - x0, y1 - y0};
}

void WalkTiles(std::span<const Tile> tiles, const Rect& bounds, ComposeStats& stats,
               std::vector<size_t>& order, TileWalk& walk) {
  walk.steps.clear();
  order.resize(tiles.size());
  for (size_t i = 0; i < tiles.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return tiles[a].z < tiles[b].z; });
  const int lowest_z = tiles.empty() ? 0 : tiles[order.front()].z;
  const bool tiled = TilesCanvas(tiles, lowest_z, bounds);
  walk.canvas_fill = !tiled;
  for (size_t i : order) {
    const Tile& tile = tiles[i];
    const bool paints_background = tile.z > lowest_z || tiled;
    const Rect region = ClipEven(tile.region, bounds);
    if (tile.participant_id == 0) {
      ++stats.empty_slots;
      if (paints_background && tile.z == lowest_z && !region.Empty()) {
        walk.steps.push_back({i, true, paints_background, region});
      }
      continue;
    }
    if (region.Empty()) continue;
    // Only a single covering tile is detected; that is the picture-in-picture and full-screen
    // case. The covering tile paints its whole region, bars included.
    const bool occluded = std::any_of(tiles.begin(), tiles.end(), [&](const Tile& other) {
      return other.z > tile.z && other.participant_id != 0 && other.region.Contains(tile.region);
    });
    if (occluded) {
      ++stats.occluded;
      continue;
    }
    walk.steps.push_back({i, false, paints_background, region});
  }
}

TilePlacement PlaceTile(const Tile& tile, int picture_width, int picture_height, const Rect& bounds,
                        const ComposeOptions& options, ComposeStats& stats) {
  TilePlacement out;
  out.region = ClipEven(tile.region, bounds);
  out.dest = ClipEven(tile.dest, out.region);
  if (picture_width > 0 && picture_height > 0 && !tile.src.Empty()) {
    out.src = ClipEven(tile.src, Rect{0, 0, picture_width, picture_height});
    if (out.src != tile.src) ++stats.clamped_sources;
  }
  if (out.dest.Empty()) return out;
  if (out.src.Empty()) {
    out.kind = TilePlacement::Kind::kPlaceholder;
    ++stats.placeholders;
  } else if (out.src.width == out.dest.width && out.src.height == out.dest.height) {
    out.kind = TilePlacement::Kind::kCopy;
    ++stats.copied;
  } else {
    out.kind = TilePlacement::Kind::kScale;
    out.box_filter = out.dest.width < out.src.width && out.dest.height < out.src.height &&
                     options.downscale == DownscaleFilter::kBox;
    ++stats.scaled;
  }
  return out;
}

}  // namespace tessera::mixer
