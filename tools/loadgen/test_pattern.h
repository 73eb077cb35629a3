// The load generator's input pictures: a moving pattern (so the encoder works as it does for a
// camera) with the frame code in the middle.
#pragma once

#include <tessera/codec/video_frame.h>

#include <cstdint>

namespace tessera::loadgen {

// Picture `index` of the pattern, width x height (even, at least 64x36), with `index` drawn as the
// frame code and pts_90k = index * 90000 / fps.
codec::VideoFrame MakeTestPicture(int width, int height, int fps, uint32_t index);

}  // namespace tessera::loadgen
