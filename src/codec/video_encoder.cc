#include <tessera/codec/video_encoder.h>

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
}

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "codec/video_rate.h"
#include "deps/ffmpeg.h"

namespace tessera::codec {
namespace {

// VP9 tile columns (log2): tiles of at least 256 luma columns (the format's minimum), at most 4,
// so that a receiver can decode one picture on several threads.
int Vp9TileColumnsLog2(int width) {
  int log2 = 0;
  while (log2 < 2 && (256 << (log2 + 1)) <= width) ++log2;
  return log2;
}

const char* EncoderName(rtp::Codec codec) {
  switch (codec) {
    case rtp::Codec::kH264:
      return "libx264";
    case rtp::Codec::kVp9:
      return "libvpx-vp9";
    default:
      return "libvpx";
  }
}

StatusOr<deps::AvCodecContextPtr> OpenEncoder(rtp::Codec codec, const VideoEncoderConfig& c) {
  const char* name = EncoderName(codec);
  const AVCodec* enc = avcodec_find_encoder_by_name(name);
  if (!enc) return UnavailableError(std::string("libavcodec lacks ") + name);
  deps::AvCodecContextPtr ctx(avcodec_alloc_context3(enc));
  if (!ctx) return ResourceExhaustedError("avcodec_alloc_context3");
  ctx->width = c.width;
  ctx->height = c.height;
  ctx->pix_fmt = AV_PIX_FMT_YUV420P;
  // Frames are numbered 0, 1, 2, ...; their 90 kHz times are kept aside (see Encode).
  ctx->time_base = AVRational{1, c.fps};
  ctx->framerate = AVRational{c.fps, 1};
  ctx->gop_size = c.fps * c.keyframe_interval_s;
  ctx->max_b_frames = 0;
  ctx->bit_rate = c.bitrate_bps;
  ctx->rc_max_rate = c.bitrate_bps;
  ctx->rc_buffer_size = static_cast<int>(VbvBits(c.bitrate_bps));
  // One encoder per outgoing stream; the shard pool supplies the parallelism.
  ctx->thread_count = 1;
  void* opts = ctx->priv_data;
  if (codec == rtp::Codec::kH264) {
    av_opt_set(opts, "preset", "veryfast", 0);
    av_opt_set(opts, "tune", "zerolatency", 0);
    av_opt_set(opts, "profile", "baseline", 0);  // with no B-frames/CABAC: constrained baseline
    av_opt_set_int(opts, "forced-idr", 1, 0);
    // SPS and PPS in front of every IDR, so a receiver can join at any keyframe.
    std::string params = "repeat-headers=1";
    if (c.max_nal_bytes > 0) params += ":slice-max-size=" + std::to_string(c.max_nal_bytes);
    av_opt_set(opts, "x264-params", params.c_str(), 0);
  } else {
    ctx->rc_min_rate = c.bitrate_bps;  // min == max == target: libvpx's CBR mode
    ctx->qmin = 4;
    ctx->qmax = 56;
    av_opt_set(opts, "deadline", "realtime", 0);
    av_opt_set_int(opts, "cpu-used", 8, 0);
    av_opt_set_int(opts, "lag-in-frames", 0, 0);
    av_opt_set(opts, "error-resilient", "default", 0);
    av_opt_set_int(opts, "auto-alt-ref", 0, 0);
    if (codec == rtp::Codec::kVp9) {
      // One thread per encoder, so no row multithreading; tiles still let receivers decode in
      // parallel.
      av_opt_set_int(opts, "row-mt", 0, 0);
      av_opt_set_int(opts, "tile-columns", Vp9TileColumnsLog2(c.width), 0);
    }
  }
  const int err = avcodec_open2(ctx.get(), enc, nullptr);
  if (err < 0) return InternalError(std::string(name) + ": " + deps::AvErrorText(err));
  return ctx;
}

class LibavVideoEncoder : public VideoEncoder {
 public:
  LibavVideoEncoder(rtp::Codec codec, VideoEncoderConfig config, deps::AvCodecContextPtr ctx)
      : codec_(codec),
        config_(config),
        ctx_(std::move(ctx)),
        packet_(av_packet_alloc()),
        frame_(av_frame_alloc()) {}

  bool ok() const { return packet_ && frame_; }

  using VideoEncoder::Encode;

  std::optional<EncodedPicture> Encode(const Picture& picture, bool force_keyframe) override {
    if (picture.host() == nullptr) return std::nullopt;  // not in host memory
    const VideoFrame& in = *picture.host();
    if (in.width != config_.width || in.height != config_.height || !in.Valid()) {
      return std::nullopt;
    }
    const int cw = in.ChromaWidth();
    const int ch = in.ChromaHeight();
    if (pending_bitrate_ && !ApplyBitrate(*pending_bitrate_)) return std::nullopt;
    pending_bitrate_.reset();

    if (!frame_->data[0]) {
      frame_->format = AV_PIX_FMT_YUV420P;
      frame_->width = config_.width;
      frame_->height = config_.height;
      if (av_frame_get_buffer(frame_.get(), 0) < 0) return std::nullopt;
    }
    // The encoder may still reference the previous buffer.
    if (av_frame_make_writable(frame_.get()) < 0) return std::nullopt;
    av_image_copy_plane(frame_->data[0], frame_->linesize[0], in.y.data(), in.stride_y, in.width,
                        in.height);
    av_image_copy_plane(frame_->data[1], frame_->linesize[1], in.u.data(), in.stride_u, cw, ch);
    av_image_copy_plane(frame_->data[2], frame_->linesize[2], in.v.data(), in.stride_v, cw, ch);
    frame_->pts = pts_.Push(in.pts_90k);
    frame_->pict_type = force_keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;

    if (avcodec_send_frame(ctx_.get(), frame_.get()) < 0) return std::nullopt;
    if (avcodec_receive_packet(ctx_.get(), packet_.get()) < 0) return std::nullopt;
    EncodedPicture out;
    out.data.assign(packet_->data, packet_->data + packet_->size);
    out.keyframe = (packet_->flags & AV_PKT_FLAG_KEY) != 0;
    out.pts_90k = pts_.Take(packet_->pts, in.pts_90k);
    av_packet_unref(packet_.get());
    return out;
  }

  void SetBitrate(int bps) override { pending_bitrate_ = std::max(bps, kMinVideoBitrateBps); }

  HwBackend backend() const override { return HwBackend::kCpu; }

 private:
  bool ApplyBitrate(int bps) {
    if (bps == config_.bitrate_bps) return true;
    config_.bitrate_bps = bps;
    if (codec_ == rtp::Codec::kH264) {
      // libx264's wrapper reconfigures x264 when these change between frames.
      ctx_->bit_rate = bps;
      ctx_->rc_max_rate = bps;
      ctx_->rc_buffer_size = static_cast<int>(VbvBits(bps));
      return true;
    }
    // libavcodec's libvpx wrappers (VP8, VP9) read the rate only when they open: reopen (the
    // next picture is then a keyframe).
    auto ctx = OpenEncoder(codec_, config_);
    if (!ctx.ok()) return false;
    ctx_ = std::move(*ctx);
    return true;
  }

  rtp::Codec codec_;
  VideoEncoderConfig config_;
  deps::AvCodecContextPtr ctx_;
  deps::AvPacketPtr packet_;
  deps::AvFramePtr frame_;
  EncoderPtsQueue pts_;
  std::optional<int> pending_bitrate_;
};

}  // namespace

Status CheckVideoEncoderConfig(const VideoEncoderConfig& config) {
  // Every encoder wants even sizes for 4:2:0.
  if (config.width <= 0 || config.height <= 0 || config.width % 2 || config.height % 2 ||
      config.width > 4096 || config.height > 4096) {
    return InvalidArgumentError("video encoder size must be even and within 4096x4096");
  }
  if (config.fps <= 0 || config.fps > 240 || config.bitrate_bps < kMinVideoBitrateBps ||
      config.keyframe_interval_s <= 0) {
    return InvalidArgumentError("video encoder rate out of range");
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<VideoEncoder>> CreateVideoEncoder(rtp::Codec codec,
                                                           const VideoEncoderConfig& config) {
  if (codec != rtp::Codec::kH264 && codec != rtp::Codec::kVp8 && codec != rtp::Codec::kVp9) {
    return InvalidArgumentError(std::string("no video encoder for ") + rtp::CodecName(codec));
  }
  TESSERA_RETURN_IF_ERROR(CheckVideoEncoderConfig(config));
  auto ctx = OpenEncoder(codec, config);
  if (!ctx.ok()) return ctx.status();
  auto out = std::make_unique<LibavVideoEncoder>(codec, config, std::move(*ctx));
  if (!out->ok()) return ResourceExhaustedError("av_packet_alloc/av_frame_alloc");
  return std::unique_ptr<VideoEncoder>(std::move(out));
}

}  // namespace tessera::codec
