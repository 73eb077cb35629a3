#include "loadgen/frame_code.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace tessera::loadgen {
namespace {

constexpr double kCodeX0 = 0.10;
constexpr double kCodeX1 = 0.90;
constexpr double kCodeY0 = 0.30;
constexpr double kRowHeight = 0.20;
constexpr int kCellsPerRow = 2 * kFrameCodeBits;
constexpr uint8_t kLight = 208;
constexpr uint8_t kDark = 48;
constexpr uint8_t kQuiet = 128;

// Fractions of the picture for cell `cell` (0..kCellsPerRow-1) of row `row` (0 or 1).
FractionRect CellRect(int row, int cell) {
  const double w = (kCodeX1 - kCodeX0) / kCellsPerRow;
  return {kCodeX0 + w * cell, kCodeY0 + kRowHeight * row, kCodeX0 + w * (cell + 1),
          kCodeY0 + kRowHeight * (row + 1)};
}

int RoundEven(double v) { return 2 * static_cast<int>(std::lround(v / 2)); }

void Fill(std::vector<uint8_t>& plane, int stride, int x0, int y0, int x1, int y1, uint8_t value) {
  for (int y = y0; y < y1; ++y) {
    std::fill(plane.begin() + static_cast<ptrdiff_t>(y) * stride + x0,
              plane.begin() + static_cast<ptrdiff_t>(y) * stride + x1, value);
  }
}

// Fills a fractional rect (rounded to even pixels, so chroma lines up) in all three planes.
void FillRect(codec::VideoFrame& f, const FractionRect& r, uint8_t luma) {
  const int x0 = RoundEven(r.x0 * f.width), x1 = RoundEven(r.x1 * f.width);
  const int y0 = RoundEven(r.y0 * f.height), y1 = RoundEven(r.y1 * f.height);
  Fill(f.y, f.stride_y, x0, y0, x1, y1, luma);
  Fill(f.u, f.stride_u, x0 / 2, y0 / 2, x1 / 2, y1 / 2, 128);
  Fill(f.v, f.stride_v, x0 / 2, y0 / 2, x1 / 2, y1 / 2, 128);
}

// Mean luma of the middle half of a cell as it lies on the canvas; nullopt when it is not
// (entirely) visible there.
std::optional<int> CellMean(const codec::VideoFrame& canvas, const Placement& p,
                            const FractionRect& cell) {
  // The middle half of the cell, in source pixels.
  const double cw = (cell.x1 - cell.x0) * p.source_width;
  const double ch = (cell.y1 - cell.y0) * p.source_height;
  const double sx0 = cell.x0 * p.source_width + cw / 4, sx1 = sx0 + cw / 2;
  const double sy0 = cell.y0 * p.source_height + ch / 4, sy1 = sy0 + ch / 2;
  if (sx0 < p.src.x || sy0 < p.src.y || sx1 > p.src.x + p.src.width ||
      sy1 > p.src.y + p.src.height) {
    return std::nullopt;  // cropped away
  }
  const double kx = static_cast<double>(p.dest.width) / p.src.width;
  const double ky = static_cast<double>(p.dest.height) / p.src.height;
  int x0 = static_cast<int>(std::lround(p.dest.x + (sx0 - p.src.x) * kx));
  int x1 = static_cast<int>(std::lround(p.dest.x + (sx1 - p.src.x) * kx));
  int y0 = static_cast<int>(std::lround(p.dest.y + (sy0 - p.src.y) * ky));
  int y1 = static_cast<int>(std::lround(p.dest.y + (sy1 - p.src.y) * ky));
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  if (x0 < 0 || y0 < 0 || x1 > canvas.width || y1 > canvas.height) return std::nullopt;
  int64_t sum = 0;
  for (int y = y0; y < y1; ++y) {
    const uint8_t* row = canvas.y.data() + static_cast<ptrdiff_t>(y) * canvas.stride_y;
    for (int x = x0; x < x1; ++x) sum += row[x];
  }
  return static_cast<int>(sum / (static_cast<int64_t>(x1 - x0) * (y1 - y0)));
}

}  // namespace

FractionRect FrameCodeQuietZone() { return {0.05, 0.25, 0.95, 0.75}; }

uint32_t ToGray(uint32_t v) { return v ^ (v >> 1); }

uint32_t FromGray(uint32_t g) {
  uint32_t v = g;
  for (uint32_t shift = 1; shift < 32; shift <<= 1) v ^= v >> shift;
  return v;
}

void DrawFrameCode(codec::VideoFrame& picture, uint32_t value) {
  if (picture.width < 64 || picture.height < 36 || !picture.Valid()) return;
  FillRect(picture, FrameCodeQuietZone(), kQuiet);
  const uint32_t gray = ToGray(value % kFrameCodeValues);
  for (int row = 0; row < 2; ++row) {
    for (int bit = 0; bit < kFrameCodeBits; ++bit) {
      const bool one = (gray >> (kFrameCodeBits - 1 - bit)) & 1;
      FillRect(picture, CellRect(row, 2 * bit), one ? kLight : kDark);
      FillRect(picture, CellRect(row, 2 * bit + 1), one ? kDark : kLight);
    }
  }
}

Placement Unscaled(int width, int height) {
  return {width, height, {0, 0, width, height}, {0, 0, width, height}};
}

std::optional<uint32_t> ReadFrameCode(const codec::VideoFrame& canvas, const Placement& where) {
  if (!canvas.Valid() || where.source_width <= 0 || where.source_height <= 0 || where.src.Empty() ||
      where.dest.Empty()) {
    return std::nullopt;
  }
  uint32_t rows[2] = {0, 0};
  for (int row = 0; row < 2; ++row) {
    for (int bit = 0; bit < kFrameCodeBits; ++bit) {
      const auto a = CellMean(canvas, where, CellRect(row, 2 * bit));
      const auto b = CellMean(canvas, where, CellRect(row, 2 * bit + 1));
      if (!a || !b || std::abs(*a - *b) < kMinPairContrast) return std::nullopt;
      rows[row] = (rows[row] << 1) | (*a > *b ? 1u : 0u);
    }
  }
  if (rows[0] != rows[1]) return std::nullopt;
  return FromGray(rows[0]);
}

}  // namespace tessera::loadgen
