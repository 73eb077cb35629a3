#include <tessera/codec/video_decoder.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <utility>

#include "codec/hw_support.h"
#include "codec/libav_video_decoder.h"
#include "codec/planar_yuv.h"
#include "codec/video_frame_peek.h"
#include "deps/ffmpeg.h"

extern "C" {
#include <libavutil/dict.h>
}

namespace tessera::codec {
namespace {

// A 64x48 AV1 keyframe (libaom, a flat colour) as a temporal unit of its sequence header and
// frame: what a CPU AV1 decoder other than libdav1d must decode before it is taken.
constexpr uint8_t kAv1ProbeKeyframe[] = {
    0x0a, 0x0a, 0x00, 0x00, 0x00, 0x02, 0xaf, 0xf7, 0x9b, 0x5f, 0x20, 0x08, 0x32, 0x1a,
    0x10, 0x00, 0x80, 0x00, 0xc1, 0xb4, 0xca, 0x69, 0xd4, 0x54, 0x65, 0xc4, 0x3b, 0xd0,
    0x13, 0x61, 0x20, 0xbf, 0xf0, 0xea, 0x0c, 0xf5, 0xc1, 0x7b, 0x3e, 0xc0};

// Hardware decoders: surfaces beyond the decoder's reference frames, for the picture the room's
// mailbox holds while the compositor reads it and one being handed over. QSV pools are
// fixed-size, so they need them; CUDA pools grow, so this only saves an allocation.
constexpr int kExtraHwFrames = 3;

class LibavVideoDecoder final : public VideoDecoder {
 public:
  LibavVideoDecoder(rtp::Codec codec, HwBackend backend, VideoDecoderConfig config)
      : codec_(codec),
        backend_(backend),
        config_(config),
        packet_(av_packet_alloc()),
        frame_(av_frame_alloc()) {}

  Status Open(const AVCodec* dec, AVBufferRef* device) {
    if (!packet_ || !frame_) return ResourceExhaustedError("av_packet_alloc/av_frame_alloc");
    ctx_.reset(avcodec_alloc_context3(dec));
    if (!ctx_) return ResourceExhaustedError("avcodec_alloc_context3");
    ctx_->flags |= AV_CODEC_FLAG_LOW_DELAY;
    ctx_->thread_count = 1;
    ctx_->thread_type = 0;
    // Report damaged input as errors rather than concealing it, so the caller asks for a keyframe.
    ctx_->err_recognition = AV_EF_EXPLODE;
    // libavcodec refuses to allocate anything larger, so an oversized stream costs a header parse.
    ctx_->max_pixels = static_cast<int64_t>(config_.max_width) * config_.max_height;
    AVDictionary* opts = nullptr;
    if (backend_ != HwBackend::kCpu) {
      ctx_->opaque = this;
      ctx_->get_format = &GetFormat;
      ctx_->hw_device_ctx = av_buffer_ref(device);
      if (!ctx_->hw_device_ctx) return ResourceExhaustedError("av_buffer_ref");
      ctx_->extra_hw_frames = kExtraHwFrames;
      // The QSV decoders' pipeline: one frame in flight, not four.
      if (backend_ == HwBackend::kQsv) av_dict_set(&opts, "async_depth", "1", 0);
    }
    const int err = avcodec_open2(ctx_.get(), dec, &opts);
    av_dict_free(&opts);
    if (err >= 0) return Status::Ok();
    if (backend_ == HwBackend::kCpu) {
      return InternalError("avcodec_open2: " + deps::AvErrorText(err));
    }
    return UnavailableError(std::string(dec->name) + " on " + HwBackendName(backend_) + ": " +
                            deps::AvErrorText(err));
  }

  DecodeResult Decode(const rtp::EncodedFrame& frame) override {
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
      Picture picture = TakePicture(frame.rtp_timestamp);
      if (picture) {
        result.picture = std::move(picture);
      } else {
        failed = true;
      }
      av_frame_unref(frame_.get());
    }
    if (failed) return Reject();
    if (frame.keyframe) frames_without_picture_ = 0;
    if (!result.picture) {
      // The picture waits in libavcodec's reorder buffer (B-frames: has_b_frames pictures, from
      // the SPS's max_num_reorder_frames) or for its second field, or the frame was not shown (a
      // VP8 or VP9 altref); the QSV decoders' pipeline also gives a frame's picture with the next
      // one. More frames in a row than that without one: the decoder shows nothing.
      if (backend_ != HwBackend::kQsv && ++frames_without_picture_ > MaxFramesWithoutPicture()) {
        return Reject();
      }
      return result;
    }
    frames_without_picture_ = 0;
    ++stats_.decoded;
    return result;
  }

  const VideoDecoderStats& stats() const override { return stats_; }
  HwBackend backend() const override { return backend_; }

 private:
  static AVPixelFormat GetFormat(AVCodecContext* ctx, const AVPixelFormat* formats) {
    auto* self = static_cast<LibavVideoDecoder*>(ctx->opaque);
    const AVPixelFormat chosen =
        SelectHwPixelFormat(PixelFormatList(formats), HwPixelFormatOf(self->backend_));
    if (chosen == AV_PIX_FMT_NONE) self->unsupported_ = true;
    return chosen;
  }

  // Frames in a row that may give no picture: the reorder depth libavcodec settled on for the
  // stream, plus one (the first field of a field pair; a VP8 frame that is not shown).
  int MaxFramesWithoutPicture() const { return std::max(ctx_->has_b_frames, 0) + 1; }

  DecodeResult Reject() {
    ++stats_.errors;
    return DecodeResult{
        .picture = {}, .error = true, .keyframe_needed = true, .unsupported = unsupported_};
  }

  // The picture in frame_, or no picture when it cannot be returned (counted).
  Picture TakePicture(uint32_t rtp_timestamp) {
    const AVFrame& f = *frame_;
    if (f.decode_error_flags != 0 || (f.flags & AV_FRAME_FLAG_CORRUPT)) return {};
    if (f.width <= 0 || f.height <= 0 || f.width > config_.max_width ||
        f.height > config_.max_height) {
      ++stats_.too_large;
      return {};
    }
    return backend_ == HwBackend::kCpu ? CopyToHost(rtp_timestamp) : Reference(rtp_timestamp);
  }

  Picture CopyToHost(uint32_t rtp_timestamp) {
    const AVFrame& f = *frame_;
    // 8-bit 4:2:0 (limited or full range) is copied; High 4:2:2, High 4:4:4 Predictive, High 10
    // and monochrome pictures are converted. RGB (gbrp) would need libswscale, not linked.
    const std::optional<PlanarYuv> planes = DescribePlanarYuv(f);
    std::optional<VideoFrame> out = planes ? PlanarYuvToI420(*planes) : std::nullopt;
    if (!out) {
      ++stats_.bad_format;
      return {};
    }
    // The RTP timestamp of the frame that coded this picture: with B-frames, an earlier frame's.
    out->pts_90k = f.pts != AV_NOPTS_VALUE ? f.pts : int64_t{rtp_timestamp};
    return Picture(std::make_shared<const VideoFrame>(std::move(*out)));
  }

  Picture Reference(uint32_t rtp_timestamp) {
    const AVFrame& f = *frame_;
    // A 10-bit or 4:4:4 stream decodes to another sw_format, which nothing downstream takes.
    if (Nv12HwFrameBackend(f) != backend_) {
      ++stats_.bad_format;
      return {};
    }
    const int64_t pts = f.pts != AV_NOPTS_VALUE ? f.pts : rtp_timestamp;
    auto ref = DeviceVideoFrame::Ref(f, pts);
    if (!ref.ok()) return {};
    return Picture(std::make_shared<const DeviceVideoFrame>(std::move(*ref)));
  }

  rtp::Codec codec_;
  HwBackend backend_;
  VideoDecoderConfig config_;
  deps::AvCodecContextPtr ctx_;
  deps::AvPacketPtr packet_;
  deps::AvFramePtr frame_;
  VideoDecoderStats stats_;
  // get_format found no hardware format for the stream: sticky, see DecodeResult::unsupported.
  bool unsupported_ = false;
  int frames_without_picture_ = 0;  // since the last picture or keyframe
};

}  // namespace

Status CheckVideoDecoderConfig(rtp::Codec codec, const VideoDecoderConfig& config) {
  if (codec != rtp::Codec::kH264 && codec != rtp::Codec::kVp8 && codec != rtp::Codec::kVp9 &&
      codec != rtp::Codec::kAv1) {
    return InvalidArgumentError(std::string("no video decoder for ") + rtp::CodecName(codec));
  }
  if (config.max_width <= 0 || config.max_height <= 0 || config.max_width > 16384 ||
      config.max_height > 16384) {
    return InvalidArgumentError("video decoder size cap out of range");
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<VideoDecoder>> OpenLibavVideoDecoder(rtp::Codec codec, HwBackend backend,
                                                              const AVCodec* decoder,
                                                              AVBufferRef* device,
                                                              const VideoDecoderConfig& config) {
  auto out = std::make_unique<LibavVideoDecoder>(codec, backend, config);
  TESSERA_RETURN_IF_ERROR(out->Open(decoder, device));
  return std::unique_ptr<VideoDecoder>(std::move(out));
}

namespace {

// AV1 on the CPU: libdav1d through libavcodec. libavcodec's own av1 decoder only drives hwaccels
// (FFmpeg 5 to 7), so it is taken in libdav1d's place only where it decodes a keyframe on the CPU.
StatusOr<const AVCodec*> FindCpuAv1Decoder() {
  if (const AVCodec* dav1d = avcodec_find_decoder_by_name("libdav1d")) return dav1d;
  const AVCodec* native = avcodec_find_decoder_by_name("av1");
  if (!native) return UnavailableError("libavcodec has no AV1 decoder (libdav1d)");
  auto probe = OpenLibavVideoDecoder(rtp::Codec::kAv1, HwBackend::kCpu, native, nullptr,
                                     VideoDecoderConfig{.max_width = 64, .max_height = 64});
  if (probe.ok()) {
    rtp::EncodedFrame keyframe;
    keyframe.codec = rtp::Codec::kAv1;
    keyframe.keyframe = true;
    keyframe.data.assign(std::begin(kAv1ProbeKeyframe), std::end(kAv1ProbeKeyframe));
    if ((*probe)->Decode(keyframe).picture) return native;
  }
  return UnavailableError(
      "libavcodec lacks libdav1d, and its av1 decoder does not decode without a hardware device");
}

}  // namespace

StatusOr<std::unique_ptr<VideoDecoder>> CreateVideoDecoder(rtp::Codec codec,
                                                           const VideoDecoderConfig& config) {
  TESSERA_RETURN_IF_ERROR(CheckVideoDecoderConfig(codec, config));
  if (codec == rtp::Codec::kAv1) {
    auto dec = FindCpuAv1Decoder();
    if (!dec.ok()) return dec.status();
    return OpenLibavVideoDecoder(codec, HwBackend::kCpu, *dec, nullptr, config);
  }
  // libavcodec's native decoders (the ones its hwaccels run on, so every backend takes the same
  // streams); avcodec_find_decoder lists them before the external libraries' (libvpx).
  const AVCodecID id = codec == rtp::Codec::kH264  ? AV_CODEC_ID_H264
                       : codec == rtp::Codec::kVp9 ? AV_CODEC_ID_VP9
                                                   : AV_CODEC_ID_VP8;
  const AVCodec* dec = avcodec_find_decoder(id);
  if (!dec) return UnavailableError(std::string("libavcodec lacks ") + avcodec_get_name(id));
  return OpenLibavVideoDecoder(codec, HwBackend::kCpu, dec, nullptr, config);
}

}  // namespace tessera::codec
