#include <tessera/codec/hw_video_decoder.h>

#include <string>
#include <utility>

#include "codec/hw_support.h"
#include "codec/libav_video_decoder.h"
#include "deps/ffmpeg.h"

namespace tessera::codec {
namespace {

StatusOr<const AVCodec*> FindDecoder(rtp::Codec codec, HwBackend backend) {
  if (codec == rtp::Codec::kAv1) {
    // libdav1d on the CPU is fast enough for the sizes cameras send; NVDEC's and Quick Sync's AV1
    // (libavcodec's av1 hwaccels, newer GPUs only) are not wired.
    return UnavailableError("AV1 decodes on the CPU (libdav1d); no hardware AV1 decoder is wired");
  }
  if (backend == HwBackend::kQsv) {
    const char* name = codec == rtp::Codec::kH264  ? "h264_qsv"
                       : codec == rtp::Codec::kVp9 ? "vp9_qsv"
                                                   : "vp8_qsv";
    const AVCodec* dec = avcodec_find_decoder_by_name(name);
    if (!dec) return UnavailableError(std::string("libavcodec lacks ") + name);
    return dec;
  }
  // The CPU decoder's (CreateVideoDecoder), with the CUDA hwaccel.
  const AVCodecID id = codec == rtp::Codec::kH264  ? AV_CODEC_ID_H264
                       : codec == rtp::Codec::kVp9 ? AV_CODEC_ID_VP9
                                                   : AV_CODEC_ID_VP8;
  const AVCodec* dec = avcodec_find_decoder(id);
  if (!dec)
    return UnavailableError(std::string("libavcodec lacks a decoder for ") + rtp::CodecName(codec));
  if (!DecoderTakesHwDevice(dec, AV_HWDEVICE_TYPE_CUDA)) {
    return UnavailableError(std::string("libavcodec's ") + dec->name +
                            " decoder has no CUDA hwaccel");
  }
  return dec;
}

}  // namespace

StatusOr<std::unique_ptr<VideoDecoder>> CreateHwVideoDecoder(rtp::Codec codec, HwBackend backend,
                                                             AVBufferRef* hw_device_ctx,
                                                             const VideoDecoderConfig& config) {
  TESSERA_RETURN_IF_ERROR(CheckVideoDecoderConfig(codec, config));
  TESSERA_RETURN_IF_ERROR(CheckHwDevice(backend, hw_device_ctx));
  auto dec = FindDecoder(codec, backend);
  if (!dec.ok()) return dec.status();
  return OpenLibavVideoDecoder(codec, backend, *dec, hw_device_ctx, config);
}

}  // namespace tessera::codec
