#include <tessera/codec/hw_video_decoder.h>

#include <algorithm>
#include <string>
#include <utility>

#include "codec/hw_support.h"
#include "codec/video_frame_peek.h"
#include "deps/ffmpeg.h"

extern "C" {
#include <libavutil/dict.h>
}

namespace tessera::codec {
namespace {

// Surfaces beyond the decoder's reference frames: the picture the room's mailbox holds while the
// compositor reads it, and one being handed over. QSV pools are fixed-size, so they need them;
// CUDA pools grow, so this only saves an allocation.
constexpr int kExtraHwFrames = 3;

class LibavHwVideoDecoder final : public HwVideoDecoder {
 public:
  LibavHwVideoDecoder(rtp::Codec codec, HwBackend backend, VideoDecoderConfig config)
      : codec_(codec),
        backend_(backend),
        config_(config),
        packet_(av_packet_alloc()),
        frame_(av_frame_alloc()) {}

  Status Open(const AVCodec* dec, AVBufferRef* device) {
    if (!packet_ || !frame_) return ResourceExhaustedError("av_packet_alloc/av_frame_alloc");
    ctx_.reset(avcodec_alloc_context3(dec));
    if (!ctx_) return ResourceExhaustedError("avcodec_alloc_context3");
    ctx_->opaque = this;
    ctx_->get_format = &GetFormat;
    ctx_->hw_device_ctx = av_buffer_ref(device);
    if (!ctx_->hw_device_ctx) return ResourceExhaustedError("av_buffer_ref");
    ctx_->extra_hw_frames = kExtraHwFrames;
    ctx_->flags |= AV_CODEC_FLAG_LOW_DELAY;
    ctx_->thread_count = 1;
    ctx_->thread_type = 0;
    ctx_->err_recognition = AV_EF_EXPLODE;
    ctx_->max_pixels = static_cast<int64_t>(config_.max_width) * config_.max_height;
    AVDictionary* opts = nullptr;
    // The QSV decoders' pipeline: one frame in flight, not four.
    if (backend_ == HwBackend::kQsv) av_dict_set(&opts, "async_depth", "1", 0);
    const int err = avcodec_open2(ctx_.get(), dec, &opts);
    av_dict_free(&opts);
    if (err < 0) {
      return UnavailableError(std::string(dec->name) + " on " + HwBackendName(backend_) + ": " +
                              deps::AvErrorText(err));
    }
    return Status::Ok();
  }

  HwDecodeResult Decode(const rtp::EncodedFrame& frame) override {
    if (unsupported_) return Reject();
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

    HwDecodeResult result;
    bool failed = false;
    uint64_t pictures = 0;
    for (;;) {
      const int got = avcodec_receive_frame(ctx_.get(), frame_.get());
      if (got == AVERROR(EAGAIN) || got == AVERROR_EOF) break;
      if (got < 0) {
        failed = true;
        break;
      }
      // Should a decoder ever give two pictures, the later wins.
      if (auto picture = Wrap(frame.rtp_timestamp)) {
        result.picture = std::move(picture);
        ++pictures;
      } else {
        failed = true;
      }
      av_frame_unref(frame_.get());
    }
    if (failed) return Reject();
    if (frame.keyframe) frames_without_picture_ = 0;
    if (result.picture) {
      frames_without_picture_ = 0;
    } else if (backend_ == HwBackend::kCuda &&
               ++frames_without_picture_ > std::max(ctx_->has_b_frames, 0) + 1) {
      // The CUDA hwaccel outputs as libavcodec's CPU decoder does: a frame's picture waits only
      // in the reorder buffer (B-frames: has_b_frames pictures) or for its second field. The QSV
      // decoders may also take a frame in and give its picture back with the next one.
      return Reject();
    }
    stats_.decoded += pictures;
    return result;
  }

  const VideoDecoderStats& stats() const override { return stats_; }
  HwBackend backend() const override { return backend_; }

 private:
  static AVPixelFormat GetFormat(AVCodecContext* ctx, const AVPixelFormat* formats) {
    auto* self = static_cast<LibavHwVideoDecoder*>(ctx->opaque);
    const AVPixelFormat chosen =
        SelectHwPixelFormat(PixelFormatList(formats), HwPixelFormatOf(self->backend_));
    if (chosen == AV_PIX_FMT_NONE) self->unsupported_ = true;
    return chosen;
  }

  HwDecodeResult Reject() {
    ++stats_.errors;
    return HwDecodeResult{.picture = std::nullopt,
                          .error = true,
                          .keyframe_needed = true,
                          .unsupported = unsupported_};
  }

  // The picture in frame_ as a device frame, or nullptr when it cannot be returned.
  std::shared_ptr<const DeviceVideoFrame> Wrap(uint32_t rtp_timestamp) {
    const AVFrame& f = *frame_;
    if (f.decode_error_flags != 0 || (f.flags & AV_FRAME_FLAG_CORRUPT)) return nullptr;
    if (f.width <= 0 || f.height <= 0 || f.width > config_.max_width ||
        f.height > config_.max_height) {
      ++stats_.too_large;
      return nullptr;
    }
    // A 10-bit or 4:4:4 stream decodes to another sw_format, which nothing downstream takes.
    if (Nv12HwFrameBackend(f) != backend_) {
      ++stats_.bad_format;
      return nullptr;
    }
    const int64_t pts = f.pts != AV_NOPTS_VALUE ? f.pts : rtp_timestamp;
    auto ref = DeviceVideoFrame::Ref(f, pts);
    if (!ref.ok()) return nullptr;
    return std::make_shared<const DeviceVideoFrame>(std::move(*ref));
  }

  rtp::Codec codec_;
  HwBackend backend_;
  VideoDecoderConfig config_;
  deps::AvCodecContextPtr ctx_;
  deps::AvPacketPtr packet_;
  deps::AvFramePtr frame_;
  VideoDecoderStats stats_;
  // get_format found no hardware format for the stream: sticky, see HwDecodeResult::unsupported.
  bool unsupported_ = false;
  int frames_without_picture_ = 0;  // since the last picture or keyframe
};

StatusOr<const AVCodec*> FindDecoder(rtp::Codec codec, HwBackend backend) {
  const bool h264 = codec == rtp::Codec::kH264;
  if (backend == HwBackend::kQsv) {
    const char* name = h264 ? "h264_qsv" : "vp8_qsv";
    const AVCodec* dec = avcodec_find_decoder_by_name(name);
    if (!dec) return UnavailableError(std::string("libavcodec lacks ") + name);
    return dec;
  }
  const AVCodec* dec = avcodec_find_decoder(h264 ? AV_CODEC_ID_H264 : AV_CODEC_ID_VP8);
  if (!dec)
    return UnavailableError(std::string("libavcodec lacks a decoder for ") + rtp::CodecName(codec));
  if (!DecoderTakesHwDevice(dec, AV_HWDEVICE_TYPE_CUDA)) {
    return UnavailableError(std::string("libavcodec's ") + dec->name +
                            " decoder has no CUDA hwaccel");
  }
  return dec;
}

}  // namespace

StatusOr<std::unique_ptr<HwVideoDecoder>> CreateHwVideoDecoder(rtp::Codec codec, HwBackend backend,
                                                               AVBufferRef* hw_device_ctx,
                                                               const VideoDecoderConfig& config) {
  if (codec != rtp::Codec::kH264 && codec != rtp::Codec::kVp8) {
    return InvalidArgumentError(std::string("no video decoder for ") + rtp::CodecName(codec));
  }
  if (config.max_width <= 0 || config.max_height <= 0 || config.max_width > 16384 ||
      config.max_height > 16384) {
    return InvalidArgumentError("video decoder size cap out of range");
  }
  TESSERA_RETURN_IF_ERROR(CheckHwDevice(backend, hw_device_ctx));
  auto dec = FindDecoder(codec, backend);
  if (!dec.ok()) return dec.status();
  auto out = std::make_unique<LibavHwVideoDecoder>(codec, backend, config);
  TESSERA_RETURN_IF_ERROR(out->Open(*dec, hw_device_ctx));
  return std::unique_ptr<HwVideoDecoder>(std::move(out));
}

}  // namespace tessera::codec
