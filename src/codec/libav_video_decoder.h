// The one libavcodec decoder behind every VideoDecoder backend: the CPU's (I420 pictures copied to
// host memory) and the hardware ones (NV12 surfaces referenced in device memory). The submit and
// receive loop, the size cap, the error and keyframe rules and the stats are the same code for
// all of them; only opening the context and handing out the picture differ.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/rtp/codec.h>

#include <memory>

struct AVBufferRef;
struct AVCodec;

namespace tessera::codec {

// Opens `decoder` for `codec` on `backend`: kCpu with no device, or kCuda/kQsv with `device`, a
// device context of that type (the decoder takes its own reference). The config is assumed
// checked (CheckVideoDecoderConfig). Unavailable, with libavcodec's reason, when the decoder does
// not open on the device; Internal when it does not open on the CPU.
StatusOr<std::unique_ptr<VideoDecoder>> OpenLibavVideoDecoder(rtp::Codec codec, HwBackend backend,
                                                              const AVCodec* decoder,
                                                              AVBufferRef* device,
                                                              const VideoDecoderConfig& config);

}  // namespace tessera::codec
