// NV12 <-> I420 plane conversions on host memory: the CPU side of a device picture's download
// (one per composed canvas) and upload (tests and benches).
#pragma once

#include <tessera/codec/video_frame.h>

#include <cstdint>

namespace tessera::codec {

// Fills `out` (already out.width x out.height, Valid()) from an NV12 picture of the same size:
// the Y plane as is, the UV plane's interleaved pairs split into U and V. Pitches are in bytes,
// at least the width (rounded up to even for the UV plane).
void Nv12ToI420(const uint8_t* y, int pitch_y, const uint8_t* uv, int pitch_uv, VideoFrame& out);

// The reverse: writes `in` (Valid()) as NV12 into planes of its size.
void I420ToNv12(const VideoFrame& in, uint8_t* y, int pitch_y, uint8_t* uv, int pitch_uv);
// The top-left width x height of `in` (at most its size).
void I420ToNv12(const VideoFrame& in, int width, int height, uint8_t* y, int pitch_y, uint8_t* uv,
                int pitch_uv);

}  // namespace tessera::codec
