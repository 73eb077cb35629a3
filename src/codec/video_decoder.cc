#include <tessera/codec/video_decoder.h>

#include <algorithm>
#include <string>

#include "codec/planar_yuv.h"
#include "codec/video_frame_peek.h"
#include "deps/ffmpeg.h"

namespace tessera::codec {
namespace {

class LibavVideoDecoder : public VideoDecoder {
 public:
  LibavVideoDecoder(rtp::Codec codec, VideoDecoderConfig config, deps::AvCodecContextPtr ctx)
      : codec_(codec),
        config_(config),
        ctx_(std::move(ctx)),
        packet_(av_packet_alloc()),
        frame_(av_frame_alloc()) {}

  bool ok() const { return packet_ && frame_; }

  DecodeResult Decode(const rtp::EncodedFrame& frame) override {
    switch (SubmitEncodedFrame(ctx_.get(), packet_.get(), codec_, frame, config_.max_width,
                               config_.max_height)) {
      case SubmitResult::kSent:
        break;
      case SubmitResult::kTooLarge:
        ++stats_.too_large;
        return Reject();
      case SubmitResult::kRejected:
        return Reject();
    }

    DecodeResult result;
    bool failed = false;
    for (;;) {
      const int got = avcodec_receive_frame(ctx_.get(), frame_.get());
      if (got == AVERROR(EAGAIN) || got == AVERROR_EOF) break;
      if (got < 0) {
        failed = true;
        break;
      }
      // One picture per frame (once the reorder buffer is full); should a decoder ever give two,
      // the later in presentation order wins.
      result.picture = Convert(frame.rtp_timestamp, failed);
      av_frame_unref(frame_.get());
    }
    if (failed) return Reject();
    if (frame.keyframe) frames_without_picture_ = 0;
    if (!result.picture) {
      // The picture waits in libavcodec's reorder buffer (B-frames: has_b_frames pictures, from
      // the SPS's max_num_reorder_frames) or for its second field, or the frame was not shown
      // (a VP8 altref). More frames in a row than that without one: the decoder shows nothing.
      if (++frames_without_picture_ > MaxFramesWithoutPicture()) return Reject();
      return result;
    }
    frames_without_picture_ = 0;
    ++stats_.decoded;
    return result;
  }

  const VideoDecoderStats& stats() const override { return stats_; }

 private:
  DecodeResult Reject() {
    ++stats_.errors;
    return DecodeResult{std::nullopt, true, true};
  }

  // Frames in a row that may give no picture: the reorder depth libavcodec settled on for the
  // stream, plus one (the first field of a field pair; a VP8 frame that is not shown).
  int MaxFramesWithoutPicture() const { return std::max(ctx_->has_b_frames, 0) + 1; }

  // The picture in frame_, or nullopt (and failed = true) when it cannot be returned.
  std::optional<VideoFrame> Convert(uint32_t rtp_timestamp, bool& failed) {
    const AVFrame& f = *frame_;
    if (f.decode_error_flags != 0 || (f.flags & AV_FRAME_FLAG_CORRUPT)) {
      failed = true;
      return std::nullopt;
    }
    if (f.width <= 0 || f.height <= 0 || f.width > config_.max_width ||
        f.height > config_.max_height) {
      ++stats_.too_large;
      failed = true;
      return std::nullopt;
    }
    // 8-bit 4:2:0 (limited or full range) is copied; High 4:2:2, High 4:4:4 Predictive, High 10
    // and monochrome pictures are converted. RGB (gbrp) would need libswscale, not linked.
    const std::optional<PlanarYuv> planes = DescribePlanarYuv(f);
    std::optional<VideoFrame> out = planes ? PlanarYuvToI420(*planes) : std::nullopt;
    if (!out) {
      ++stats_.bad_format;
      failed = true;
      return std::nullopt;
    }
    // The RTP timestamp of the frame that coded this picture: with B-frames, an earlier frame's.
    out->pts_90k = f.pts != AV_NOPTS_VALUE ? f.pts : int64_t{rtp_timestamp};
    return out;
  }

  rtp::Codec codec_;
  VideoDecoderConfig config_;
  deps::AvCodecContextPtr ctx_;
  deps::AvPacketPtr packet_;
  deps::AvFramePtr frame_;
  VideoDecoderStats stats_;
  int frames_without_picture_ = 0;  // since the last picture or keyframe
};

}  // namespace

StatusOr<std::unique_ptr<VideoDecoder>> CreateVideoDecoder(rtp::Codec codec,
                                                           const VideoDecoderConfig& config) {
  AVCodecID id;
  switch (codec) {
    case rtp::Codec::kH264:
      id = AV_CODEC_ID_H264;
      break;
    case rtp::Codec::kVp8:
      id = AV_CODEC_ID_VP8;
      break;
    default:
      return InvalidArgumentError(std::string("no video decoder for ") + rtp::CodecName(codec));
  }
  if (config.max_width <= 0 || config.max_height <= 0 || config.max_width > 16384 ||
      config.max_height > 16384) {
    return InvalidArgumentError("video decoder size cap out of range");
  }
  const AVCodec* dec = avcodec_find_decoder(id);
  if (!dec) return UnavailableError(std::string("libavcodec lacks ") + avcodec_get_name(id));
  deps::AvCodecContextPtr ctx(avcodec_alloc_context3(dec));
  if (!ctx) return ResourceExhaustedError("avcodec_alloc_context3");
  ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
  ctx->thread_count = 1;
  ctx->thread_type = 0;
  // Report damaged input as errors rather than concealing it, so the caller asks for a keyframe.
  ctx->err_recognition = AV_EF_EXPLODE;
  // libavcodec refuses to allocate anything larger, so an oversized stream costs a header parse.
  ctx->max_pixels = static_cast<int64_t>(config.max_width) * config.max_height;
  const int err = avcodec_open2(ctx.get(), dec, nullptr);
  if (err < 0) return InternalError("avcodec_open2: " + deps::AvErrorText(err));
  auto out = std::make_unique<LibavVideoDecoder>(codec, config, std::move(ctx));
  if (!out->ok()) return ResourceExhaustedError("av_packet_alloc/av_frame_alloc");
  return std::unique_ptr<VideoDecoder>(std::move(out));
}

}  // namespace tessera::codec
