// Hardware devices and stand-in device frames for the hardware codec tests and benches.
#pragma once

#include <tessera/codec/device_frame.h>
#include <tessera/codec/device_video_frame.h>

#include <memory>
#include <string>

#include "codec/hw_support.h"
#include "deps/ffmpeg.h"

extern "C" {
#include <libavutil/dict.h>
#include <libavutil/hwcontext.h>
}

namespace tessera::codec::testing {

struct OpenedDevice {
  AvBufferRefPtr device;  // null when none could be opened
  std::string reason;     // why not, with FFmpeg's error text
};

// The first device of the backend, as the server opens it (CUDA: primary_ctx=1).
inline OpenedDevice OpenHwDevice(HwBackend backend) {
  OpenedDevice out;
  AVDictionary* opts = nullptr;
  if (backend == HwBackend::kCuda) av_dict_set(&opts, "primary_ctx", "1", 0);
  AVBufferRef* device = nullptr;
  const int err = av_hwdevice_ctx_create(&device, HwDeviceTypeOf(backend), nullptr, opts, 0);
  av_dict_free(&opts);
  if (err < 0) {
    out.reason = std::string("no ") + HwBackendName(backend) +
                 " device (av_hwdevice_ctx_create: " + deps::AvErrorText(err) + ")";
    return out;
  }
  out.device.reset(device);
  return out;
}

// A frame of a hardware pixel format whose "device memory" is host memory, in a frames context
// that is allocated but never initialised: enough for code that only looks at the AVFrame
// (DeviceVideoFrame, format checks), never for transfers or codecs.
struct FakeHwFrame {
  AvBufferRefPtr device;
  AvBufferRefPtr frames;
  deps::AvFramePtr frame;
};

inline FakeHwFrame MakeFakeHwFrame(AVHWDeviceType type, AVPixelFormat hw_format,
                                   AVPixelFormat sw_format, int width, int height, int pitch) {
  FakeHwFrame f;
  f.device.reset(av_hwdevice_ctx_alloc(type));
  f.frames.reset(av_hwframe_ctx_alloc(f.device.get()));
  auto* frames = reinterpret_cast<AVHWFramesContext*>(f.frames->data);
  frames->format = hw_format;
  frames->sw_format = sw_format;
  frames->width = width;
  frames->height = height;
  f.frame.reset(av_frame_alloc());
  AVFrame* frame = f.frame.get();
  frame->format = hw_format;
  frame->width = width;
  frame->height = height;
  frame->hw_frames_ctx = av_buffer_ref(f.frames.get());
  const int rows = height + (height + 1) / 2;
  frame->buf[0] = av_buffer_allocz(static_cast<size_t>(pitch) * rows);
  frame->data[0] = frame->buf[0]->data;
  frame->data[1] = frame->data[0] + static_cast<size_t>(pitch) * height;
  frame->linesize[0] = frame->linesize[1] = pitch;
  return f;
}

}  // namespace tessera::codec::testing
