// H.264 streams as other senders make them, for the decoder tests: libx264 (through libavcodec)
// in any profile, chroma format and bit depth, with or without B-frames. The MCU's own encoder
// (VideoEncoder) makes constrained baseline only.
#pragma once

#include <tessera/rtp/encoded_frame.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "deps/ffmpeg.h"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace tessera::codec::testing {

struct X264Stream {
  std::string encoder = "libx264";  // libx264rgb for an RGB stream
  AVPixelFormat pix_fmt = AV_PIX_FMT_YUV420P;
  // Empty: x264 picks it from the format (High 10, High 4:2:2, High 4:4:4 Predictive).
  std::string profile;
  int b_frames = 0;  // B-frames between references; 0 also tunes for zero latency
  int gop = 250;
  int width = 160;
  int height = 96;
  // Flat chroma of every picture (8-bit levels).
  uint8_t u = 90;
  uint8_t v = 200;
};

// The luma (8-bit level) of picture `index` at (x, y): a gradient moving with the index.
inline uint8_t X264Luma(int x, int y, int index) {
  return static_cast<uint8_t>(32 + (x + 2 * y + 3 * index) % 160);
}

// Writes `level` (8-bit) as a sample of `depth` bits at sample x of a row.
inline void PutSample(uint8_t* row, int x, int depth, uint8_t level) {
  if (depth <= 8) {
    row[x] = level;
    return;
  }
  const auto v = static_cast<uint16_t>(level << (depth - 8));
  std::memcpy(row + 2 * static_cast<size_t>(x), &v, sizeof(v));
}

// `frames` pictures encoded as `s` says: the access units (Annex B) in decode order, keyframes as
// libx264 flags them, rtp_timestamp 3000 per picture in presentation order (30 fps), so with
// B-frames the timestamps go back and forth. Empty when libavcodec lacks the encoder or it
// refuses the settings (a libx264 without high bit depth).
inline std::vector<rtp::EncodedFrame> EncodeX264(const X264Stream& s, int frames) {
  const AVCodec* codec = avcodec_find_encoder_by_name(s.encoder.c_str());
  if (!codec) return {};
  deps::AvCodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return {};
  ctx->width = s.width;
  ctx->height = s.height;
  ctx->pix_fmt = s.pix_fmt;
  ctx->time_base = AVRational{1, 30};
  ctx->framerate = AVRational{30, 1};
  ctx->gop_size = s.gop;
  ctx->max_b_frames = s.b_frames;
  ctx->thread_count = 1;
  av_opt_set(ctx->priv_data, "preset", "veryfast", 0);
  av_opt_set(ctx->priv_data, "crf", "18", 0);
  if (s.b_frames == 0) av_opt_set(ctx->priv_data, "tune", "zerolatency", 0);
  if (!s.profile.empty()) av_opt_set(ctx->priv_data, "profile", s.profile.c_str(), 0);
  if (avcodec_open2(ctx.get(), codec, nullptr) < 0) return {};

  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(s.pix_fmt);
  const int depth = d->comp[0].depth;
  const bool planar = (d->flags & AV_PIX_FMT_FLAG_PLANAR) || d->nb_components == 1;
  const int planes = planar ? (d->nb_components >= 3 ? 3 : 1) : 1;
  deps::AvFramePtr frame(av_frame_alloc());
  deps::AvPacketPtr packet(av_packet_alloc());
  if (!frame || !packet) return {};
  frame->format = s.pix_fmt;
  frame->width = s.width;
  frame->height = s.height;
  if (av_frame_get_buffer(frame.get(), 0) < 0) return {};

  std::vector<rtp::EncodedFrame> out;
  const auto drain = [&]() {
    for (;;) {
      const int got = avcodec_receive_packet(ctx.get(), packet.get());
      if (got == AVERROR(EAGAIN) || got == AVERROR_EOF) return true;
      if (got < 0) return false;
      rtp::EncodedFrame f;
      f.codec = rtp::Codec::kH264;
      f.data.assign(packet->data, packet->data + packet->size);
      f.keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
      f.rtp_timestamp = static_cast<uint32_t>(packet->pts * 3000);
      out.push_back(std::move(f));
      av_packet_unref(packet.get());
    }
  };
  for (int i = 0; i < frames; ++i) {
    if (av_frame_make_writable(frame.get()) < 0) return {};
    for (int p = 0; p < planes; ++p) {
      const int pw = p == 0 ? s.width : AV_CEIL_RSHIFT(s.width, d->log2_chroma_w);
      const int ph = p == 0 ? s.height : AV_CEIL_RSHIFT(s.height, d->log2_chroma_h);
      for (int y = 0; y < ph; ++y) {
        uint8_t* row = frame->data[p] + static_cast<ptrdiff_t>(y) * frame->linesize[p];
        if (!planar) {  // packed RGB: a grey gradient
          for (int x = 0; x < pw; ++x) {
            for (int c = 0; c < d->comp[0].step; ++c) {
              row[x * d->comp[0].step + c] = X264Luma(x, y, i);
            }
          }
          continue;
        }
        for (int x = 0; x < pw; ++x) {
          PutSample(row, x, depth, p == 0 ? X264Luma(x, y, i) : p == 1 ? s.u : s.v);
        }
      }
    }
    frame->pts = i;
    if (avcodec_send_frame(ctx.get(), frame.get()) < 0 || !drain()) return {};
  }
  if (avcodec_send_frame(ctx.get(), nullptr) < 0 || !drain()) return {};
  return out;
}

}  // namespace tessera::codec::testing
