#include "codec/planar_yuv.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
}

namespace tessera::codec {
namespace {

// Sample x of a row of kBytes-byte samples.
template <int kBytes>
uint32_t Sample(const uint8_t* row, int x) {
  if constexpr (kBytes == 1) {
    return row[x];
  } else {
    uint16_t v;
    std::memcpy(&v, row + 2 * static_cast<size_t>(x), sizeof(v));
    return v;
  }
}

// `sum` of 2^log2_count samples of `depth` bits as one 8-bit sample, rounded to nearest.
uint8_t To8Bits(uint32_t sum, int log2_count, int depth) {
  const int shift = log2_count + depth - 8;
  const uint32_t v = shift > 0 ? (sum + (uint32_t{1} << (shift - 1))) >> shift : sum;
  return static_cast<uint8_t>(std::min<uint32_t>(v, 255));
}

const uint8_t* Row(const PlanarYuv& in, int plane, int y) {
  return in.data[plane] + static_cast<ptrdiff_t>(y) * in.linesize[plane];
}

template <int kBytes>
void ConvertLuma(const PlanarYuv& in, VideoFrame& out) {
  for (int y = 0; y < in.height; ++y) {
    const uint8_t* src = Row(in, 0, y);
    uint8_t* dst = out.y.data() + static_cast<size_t>(y) * out.stride_y;
    if constexpr (kBytes == 1) {
      std::memcpy(dst, src, static_cast<size_t>(in.width));
    } else {
      for (int x = 0; x < in.width; ++x) dst[x] = To8Bits(Sample<2>(src, x), 0, in.bit_depth);
    }
  }
}

// Each I420 chroma sample covers luma (2x..2x+1, 2y..2y+1): the mean of the source chroma
// samples there (one for 4:2:0, two for 4:2:2, four for 4:4:4; at an odd right or bottom edge
// the last column or row counts twice).
template <int kBytes>
void ConvertChroma(const PlanarYuv& in, int plane, uint8_t* dst_plane, int dst_stride, int cw,
                   int ch) {
  const int src_w = (in.width + (1 << in.log2_chroma_w) - 1) >> in.log2_chroma_w;
  const int src_h = (in.height + (1 << in.log2_chroma_h) - 1) >> in.log2_chroma_h;
  for (int cy = 0; cy < ch; ++cy) {
    const uint8_t* r0 = Row(in, plane, std::min((2 * cy) >> in.log2_chroma_h, src_h - 1));
    const uint8_t* r1 = Row(in, plane, std::min((2 * cy + 1) >> in.log2_chroma_h, src_h - 1));
    uint8_t* dst = dst_plane + static_cast<size_t>(cy) * dst_stride;
    for (int cx = 0; cx < cw; ++cx) {
      const int x0 = std::min((2 * cx) >> in.log2_chroma_w, src_w - 1);
      const int x1 = std::min((2 * cx + 1) >> in.log2_chroma_w, src_w - 1);
      const uint32_t sum = Sample<kBytes>(r0, x0) + Sample<kBytes>(r0, x1) +
                           Sample<kBytes>(r1, x0) + Sample<kBytes>(r1, x1);
      dst[cx] = To8Bits(sum, 2, in.bit_depth);
    }
  }
}

template <int kBytes>
void Convert(const PlanarYuv& in, bool monochrome, VideoFrame& out) {
  ConvertLuma<kBytes>(in, out);
  if (monochrome) return;  // VideoFrame::Make's chroma is mid-grey already
  const int cw = out.ChromaWidth();
  const int ch = out.ChromaHeight();
  if (kBytes == 1 && in.log2_chroma_w == 1 && in.log2_chroma_h == 1) {
    for (int cy = 0; cy < ch; ++cy) {
      std::memcpy(out.u.data() + static_cast<size_t>(cy) * out.stride_u, Row(in, 1, cy),
                  static_cast<size_t>(cw));
      std::memcpy(out.v.data() + static_cast<size_t>(cy) * out.stride_v, Row(in, 2, cy),
                  static_cast<size_t>(cw));
    }
    return;
  }
  ConvertChroma<kBytes>(in, 1, out.u.data(), out.stride_u, cw, ch);
  ConvertChroma<kBytes>(in, 2, out.v.data(), out.stride_v, cw, ch);
}

}  // namespace

std::optional<VideoFrame> PlanarYuvToI420(const PlanarYuv& in) {
  if (in.width <= 0 || in.height <= 0 || in.width > kMaxPlanarYuvSize ||
      in.height > kMaxPlanarYuvSize || in.bit_depth < 8 || in.bit_depth > 16 ||
      in.log2_chroma_w < 0 || in.log2_chroma_w > 1 || in.log2_chroma_h < 0 ||
      in.log2_chroma_h > 1 || !in.data[0]) {
    return std::nullopt;
  }
  const bool monochrome = !in.data[1] && !in.data[2];
  if (!monochrome && (!in.data[1] || !in.data[2])) return std::nullopt;
  const int bytes = in.bit_depth > 8 ? 2 : 1;
  // Rows must hold the samples read from them.
  if (in.linesize[0] < in.width * bytes) return std::nullopt;
  if (!monochrome) {
    const int src_cw = (in.width + (1 << in.log2_chroma_w) - 1) >> in.log2_chroma_w;
    if (in.linesize[1] < src_cw * bytes || in.linesize[2] < src_cw * bytes) return std::nullopt;
  }
  VideoFrame out = VideoFrame::Make(in.width, in.height);
  if (bytes == 1) {
    Convert<1>(in, monochrome, out);
  } else {
    Convert<2>(in, monochrome, out);
  }
  return out;
}

std::optional<PlanarYuv> DescribePlanarYuv(const AVFrame& frame) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(frame.format));
  if (!d) return std::nullopt;
  constexpr uint64_t kRefused = AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM |
                                AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_RGB |
                                AV_PIX_FMT_FLAG_BAYER | AV_PIX_FMT_FLAG_FLOAT;
  if (d->flags & kRefused) return std::nullopt;
  // Grey (one component), or Y'CbCr in three planes with any alpha plane after them.
  const bool monochrome = d->nb_components == 1;
  if (!monochrome && !(d->nb_components >= 3 && (d->flags & AV_PIX_FMT_FLAG_PLANAR))) {
    return std::nullopt;
  }
  const int depth = d->comp[0].depth;
  if (depth < 8 || depth > 16) return std::nullopt;
  const int bytes = depth > 8 ? 2 : 1;
  if (bytes == 2 &&
      ((d->flags & AV_PIX_FMT_FLAG_BE) != 0) != (std::endian::native == std::endian::big)) {
    return std::nullopt;
  }
  const int planes = monochrome ? 1 : 3;
  for (int c = 0; c < planes; ++c) {
    const AVComponentDescriptor& comp = d->comp[c];
    if (comp.plane != c || comp.step != bytes || comp.offset != 0 || comp.shift != 0 ||
        comp.depth != depth || !frame.data[c]) {
      return std::nullopt;
    }
  }
  if (d->log2_chroma_w > 1 || d->log2_chroma_h > 1) return std::nullopt;
  PlanarYuv out;
  out.width = frame.width;
  out.height = frame.height;
  for (int c = 0; c < planes; ++c) {
    out.data[c] = frame.data[c];
    out.linesize[c] = frame.linesize[c];
  }
  out.log2_chroma_w = monochrome ? 1 : d->log2_chroma_w;
  out.log2_chroma_h = monochrome ? 1 : d->log2_chroma_h;
  out.bit_depth = depth;
  return out;
}

}  // namespace tessera::codec
