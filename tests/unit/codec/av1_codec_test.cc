// AV1 from cameras: libdav1d through libavcodec on temporal units as the RTP payload format's
// depacketizer and AssembleFrame give them, the size cap from the sequence header, and (where
// libavcodec has an AV1 encoder) a camera's stream end to end through RTP.
#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <tessera/codec/codec_factory.h>
#include <tessera/codec/hw_device.h>
#include <tessera/codec/hw_video_decoder.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/rtp/av1_bitstream.h>
#include <tessera/rtp/depacketizer.h>
#include <tessera/rtp/jitter_buffer.h>
#include <tessera/rtp/packetizer.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "codec/video_frame_peek.h"
#include "deps/ffmpeg.h"
#include "unit/codec/video_test_util.h"
#include "unit/rtp/av1_test_data.h"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace tessera::codec {
namespace {

using rtp::Codec;

rtp::EncodedFrame Av1Frame(const std::vector<uint8_t>& data, uint32_t ts, bool key) {
  rtp::EncodedFrame f;
  f.codec = Codec::kAv1;
  f.data = data;
  f.rtp_timestamp = ts;
  f.keyframe = key;
  return f;
}

// Without the temporal delimiter, as AssembleFrame gives a temporal unit.
std::vector<uint8_t> WithoutDelimiter(const std::vector<uint8_t>& tu) {
  return std::vector<uint8_t>(tu.begin() + 2, tu.end());
}

TEST(Av1Decoder, DecodesTemporalUnitsWithOrWithoutDelimiters) {
  for (bool delimiters : {true, false}) {
    auto dec = CreateVideoDecoder(Codec::kAv1);
    ASSERT_TRUE(dec.ok()) << dec.status().ToString();
    EXPECT_EQ((*dec)->backend(), HwBackend::kCpu);
    const auto key = delimiters ? rtp::testing::kAv1Keyframe64x48
                                : WithoutDelimiter(rtp::testing::kAv1Keyframe64x48);
    const auto inter = delimiters ? rtp::testing::kAv1Interframe64x48
                                  : WithoutDelimiter(rtp::testing::kAv1Interframe64x48);
    struct Unit {
      const std::vector<uint8_t>* data;
      uint32_t ts;
      bool keyframe;
    };
    for (const Unit& u : {Unit{&key, 3000, true}, Unit{&inter, 6000, false}}) {
      const DecodeResult r = (*dec)->Decode(Av1Frame(*u.data, u.ts, u.keyframe));
      ASSERT_FALSE(r.error) << "delimiters " << delimiters << " ts " << u.ts;
      ASSERT_TRUE(r.picture);
      const VideoFrame& p = *r.picture.host();
      EXPECT_EQ(p.width, 64);
      EXPECT_EQ(p.height, 48);
      EXPECT_EQ(p.pts_90k, int64_t{u.ts});
      // The flat colour 0x3070b0 (BT.601 limited range: Y 102, U 166, V 95), give or take.
      EXPECT_NEAR(p.y[p.y.size() / 2], 102, 4);
      EXPECT_NEAR(p.u[p.u.size() / 2], 166, 4);
      EXPECT_NEAR(p.v[p.v.size() / 2], 95, 4);
    }
    EXPECT_EQ((*dec)->stats().decoded, 2u);
  }
}

TEST(Av1Decoder, SizeCapFromTheSequenceHeader) {
  const auto key = WithoutDelimiter(rtp::testing::kAv1Keyframe64x48);
  const PeekResult peek = PeekAv1(key);
  EXPECT_TRUE(peek.has_picture);
  EXPECT_EQ(peek.width, 64);
  EXPECT_EQ(peek.height, 48);
  EXPECT_FALSE(PeekAv1(std::vector<uint8_t>(key.begin(), key.begin() + 12)).has_picture);

  auto dec = CreateVideoDecoder(Codec::kAv1, {.max_width = 48, .max_height = 48});
  ASSERT_TRUE(dec.ok());
  const DecodeResult r = (*dec)->Decode(Av1Frame(key, 0, true));
  EXPECT_TRUE(r.error);
  EXPECT_TRUE(r.keyframe_needed);
  EXPECT_EQ((*dec)->stats().too_large, 1u);
}

TEST(Av1Decoder, RandomBytesTruncatedUnitsAndLoneHeadersAreErrors) {
  const auto key = WithoutDelimiter(rtp::testing::kAv1Keyframe64x48);
  std::mt19937 rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    auto dec = CreateVideoDecoder(Codec::kAv1);
    ASSERT_TRUE(dec.ok());
    std::vector<uint8_t> junk(1 + rng() % 500);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    const DecodeResult r = (*dec)->Decode(Av1Frame(junk, 0, true));
    EXPECT_TRUE(r.error) << "trial " << trial;
    EXPECT_TRUE(r.keyframe_needed);
    EXPECT_FALSE(r.picture);
  }
  auto dec = CreateVideoDecoder(Codec::kAv1);
  ASSERT_TRUE(dec.ok());
  // The sequence header alone codes no picture; the frame cut in half does not decode.
  EXPECT_TRUE((*dec)->Decode(Av1Frame({key.begin(), key.begin() + 12}, 0, true)).error);
  EXPECT_TRUE((*dec)->Decode(Av1Frame({key.begin(), key.end() - 13}, 0, true)).error);
  // The decoder still works afterwards.
  const DecodeResult ok = (*dec)->Decode(Av1Frame(key, 0, true));
  EXPECT_FALSE(ok.error);
  EXPECT_TRUE(ok.picture);
}

TEST(Av1Decoder, StaysOnTheCpuWhateverTheDeviceAndSaysWhy) {
  EXPECT_EQ(CreateHwVideoDecoder(Codec::kAv1, HwBackend::kCuda, nullptr).status().code(),
            StatusCode::kUnavailable);
  auto device = std::make_shared<HwDevice>(HwBackend::kCuda, nullptr, "test device");
  auto made = CreateVideoDecoderFor(device.get(), Codec::kAv1, {});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->instance->backend(), HwBackend::kCpu);
  EXPECT_FALSE(made->fallback.empty());
  EXPECT_TRUE(made->instance->Decode(Av1Frame(rtp::testing::kAv1Keyframe64x48, 0, true)).picture);
}

// A camera's AV1 as libaom makes it (realtime, no lag): temporal units in the low overhead
// format, the keyframe with its sequence header. Empty when libavcodec lacks libaom-av1.
std::vector<rtp::EncodedFrame> EncodeLibaom(int w, int h, int frames, AVPixelFormat pix_fmt) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libaom-av1");
  if (!codec) return {};
  deps::AvCodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return {};
  ctx->width = w;
  ctx->height = h;
  ctx->pix_fmt = pix_fmt;
  ctx->time_base = AVRational{1, 30};
  ctx->framerate = AVRational{30, 1};
  ctx->bit_rate = 1'000'000;
  ctx->gop_size = 300;
  ctx->thread_count = 1;
  av_opt_set(ctx->priv_data, "usage", "realtime", 0);
  av_opt_set_int(ctx->priv_data, "cpu-used", 8, 0);
  av_opt_set_int(ctx->priv_data, "lag-in-frames", 0, 0);
  if (avcodec_open2(ctx.get(), codec, nullptr) < 0) return {};
  deps::AvFramePtr frame(av_frame_alloc());
  deps::AvPacketPtr packet(av_packet_alloc());
  if (!frame || !packet) return {};
  frame->format = pix_fmt;
  frame->width = w;
  frame->height = h;
  if (av_frame_get_buffer(frame.get(), 0) < 0) return {};
  const int depth = av_pix_fmt_desc_get(pix_fmt)->comp[0].depth;
  std::vector<rtp::EncodedFrame> out;
  for (int i = 0; i < frames; ++i) {
    if (av_frame_make_writable(frame.get()) < 0) return {};
    const VideoFrame src = testing::MovingPattern(w, h, i);
    for (int p = 0; p < 3; ++p) {
      const int pw = p == 0 ? w : (w + 1) / 2;
      const int ph = p == 0 ? h : (h + 1) / 2;
      const std::vector<uint8_t>& plane = p == 0 ? src.y : p == 1 ? src.u : src.v;
      const int stride = p == 0 ? src.stride_y : p == 1 ? src.stride_u : src.stride_v;
      for (int y = 0; y < ph; ++y) {
        uint8_t* row = frame->data[p] + static_cast<ptrdiff_t>(y) * frame->linesize[p];
        for (int x = 0; x < pw; ++x) {
          const uint8_t level = plane[static_cast<size_t>(y) * stride + x];
          if (depth > 8) {
            const auto v = static_cast<uint16_t>(level << (depth - 8));
            std::memcpy(row + 2 * static_cast<size_t>(x), &v, sizeof(v));
          } else {
            row[x] = level;
          }
        }
      }
    }
    frame->pts = i;
    frame->pict_type = i == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    if (avcodec_send_frame(ctx.get(), frame.get()) < 0) return {};
    while (avcodec_receive_packet(ctx.get(), packet.get()) == 0) {
      rtp::EncodedFrame f;
      f.codec = Codec::kAv1;
      f.data.assign(packet->data, packet->data + packet->size);
      f.keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
      f.rtp_timestamp = static_cast<uint32_t>(packet->pts * 3000);
      out.push_back(std::move(f));
      av_packet_unref(packet.get());
    }
  }
  return out;
}

TEST(Av1OverRtp, LibaomThroughPacketizerJitterBufferAndDecoder) {
  const auto encoded = EncodeLibaom(640, 360, 20, AV_PIX_FMT_YUV420P);
  if (encoded.empty()) GTEST_SKIP() << "libavcodec has no libaom-av1 encoder";
  ASSERT_TRUE(encoded[0].keyframe);
  auto dec = CreateVideoDecoder(Codec::kAv1);
  ASSERT_TRUE(dec.ok());
  auto packetizer = rtp::CreatePacketizer(Codec::kAv1);
  auto depacketizer = rtp::CreateDepacketizer(Codec::kAv1);
  FakeClock clock;
  rtp::VideoJitterBuffer jitter({}, Codec::kAv1, clock);
  uint16_t seq = 60000;  // wraps during the stream
  for (size_t i = 0; i < encoded.size(); ++i) {
    const auto payloads = packetizer->Packetize(encoded[i].data, encoded[i].keyframe);
    ASSERT_FALSE(payloads.empty()) << "frame " << i;
    std::vector<rtp::EncodedFrame> frames;
    for (size_t k = 0; k < payloads.size(); ++k) {
      EXPECT_LE(payloads[k].size(), rtp::kDefaultMtu - rtp::kRtpOverhead);
      auto payload = depacketizer->Parse(payloads[k]);
      ASSERT_TRUE(payload) << "frame " << i << " packet " << k;
      rtp::JitterPacket packet;
      packet.seq = seq++;
      packet.timestamp = encoded[i].rtp_timestamp;
      packet.marker = k + 1 == payloads.size();
      packet.payload = std::move(*payload);
      packet.arrival_us = clock.NowUs();
      auto result = jitter.Insert(std::move(packet));
      for (auto& f : result.frames) frames.push_back(std::move(f));
    }
    ASSERT_EQ(frames.size(), 1u) << "frame " << i;
    const rtp::EncodedFrame& frame = frames[0];
    EXPECT_EQ(frame.keyframe, i == 0) << "frame " << i;
    if (i == 0) {
      EXPECT_EQ(frame.width, 640);
      EXPECT_EQ(frame.height, 360);
    }
    // The same OBUs as the encoder wrote, less its temporal delimiter.
    std::vector<uint8_t> expected;
    for (const auto& obu : rtp::av1::SplitObus(encoded[i].data)) {
      if (obu.header.type == rtp::av1::ObuType::kTemporalDelimiter ||
          obu.header.type == rtp::av1::ObuType::kPadding) {
        continue;
      }
      rtp::av1::AppendObu(obu.header_bytes, obu.payload, expected);
    }
    EXPECT_EQ(frame.data, expected) << "frame " << i;
    const DecodeResult r = (*dec)->Decode(frame);
    ASSERT_FALSE(r.error) << "frame " << i;
    ASSERT_TRUE(r.picture) << "frame " << i;
    EXPECT_EQ(r.picture.host()->width, 640);
    EXPECT_GE(
        testing::PsnrY(testing::MovingPattern(640, 360, static_cast<int>(i)), *r.picture.host()),
        28.0)
        << "frame " << i;
    clock.AdvanceMs(33);
  }
}

TEST(Av1Decoder, TenBitStreamsConvertToI420) {
  const auto encoded = EncodeLibaom(160, 96, 3, AV_PIX_FMT_YUV420P10LE);
  if (encoded.empty()) GTEST_SKIP() << "libaom-av1 missing or without 10-bit";
  auto dec = CreateVideoDecoder(Codec::kAv1);
  ASSERT_TRUE(dec.ok());
  for (size_t i = 0; i < encoded.size(); ++i) {
    const DecodeResult r = (*dec)->Decode(encoded[i]);
    ASSERT_FALSE(r.error) << "frame " << i;
    ASSERT_TRUE(r.picture);
    EXPECT_EQ(r.picture.host()->width, 160);
  }
  EXPECT_EQ((*dec)->stats().bad_format, 0u);
}

}  // namespace
}  // namespace tessera::codec
