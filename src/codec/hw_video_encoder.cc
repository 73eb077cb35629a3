#include <tessera/codec/hw_video_encoder.h>

#include <algorithm>
#include <string>
#include <utility>

#include "codec/hw_encoder_options.h"
#include "codec/hw_support.h"
#include "codec/video_rate.h"
#include "deps/ffmpeg.h"

namespace tessera::codec {
namespace {

// Canvases in the encoder's input pool: the one being composed, the one being encoded, and
// slack. QSV pools are fixed-size; CUDA pools start with this many and grow.
constexpr int kCanvasPoolSize = 6;

class LibavHwVideoEncoder final : public VideoEncoder {
 public:
  LibavHwVideoEncoder(HwBackend backend, VideoEncoderConfig config)
      : backend_(backend),
        config_(config),
        packet_(av_packet_alloc()),
        scratch_(av_frame_alloc()) {}

  Status Open(AVBufferRef* device) {
    if (!packet_ || !scratch_) return ResourceExhaustedError("av_packet_alloc/av_frame_alloc");
    const std::string name = HwH264EncoderName(backend_);
    const AVCodec* enc = avcodec_find_encoder_by_name(name.c_str());
    if (!enc) return UnavailableError("libavcodec lacks " + name);

    frames_.reset(av_hwframe_ctx_alloc(device));
    if (!frames_) return ResourceExhaustedError("av_hwframe_ctx_alloc");
    auto* frames = reinterpret_cast<AVHWFramesContext*>(frames_->data);
    frames->format = HwPixelFormatOf(backend_);
    frames->sw_format = AV_PIX_FMT_NV12;
    frames->width = config_.width;
    frames->height = config_.height;
    frames->initial_pool_size = kCanvasPoolSize;
    int err = av_hwframe_ctx_init(frames_.get());
    if (err < 0) {
      return UnavailableError(name +
                              ": input surfaces (av_hwframe_ctx_init): " + deps::AvErrorText(err));
    }

    ctx_.reset(avcodec_alloc_context3(enc));
    if (!ctx_) return ResourceExhaustedError("avcodec_alloc_context3");
    ctx_->width = config_.width;
    ctx_->height = config_.height;
    ctx_->pix_fmt = frames->format;
    ctx_->sw_pix_fmt = AV_PIX_FMT_NV12;
    // Frames are numbered 0, 1, 2, ...; their 90 kHz times are kept aside (see Encode).
    ctx_->time_base = AVRational{1, config_.fps};
    ctx_->framerate = AVRational{config_.fps, 1};
    ctx_->hw_frames_ctx = av_buffer_ref(frames_.get());
    if (!ctx_->hw_frames_ctx) return ResourceExhaustedError("av_buffer_ref");
    AVDictionary* opts = ToAvDictionary(HwH264EncoderOptions(backend_, config_)).release();
    err = avcodec_open2(ctx_.get(), enc, &opts);
    const AvDictionaryPtr unused(opts);
    if (err < 0) return HwEncoderOpenError(backend_, err);
    // An option the encoder does not know means the settings are not what they claim to be.
    if (const AVDictionaryEntry* e =
            av_dict_get(unused.get(), "", nullptr, AV_DICT_IGNORE_SUFFIX)) {
      return InternalError(name + " does not take the option " + e->key);
    }
    return Status::Ok();
  }

  StatusOr<std::shared_ptr<DeviceVideoFrame>> AcquireCanvas() override {
    deps::AvFramePtr frame(av_frame_alloc());
    if (!frame) return ResourceExhaustedError("av_frame_alloc");
    const int err = av_hwframe_get_buffer(frames_.get(), frame.get(), 0);
    if (err < 0) return InternalError("av_hwframe_get_buffer: " + deps::AvErrorText(err));
    auto canvas = DeviceVideoFrame::Ref(*frame, 0);
    if (!canvas.ok()) return canvas.status();
    return std::make_shared<DeviceVideoFrame>(std::move(*canvas));
  }

  using VideoEncoder::Encode;

  std::optional<EncodedPicture> Encode(const Picture& picture, bool force_keyframe) override {
    if (picture.device() == nullptr) return std::nullopt;  // not in device memory
    const DeviceVideoFrame& frame = *picture.device();
    const AVFrame* in = frame.av_frame();
    if (!in || frame.backend() != backend_ || in->width != config_.width ||
        in->height != config_.height) {
      return std::nullopt;
    }
    if (pending_bitrate_) ApplyBitrate(*pending_bitrate_);
    pending_bitrate_.reset();

    // The shared frame stays untouched: the encoder gets its own reference with the encode
    // parameters set.
    if (av_frame_ref(scratch_.get(), in) < 0) return std::nullopt;
    scratch_->pts = pts_.Push(frame.pts_90k());
    scratch_->pict_type = force_keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    const int sent = avcodec_send_frame(ctx_.get(), scratch_.get());
    av_frame_unref(scratch_.get());
    if (sent < 0) return std::nullopt;
    if (avcodec_receive_packet(ctx_.get(), packet_.get()) < 0) return std::nullopt;
    EncodedPicture out;
    out.data.assign(packet_->data, packet_->data + packet_->size);
    out.keyframe = (packet_->flags & AV_PKT_FLAG_KEY) != 0;
    out.pts_90k = pts_.Take(packet_->pts, frame.pts_90k());
    av_packet_unref(packet_.get());
    return out;
  }

  void SetBitrate(int bps) override { pending_bitrate_ = std::max(bps, kMinVideoBitrateBps); }

  HwBackend backend() const override { return backend_; }

 private:
  // NVENC compares these with its configuration on the next frame and reconfigures the rate
  // control in place; FFmpeg's QSV encoder re-reads them where its version supports a reset.
  void ApplyBitrate(int bps) {
    if (bps == config_.bitrate_bps) return;
    config_.bitrate_bps = bps;
    ctx_->bit_rate = bps;
    ctx_->rc_max_rate = bps;
    ctx_->rc_buffer_size = static_cast<int>(VbvBits(bps));
  }

  HwBackend backend_;
  VideoEncoderConfig config_;
  AvBufferRefPtr frames_;
  deps::AvCodecContextPtr ctx_;
  deps::AvPacketPtr packet_;
  deps::AvFramePtr scratch_;
  EncoderPtsQueue pts_;
  std::optional<int> pending_bitrate_;
};

}  // namespace

StatusOr<std::unique_ptr<VideoEncoder>> CreateHwVideoEncoder(HwBackend backend,
                                                             AVBufferRef* hw_device_ctx,
                                                             const VideoEncoderConfig& config) {
  TESSERA_RETURN_IF_ERROR(CheckVideoEncoderConfig(config));
  TESSERA_RETURN_IF_ERROR(CheckHwDevice(backend, hw_device_ctx));
  auto out = std::make_unique<LibavHwVideoEncoder>(backend, config);
  TESSERA_RETURN_IF_ERROR(out->Open(hw_device_ctx));
  return std::unique_ptr<VideoEncoder>(std::move(out));
}

}  // namespace tessera::codec
