// Planar YUV pictures of any chroma subsampling and bit depth to 8-bit I420, on host memory: what
// the CPU decoder makes of H.264 streams that are not 8-bit 4:2:0 (High 4:2:2, High 4:4:4
// Predictive, High 10, monochrome High), since libswscale is not linked. GStreamer's x264enc fed
// by videotestsrc, for one, negotiates Y444 and sends High 4:4:4 Predictive.
#pragma once

#include <tessera/codec/video_frame.h>

#include <cstdint>
#include <optional>

struct AVFrame;

namespace tessera::codec {

// Largest width or height PlanarYuvToI420 takes (the decoders' size cap is at most this).
inline constexpr int kMaxPlanarYuvSize = 16384;

// One picture's planes as a decoder left them.
struct PlanarYuv {
  int width = 0;
  int height = 0;
  // Y, U (Cb), V (Cr). U and V are null for a monochrome (4:0:0) picture.
  const uint8_t* data[3] = {nullptr, nullptr, nullptr};
  int linesize[3] = {0, 0, 0};  // bytes from one row to the next
  // Chroma subsampling: 4:2:0 is 1, 1; 4:2:2 is 1, 0; 4:4:4 is 0, 0.
  int log2_chroma_w = 1;
  int log2_chroma_h = 1;
  // Bits per sample, 8 to 16. Above 8, each sample is a native-endian 16-bit word.
  int bit_depth = 8;
};

// The picture as an 8-bit I420 frame of the same size: luma as is (above 8 bits rounded to the 8
// most significant), chroma averaged over the two or four samples that cover each 2x2 block of
// luma, mid-grey chroma for monochrome. 8-bit 4:2:0 is copied unchanged. nullopt when `in` is
// out of range (size, depth, subsampling, a missing plane).
std::optional<VideoFrame> PlanarYuvToI420(const PlanarYuv& in);

// `frame`'s planes when its format is one PlanarYuvToI420 takes: planar Y'CbCr or grey, limited
// or full range, 8 to 16 bits in native byte order, chroma subsampled by at most 2 in each
// direction (libavcodec's yuv420p, yuvj422p, yuv444p10le, gray, ...). nullopt for anything else
// (RGB as gbrp, packed, paletted, hardware, big-endian on a little-endian host).
std::optional<PlanarYuv> DescribePlanarYuv(const AVFrame& frame);

}  // namespace tessera::codec
