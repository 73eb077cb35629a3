// The frame code: a frame index drawn into a picture as a bar code that survives lossy encoding,
// scaling into a composite tile and a second encode, so the load generator can tell which input
// frame a composite shows.
//
// The index (kFrameCodeBits bits, Gray-coded: consecutive indices differ in one bit) is drawn
// twice, in two rows of Manchester pairs (bit 1: light cell then dark cell; 0: dark then light)
// in the middle of the picture, on a grey quiet zone. A reader compares the two cells of each
// pair, so it needs no absolute threshold; a pair without enough contrast, or rows that disagree,
// make the reading invalid rather than wrong.
#pragma once

#include <tessera/codec/video_frame.h>
#include <tessera/mixer/layout.h>

#include <cstdint>
#include <optional>

namespace tessera::loadgen {

inline constexpr int kFrameCodeBits = 10;
inline constexpr uint32_t kFrameCodeValues = 1u << kFrameCodeBits;
// Least luma difference between the two cells of a pair for a reading to count.
inline constexpr int kMinPairContrast = 24;

// Where the code's area lies, in fractions of the picture (the quiet zone around the cells).
struct FractionRect {
  double x0 = 0;
  double y0 = 0;
  double x1 = 0;
  double y1 = 0;
};
FractionRect FrameCodeQuietZone();

// Draws `value % kFrameCodeValues` into the picture (luma and chroma of the code's area). Pictures
// smaller than 64x36 are left unchanged.
void DrawFrameCode(codec::VideoFrame& picture, uint32_t value);

// How a source picture of source_width x source_height landed on a canvas: its rect `src` (source
// pixels) was scaled onto `dest` (canvas pixels), as mixer::Tile says.
struct Placement {
  int source_width = 0;
  int source_height = 0;
  mixer::Rect src;
  mixer::Rect dest;
};

// The whole picture drawn 1:1 at the canvas origin.
Placement Unscaled(int width, int height);

// Reads the code of the picture placed at `where` on `canvas`. nullopt when a cell lies outside
// the canvas or the visible part of the source, a pair lacks contrast, or the rows disagree.
std::optional<uint32_t> ReadFrameCode(const codec::VideoFrame& canvas, const Placement& where);

// Gray code and back (exposed for tests).
uint32_t ToGray(uint32_t v);
uint32_t FromGray(uint32_t g);

}  // namespace tessera::loadgen
