#include "codec/planar_yuv.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

#include "deps/ffmpeg.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace tessera::codec {
namespace {

// Planes of w x h with the given subsampling and depth, rows padded to `pad` extra samples; each
// sample is value(plane, x, y).
struct Planes {
  template <typename Fn>
  Planes(int w, int h, int log2_w, int log2_h, int depth, int pad, Fn value, bool mono = false) {
    const int bytes = depth > 8 ? 2 : 1;
    in.width = w;
    in.height = h;
    in.log2_chroma_w = log2_w;
    in.log2_chroma_h = log2_h;
    in.bit_depth = depth;
    for (int p = 0; p < (mono ? 1 : 3); ++p) {
      const int pw = p == 0 ? w : (w + (1 << log2_w) - 1) >> log2_w;
      const int ph = p == 0 ? h : (h + (1 << log2_h) - 1) >> log2_h;
      in.linesize[p] = (pw + pad) * bytes;
      data[p].assign(static_cast<size_t>(in.linesize[p]) * ph, 0xAB);
      for (int y = 0; y < ph; ++y) {
        for (int x = 0; x < pw; ++x) {
          const auto v = static_cast<uint16_t>(value(p, x, y));
          uint8_t* at = data[p].data() + static_cast<size_t>(y) * in.linesize[p] + x * bytes;
          if (bytes == 1) {
            *at = static_cast<uint8_t>(v);
          } else {
            std::memcpy(at, &v, sizeof(v));
          }
        }
      }
      in.data[p] = data[p].data();
    }
  }
  PlanarYuv in;
  std::vector<uint8_t> data[3];
};

uint8_t At(const std::vector<uint8_t>& plane, int stride, int x, int y) {
  return plane[static_cast<size_t>(y) * stride + x];
}

TEST(PlanarYuvToI420, Copies8Bit420Unchanged) {
  const auto value = [](int p, int x, int y) { return (p * 70 + x * 3 + y * 5) % 256; };
  Planes src(33, 17, 1, 1, 8, 7, value);
  auto out = PlanarYuvToI420(src.in);
  ASSERT_TRUE(out);
  ASSERT_TRUE(out->Valid());
  EXPECT_EQ(out->width, 33);
  EXPECT_EQ(out->height, 17);
  for (int y = 0; y < 17; ++y) {
    for (int x = 0; x < 33; ++x) EXPECT_EQ(At(out->y, out->stride_y, x, y), value(0, x, y));
  }
  for (int y = 0; y < 9; ++y) {
    for (int x = 0; x < 17; ++x) {
      EXPECT_EQ(At(out->u, out->stride_u, x, y), value(1, x, y));
      EXPECT_EQ(At(out->v, out->stride_v, x, y), value(2, x, y));
    }
  }
}

TEST(PlanarYuvToI420, Averages444ChromaOverEach2x2BlockAndKeepsLuma) {
  // U counts up by column, V by row: the means of 2x2 blocks are exact halves.
  const auto value = [](int p, int x, int y) {
    return p == 0 ? 16 + x + y : p == 1 ? 10 * x : 7 * y;
  };
  Planes src(6, 4, 0, 0, 8, 3, value);
  auto out = PlanarYuvToI420(src.in);
  ASSERT_TRUE(out);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 6; ++x) EXPECT_EQ(At(out->y, out->stride_y, x, y), 16 + x + y);
  }
  for (int cy = 0; cy < 2; ++cy) {
    for (int cx = 0; cx < 3; ++cx) {
      // (10 * 2cx + 10 * (2cx + 1)) / 2 = 20cx + 5; (7 * 2cy + 7 * (2cy + 1)) / 2 = 14cy + 3.5.
      EXPECT_EQ(At(out->u, out->stride_u, cx, cy), 20 * cx + 5);
      EXPECT_EQ(At(out->v, out->stride_v, cx, cy), 14 * cy + 4) << "rounds half up";
    }
  }
}

TEST(PlanarYuvToI420, OddSizesUseTheLastColumnAndRowAtTheEdge) {
  const auto value = [](int p, int x, int y) { return p == 0 ? 100 : p == 1 ? 40 * x : 40 * y; };
  Planes src(3, 3, 0, 0, 8, 0, value);
  auto out = PlanarYuvToI420(src.in);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->ChromaWidth(), 2);
  ASSERT_EQ(out->ChromaHeight(), 2);
  EXPECT_EQ(At(out->u, out->stride_u, 0, 0), 20);  // columns 0 and 1
  EXPECT_EQ(At(out->u, out->stride_u, 1, 0), 80);  // column 2 alone
  EXPECT_EQ(At(out->v, out->stride_v, 0, 1), 80);  // row 2 alone
}

TEST(PlanarYuvToI420, Averages422ChromaOverTwoRows) {
  const auto value = [](int p, int x, int y) { return p == 0 ? 50 : p == 1 ? 10 * y + x : 200; };
  Planes src(8, 4, 1, 0, 8, 5, value);
  auto out = PlanarYuvToI420(src.in);
  ASSERT_TRUE(out);
  for (int cy = 0; cy < 2; ++cy) {
    for (int cx = 0; cx < 4; ++cx) {
      // Rows 2cy and 2cy + 1 of the 4:2:2 plane: (20cy + cx + 20cy + 10 + cx) / 2.
      EXPECT_EQ(At(out->u, out->stride_u, cx, cy), 20 * cy + cx + 5);
      EXPECT_EQ(At(out->v, out->stride_v, cx, cy), 200);
    }
  }
}

TEST(PlanarYuvToI420, Rounds10BitSamplesTo8Bits) {
  // Limited-range black, white and mid-grey at 10 bits (64, 940, 512), and the top code.
  const int luma[4] = {64, 940, 512, 1023};
  const auto value = [&](int p, int x, int y) {
    return p == 0 ? luma[x % 4] : p == 1 ? 512 : 2 + 4 * y;
  };
  Planes src(4, 2, 1, 1, 10, 2, value);
  auto out = PlanarYuvToI420(src.in);
  ASSERT_TRUE(out);
  EXPECT_EQ(At(out->y, out->stride_y, 0, 0), 16);
  EXPECT_EQ(At(out->y, out->stride_y, 1, 0), 235);
  EXPECT_EQ(At(out->y, out->stride_y, 2, 1), 128);
  EXPECT_EQ(At(out->y, out->stride_y, 3, 1), 255);
  EXPECT_EQ(At(out->u, out->stride_u, 0, 0), 128);
  EXPECT_EQ(At(out->v, out->stride_v, 1, 0), 1);  // 2 / 4 rounds to 1
}

TEST(PlanarYuvToI420, HighBitDepth444IsAveragedAndRounded) {
  const auto value = [](int p, int x, int y) {
    return p == 0 ? 4 * (x + y) : p == 1 ? 1023 : 4 * x + y;
  };
  Planes src(2, 2, 0, 0, 10, 0, value);
  auto out = PlanarYuvToI420(src.in);
  ASSERT_TRUE(out);
  EXPECT_EQ(At(out->u, out->stride_u, 0, 0), 255);  // 1023 rounds up to 256: clamped
  // (0 + 4 + 1 + 5) / 4 / 4 = 0.625 -> 1.
  EXPECT_EQ(At(out->v, out->stride_v, 0, 0), 1);
}

TEST(PlanarYuvToI420, MonochromeGetsMidGreyChroma) {
  const auto value = [](int, int x, int) { return 30 + x; };
  Planes src(5, 3, 1, 1, 8, 1, value, /*mono=*/true);
  auto out = PlanarYuvToI420(src.in);
  ASSERT_TRUE(out);
  EXPECT_EQ(At(out->y, out->stride_y, 4, 2), 34);
  for (uint8_t c : out->u) EXPECT_EQ(c, 128);
  for (uint8_t c : out->v) EXPECT_EQ(c, 128);
}

TEST(PlanarYuvToI420, RefusesDescriptionsOutOfRange) {
  const auto value = [](int, int, int) { return 1; };
  Planes src(8, 8, 1, 1, 8, 0, value);
  ASSERT_TRUE(PlanarYuvToI420(src.in));
  const auto refused = [&](auto change) {
    PlanarYuv in = src.in;
    change(in);
    return !PlanarYuvToI420(in).has_value();
  };
  EXPECT_TRUE(refused([](PlanarYuv& p) { p.width = 0; }));
  EXPECT_TRUE(refused([](PlanarYuv& p) { p.height = -2; }));
  EXPECT_TRUE(refused([](PlanarYuv& p) { p.width = kMaxPlanarYuvSize + 1; }));
  EXPECT_TRUE(refused([](PlanarYuv& p) { p.bit_depth = 7; }));
  EXPECT_TRUE(refused([](PlanarYuv& p) { p.bit_depth = 17; }));
  EXPECT_TRUE(refused([](PlanarYuv& p) { p.log2_chroma_w = 2; }));
  EXPECT_TRUE(refused([](PlanarYuv& p) { p.data[0] = nullptr; }));
  EXPECT_TRUE(refused([](PlanarYuv& p) { p.data[2] = nullptr; }));  // U without V
  EXPECT_TRUE(refused([](PlanarYuv& p) { p.linesize[0] = 7; }));    // shorter than a row
  EXPECT_TRUE(refused([](PlanarYuv& p) { p.linesize[1] = 3; }));
  EXPECT_TRUE(refused([](PlanarYuv& p) { p.bit_depth = 10; }));  // rows of 8 bytes hold 4 words
}

// An allocated AVFrame of a pixel format.
deps::AvFramePtr Frame(AVPixelFormat format, int w = 16, int h = 8) {
  deps::AvFramePtr f(av_frame_alloc());
  f->format = format;
  f->width = w;
  f->height = h;
  EXPECT_EQ(av_frame_get_buffer(f.get(), 0), 0) << av_get_pix_fmt_name(format);
  return f;
}

TEST(DescribePlanarYuv, TakesTheFormatsLibavcodecsH264DecoderGives) {
  struct Case {
    AVPixelFormat format;
    int log2_w, log2_h, depth;
    bool mono;
  };
  for (const Case& c :
       {Case{AV_PIX_FMT_YUV420P, 1, 1, 8, false}, Case{AV_PIX_FMT_YUVJ420P, 1, 1, 8, false},
        Case{AV_PIX_FMT_YUV422P, 1, 0, 8, false}, Case{AV_PIX_FMT_YUVJ422P, 1, 0, 8, false},
        Case{AV_PIX_FMT_YUV444P, 0, 0, 8, false}, Case{AV_PIX_FMT_YUVJ444P, 0, 0, 8, false},
        Case{AV_PIX_FMT_YUV420P10, 1, 1, 10, false}, Case{AV_PIX_FMT_YUV422P10, 1, 0, 10, false},
        Case{AV_PIX_FMT_YUV444P10, 0, 0, 10, false}, Case{AV_PIX_FMT_YUV444P14, 0, 0, 14, false},
        Case{AV_PIX_FMT_GRAY8, 1, 1, 8, true}, Case{AV_PIX_FMT_GRAY10, 1, 1, 10, true}}) {
    auto f = Frame(c.format);
    auto d = DescribePlanarYuv(*f);
    ASSERT_TRUE(d) << av_get_pix_fmt_name(c.format);
    EXPECT_EQ(d->width, 16);
    EXPECT_EQ(d->height, 8);
    EXPECT_EQ(d->log2_chroma_w, c.log2_w) << av_get_pix_fmt_name(c.format);
    EXPECT_EQ(d->log2_chroma_h, c.log2_h) << av_get_pix_fmt_name(c.format);
    EXPECT_EQ(d->bit_depth, c.depth) << av_get_pix_fmt_name(c.format);
    EXPECT_EQ(d->data[1] == nullptr, c.mono) << av_get_pix_fmt_name(c.format);
    EXPECT_TRUE(PlanarYuvToI420(*d)) << av_get_pix_fmt_name(c.format);
  }
}

TEST(DescribePlanarYuv, RefusesRgbPackedSemiPlanarAndForeignByteOrder) {
  const AVPixelFormat foreign =
      std::endian::native == std::endian::little ? AV_PIX_FMT_YUV420P10BE : AV_PIX_FMT_YUV420P10LE;
  for (AVPixelFormat format :
       {AV_PIX_FMT_GBRP, AV_PIX_FMT_GBRP10, AV_PIX_FMT_RGB24, AV_PIX_FMT_NV12, AV_PIX_FMT_YUYV422,
        AV_PIX_FMT_YUV410P, AV_PIX_FMT_YA8, foreign}) {
    auto f = Frame(format);
    EXPECT_FALSE(DescribePlanarYuv(*f)) << av_get_pix_fmt_name(format);
  }
  deps::AvFramePtr unknown(av_frame_alloc());
  unknown->format = AV_PIX_FMT_NONE;
  EXPECT_FALSE(DescribePlanarYuv(*unknown));
}

}  // namespace
}  // namespace tessera::codec
