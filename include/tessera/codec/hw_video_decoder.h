// Hardware video decoders (NVDEC through FFmpeg's CUDA hwaccel, Intel Quick Sync through FFmpeg's
// QSV decoders) from reassembled RTP frames to pictures in device memory.
//
// Fallback policy: a hardware decoder is an optimisation for one input, never a requirement.
// When CreateHwVideoDecoder fails with kUnavailable (no device, libavcodec without the hwaccel,
// the driver refused), or when a created decoder reports `unsupported` (the hardware cannot take
// this stream, e.g. a profile or size beyond NVDEC's limits, VP8 on a GPU without VP8 decode),
// the caller decodes that input with CreateVideoDecoder (CPU) instead, and uploads nothing: the
// compositor takes CPU pictures for such inputs. CreateVideoDecoderFor (codec_factory.h) applies
// this policy when the decoder is made.
//
// The decoders are VideoDecoder (video_decoder.h) like the CPU's: DecodeResult::picture holds a
// DeviceVideoFrame, and `unsupported` says when the hardware cannot take the stream.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/rtp/codec.h>
#include <tessera/rtp/encoded_frame.h>

#include <memory>

struct AVBufferRef;

namespace tessera::codec {

// codec: kH264, kVp8 or kVp9 (kAv1: Unavailable, AV1 decodes on the CPU). backend: kCuda
// (libavcodec's h264/vp8/vp9 decoders with the CUDA hwaccel, NV12 AV_PIX_FMT_CUDA output) or kQsv
// (h264_qsv/vp8_qsv/vp9_qsv, AV_PIX_FMT_QSV output). A VP9 stream of profile 1 to 3 (4:4:4, 10-bit)
// gives another surface format than NV12 and is rejected as bad_format; the decoder reports
// `unsupported` when the device has no format for it. hw_device_ctx: an FFmpeg device context of
// the backend's type (for CUDA, opened with primary_ctx=1); the decoder takes its own reference.
// Errors: InvalidArgument for another codec, kCpu, a device of another type or a bad size cap;
// Unavailable, with the reason, when no device is given or libavcodec or the driver cannot open the
// hardware decoder.
StatusOr<std::unique_ptr<VideoDecoder>> CreateHwVideoDecoder(rtp::Codec codec, HwBackend backend,
                                                             AVBufferRef* hw_device_ctx,
                                                             const VideoDecoderConfig& config = {});

}  // namespace tessera::codec
