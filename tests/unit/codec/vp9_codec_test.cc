// VP9 end to end: the room's encoder through the RFC 9628 packetizer, depacketizer and jitter
// buffer into the decoder; VP9 as other senders send it (profiles 1 and 2); and the size cap on
// frames that change size without a keyframe.
#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/codec/video_encoder.h>
#include <tessera/rtp/depacketizer.h>
#include <tessera/rtp/jitter_buffer.h>
#include <tessera/rtp/packetizer.h>
#include <tessera/rtp/vp9_bitstream.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "codec/video_frame_peek.h"
#include "deps/ffmpeg.h"
#include "unit/codec/video_test_util.h"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace tessera::codec {
namespace {

using rtp::Codec;

TEST(Vp9OverRtp, EncoderPacketizerJitterBufferDecoder) {
  auto enc = CreateVideoEncoder(Codec::kVp9, {.width = 640, .height = 360});
  auto dec = CreateVideoDecoder(Codec::kVp9);
  ASSERT_TRUE(enc.ok() && dec.ok());
  auto packetizer = rtp::CreatePacketizer(Codec::kVp9);
  auto depacketizer = rtp::CreateDepacketizer(Codec::kVp9);
  FakeClock clock;
  rtp::VideoJitterBuffer jitter({}, Codec::kVp9, clock);
  uint16_t seq = 1000;
  int decoded = 0;
  for (int i = 0; i < 30; ++i) {
    const VideoFrame src = testing::MovingPattern(640, 360, i);
    auto pic = (*enc)->Encode(src, i == 20);
    ASSERT_TRUE(pic);
    EXPECT_EQ(pic->keyframe, i == 0 || i == 20) << "frame " << i;
    // The encoder makes profile 0 frames, one per picture, with no superframe index.
    auto header = rtp::vp9::ParseUncompressedHeader(pic->data);
    ASSERT_TRUE(header) << "frame " << i;
    EXPECT_EQ(header->profile, 0);
    EXPECT_EQ(header->keyframe, pic->keyframe);
    EXPECT_EQ(rtp::vp9::SplitSuperframe(pic->data).size(), 1u);

    const auto payloads = packetizer->Packetize(pic->data, pic->keyframe);
    ASSERT_FALSE(payloads.empty());
    std::vector<rtp::EncodedFrame> frames;
    for (size_t k = 0; k < payloads.size(); ++k) {
      EXPECT_LE(payloads[k].size(), rtp::kDefaultMtu - rtp::kRtpOverhead);
      auto payload = depacketizer->Parse(payloads[k]);
      ASSERT_TRUE(payload);
      rtp::JitterPacket packet;
      packet.seq = seq++;
      packet.timestamp = static_cast<uint32_t>(pic->pts_90k);
      packet.marker = k + 1 == payloads.size();
      packet.payload = std::move(*payload);
      packet.arrival_us = clock.NowUs();
      auto result = jitter.Insert(std::move(packet));
      for (auto& f : result.frames) frames.push_back(std::move(f));
    }
    ASSERT_EQ(frames.size(), 1u) << "frame " << i;
    const rtp::EncodedFrame& frame = frames[0];
    EXPECT_EQ(frame.data, pic->data);
    EXPECT_EQ(frame.keyframe, pic->keyframe);
    if (frame.keyframe) {
      EXPECT_EQ(frame.width, 640);
      EXPECT_EQ(frame.height, 360);
    }
    const DecodeResult r = (*dec)->Decode(frame);
    ASSERT_FALSE(r.error) << "frame " << i;
    ASSERT_TRUE(r.picture) << "frame " << i;
    EXPECT_EQ(r.picture.host()->width, 640);
    EXPECT_GE(testing::PsnrY(src, *r.picture.host()), 30.0) << "frame " << i;
    ++decoded;
    clock.AdvanceMs(33);
  }
  EXPECT_EQ(decoded, 30);
}

TEST(Vp9Encoder, ReopensOnABitrateChangeAndKeepsDecoding) {
  auto enc = CreateVideoEncoder(Codec::kVp9, {.width = 320, .height = 180});
  auto dec = CreateVideoDecoder(Codec::kVp9);
  ASSERT_TRUE(enc.ok() && dec.ok());
  for (int i = 0; i < 10; ++i) {
    if (i == 5) (*enc)->SetBitrate(100'000);
    auto pic = (*enc)->Encode(testing::MovingPattern(320, 180, i), false);
    ASSERT_TRUE(pic);
    rtp::EncodedFrame f;
    f.codec = Codec::kVp9;
    f.data = pic->data;
    f.keyframe = pic->keyframe;
    f.rtp_timestamp = static_cast<uint32_t>(pic->pts_90k);
    const DecodeResult r = (*dec)->Decode(f);
    ASSERT_FALSE(r.error) << "frame " << i;
    EXPECT_TRUE(r.picture) << "frame " << i;
  }
}

// `frames` pictures of a flat-chroma gradient encoded by libvpx-vp9 in `pix_fmt` (profile 1 for
// 4:4:4, 2 for 10-bit 4:2:0), as browsers and other senders may send them. Empty when libavcodec
// lacks the encoder or refuses the format.
std::vector<rtp::EncodedFrame> EncodeLibvpxVp9(AVPixelFormat pix_fmt, int w, int h, int frames) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libvpx-vp9");
  if (!codec) return {};
  deps::AvCodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return {};
  ctx->width = w;
  ctx->height = h;
  ctx->pix_fmt = pix_fmt;
  ctx->time_base = AVRational{1, 30};
  ctx->framerate = AVRational{30, 1};
  ctx->bit_rate = 500'000;
  ctx->thread_count = 1;
  av_opt_set(ctx->priv_data, "deadline", "realtime", 0);
  av_opt_set_int(ctx->priv_data, "cpu-used", 8, 0);
  av_opt_set_int(ctx->priv_data, "lag-in-frames", 0, 0);
  if (avcodec_open2(ctx.get(), codec, nullptr) < 0) return {};
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(pix_fmt);
  const int depth = d->comp[0].depth;
  deps::AvFramePtr frame(av_frame_alloc());
  deps::AvPacketPtr packet(av_packet_alloc());
  if (!frame || !packet) return {};
  frame->format = pix_fmt;
  frame->width = w;
  frame->height = h;
  if (av_frame_get_buffer(frame.get(), 0) < 0) return {};
  std::vector<rtp::EncodedFrame> out;
  for (int i = 0; i < frames; ++i) {
    if (av_frame_make_writable(frame.get()) < 0) return {};
    for (int p = 0; p < 3; ++p) {
      const int pw = p == 0 ? w : AV_CEIL_RSHIFT(w, d->log2_chroma_w);
      const int ph = p == 0 ? h : AV_CEIL_RSHIFT(h, d->log2_chroma_h);
      for (int y = 0; y < ph; ++y) {
        uint8_t* row = frame->data[p] + static_cast<ptrdiff_t>(y) * frame->linesize[p];
        for (int x = 0; x < pw; ++x) {
          const int level = p == 0 ? 32 + (x + 2 * y + 3 * i) % 160 : p == 1 ? 90 : 200;
          if (depth > 8) {
            const auto v = static_cast<uint16_t>(level << (depth - 8));
            std::memcpy(row + 2 * static_cast<size_t>(x), &v, sizeof(v));
          } else {
            row[x] = static_cast<uint8_t>(level);
          }
        }
      }
    }
    frame->pts = i;
    if (avcodec_send_frame(ctx.get(), frame.get()) < 0) return {};
    while (avcodec_receive_packet(ctx.get(), packet.get()) == 0) {
      rtp::EncodedFrame f;
      f.codec = Codec::kVp9;
      f.data.assign(packet->data, packet->data + packet->size);
      f.keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
      f.rtp_timestamp = static_cast<uint32_t>(packet->pts * 3000);
      out.push_back(std::move(f));
      av_packet_unref(packet.get());
    }
  }
  return out;
}

TEST(Vp9Decoder, ConvertsProfiles1And2ToI420) {
  struct Case {
    AVPixelFormat pix_fmt;
    uint8_t profile;
  };
  for (const Case c : {Case{AV_PIX_FMT_YUV444P, 1}, Case{AV_PIX_FMT_YUV420P10LE, 2}}) {
    const auto frames = EncodeLibvpxVp9(c.pix_fmt, 160, 96, 5);
    if (frames.empty()) {
      GTEST_SKIP() << "libvpx-vp9 does not encode " << av_get_pix_fmt_name(c.pix_fmt);
    }
    auto dec = CreateVideoDecoder(Codec::kVp9);
    ASSERT_TRUE(dec.ok());
    for (size_t i = 0; i < frames.size(); ++i) {
      auto header = rtp::vp9::ParseUncompressedHeader(frames[i].data);
      ASSERT_TRUE(header);
      EXPECT_EQ(header->profile, c.profile);
      const DecodeResult r = (*dec)->Decode(frames[i]);
      ASSERT_FALSE(r.error) << av_get_pix_fmt_name(c.pix_fmt) << " frame " << i;
      ASSERT_TRUE(r.picture);
      EXPECT_EQ(r.picture.host()->width, 160);
      EXPECT_EQ(r.picture.host()->height, 96);
      // The flat chroma survives the conversion (8-bit levels 90 and 200).
      EXPECT_NEAR(r.picture.host()->u[0], 90, 3);
      EXPECT_NEAR(r.picture.host()->v[0], 200, 3);
    }
    EXPECT_EQ((*dec)->stats().bad_format, 0u);
  }
}

// An inter frame may code a new size without being a keyframe: the size cap reads it.
TEST(Vp9Decoder, SizeCapCoversInterFramesThatChangeSize) {
  const std::vector<uint8_t> resized = {0x87, 0x01, 0x02, 0x40, 0x1d, 0xfe, 0x10, 0xde};
  EXPECT_EQ(PeekVp9(resized).width, 3840);
  EXPECT_EQ(PeekVp9(resized).height, 2160);
  auto dec = CreateVideoDecoder(Codec::kVp9);
  ASSERT_TRUE(dec.ok());
  rtp::EncodedFrame f;
  f.codec = Codec::kVp9;
  f.data = resized;
  const DecodeResult r = (*dec)->Decode(f);
  EXPECT_TRUE(r.error);
  EXPECT_TRUE(r.keyframe_needed);
  EXPECT_EQ((*dec)->stats().too_large, 1u);

  // Inside a superframe, behind a small frame, it counts the same.
  const std::vector<uint8_t> small = {0x82, 0x49, 0x83, 0x42, 0x00, 0x13, 0xf0, 0x0e, 0xf6, 0x06};
  const std::span<const uint8_t> parts[] = {small, resized};
  auto joined = rtp::vp9::JoinSuperframe(parts);
  ASSERT_TRUE(joined);
  EXPECT_EQ(PeekVp9(*joined).width, 3840);
  EXPECT_EQ(PeekVideoFrame(Codec::kVp9, *joined).height, 2160);
}

}  // namespace
}  // namespace tessera::codec
