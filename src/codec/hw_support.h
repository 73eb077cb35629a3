// FFmpeg hardware-context plumbing shared by the hardware decoders, encoders and transfers:
// backend <-> FFmpeg type mapping, device checks and the pixel-format choice, as pure functions
// where possible so they are tested without a GPU.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>

#include <memory>
#include <optional>
#include <span>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/buffer.h>
#include <libavutil/hwcontext.h>
#include <libavutil/pixfmt.h>
}

namespace tessera::codec {

struct AvBufferRefDeleter {
  void operator()(AVBufferRef* ref) const { av_buffer_unref(&ref); }
};
using AvBufferRefPtr = std::unique_ptr<AVBufferRef, AvBufferRefDeleter>;

// AV_HWDEVICE_TYPE_CUDA / _QSV; AV_HWDEVICE_TYPE_NONE for kCpu.
AVHWDeviceType HwDeviceTypeOf(HwBackend backend);
// The hardware pixel format of the backend's frames: AV_PIX_FMT_CUDA / _QSV; NONE for kCpu.
AVPixelFormat HwPixelFormatOf(HwBackend backend);

// The backend of a hardware frame that DeviceVideoFrame can hold (CUDA or QSV format, frames
// context with sw_format NV12, positive size); nullopt for anything else.
std::optional<HwBackend> Nv12HwFrameBackend(const AVFrame& frame);

// The formats of an AV_PIX_FMT_NONE-terminated list (as get_format receives), without the NONE.
std::span<const AVPixelFormat> PixelFormatList(const AVPixelFormat* formats);

// get_format's choice: `wanted` when the decoder offers it for this stream, else
// AV_PIX_FMT_NONE, which fails the decode. Never a software format: a hardware decoder that
// silently decoded on the CPU would return host frames where the caller expects device frames,
// and cost the CPU the backend was chosen to spare. libavcodec offers the hwaccel's format only
// when the hwaccel can take the stream (it drops it, and asks again, when the hwaccel fails to
// initialise for the stream's profile or size).
AVPixelFormat SelectHwPixelFormat(std::span<const AVPixelFormat> offered, AVPixelFormat wanted);

// True when `decoder` can decode into `type` device frames given a device context
// (AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX).
bool DecoderTakesHwDevice(const AVCodec* decoder, AVHWDeviceType type);

// Ok when `device` is a device context of the backend's type. InvalidArgument for kCpu or a
// device of another type (caller bugs); Unavailable for a null device (none could be opened).
Status CheckHwDevice(HwBackend backend, const AVBufferRef* device);

}  // namespace tessera::codec
