// Decode throughput of N participants' 640x360@30 H.264 streams, one decoder per stream on one
// thread, as a room decodes them: NVDEC through FFmpeg's CUDA hwaccel (pictures stay on the GPU)
// against libavcodec's CPU decoder (pictures in host memory). One iteration decodes one frame of
// every stream, i.e. one 30 fps tick of the room; frames_per_s is pictures decoded per second
// (divided by 30: how many such streams the thread keeps up with). The synthetic clip (a gradient
// and a moving square) decodes faster than camera video. Also the one host copy per
// composed canvas of the GPU path without NVENC: a 1280x720 download.
// The CUDA cases SkipWithError(reason) on machines without a CUDA device.

#include <benchmark/benchmark.h>
#include <tessera/codec/hw_transfer.h>
#include <tessera/codec/hw_video_decoder.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/codec/video_encoder.h>

#include <string>
#include <vector>

#include "unit/codec/hw_test_util.h"
#include "unit/codec/video_test_util.h"

namespace {

using tessera::codec::HwBackend;
using tessera::rtp::Codec;
using tessera::rtp::EncodedFrame;

constexpr int kFrames = 60;  // two seconds at 30 fps, replayed; one IDR per replay

const std::vector<EncodedFrame>& Clip() {
  static const std::vector<EncodedFrame> clip = [] {
    std::vector<EncodedFrame> out;
    auto enc = tessera::codec::CreateVideoEncoder(
                   Codec::kH264, {.width = 640, .height = 360, .bitrate_bps = 600'000})
                   .value();
    for (int i = 0; i < kFrames; ++i) {
      auto pic = enc->Encode(tessera::codec::testing::MovingPattern(640, 360, i), false).value();
      EncodedFrame f;
      f.data = std::move(pic.data);
      f.codec = Codec::kH264;
      f.keyframe = pic.keyframe;
      f.rtp_timestamp = static_cast<uint32_t>(pic.pts_90k);
      out.push_back(std::move(f));
    }
    return out;
  }();
  return clip;
}

void SetCounters(benchmark::State& state, int streams) {
  const double frames = static_cast<double>(state.iterations()) * streams;
  state.counters["frames_per_s"] = benchmark::Counter(frames, benchmark::Counter::kIsRate);
}

void BM_CpuDecode(benchmark::State& state) {
  const int streams = static_cast<int>(state.range(0));
  const auto& clip = Clip();
  std::vector<std::unique_ptr<tessera::codec::VideoDecoder>> decoders;
  for (int s = 0; s < streams; ++s) {
    decoders.push_back(tessera::codec::CreateVideoDecoder(Codec::kH264).value());
  }
  size_t i = 0;
  for (auto _ : state) {
    const EncodedFrame& frame = clip[i++ % kFrames];
    for (auto& dec : decoders) {
      auto r = dec->Decode(frame);
      if (!r.picture) {
        state.SkipWithError("decode failed");
        return;
      }
      benchmark::DoNotOptimize(r.picture.host()->y.data());
    }
  }
  SetCounters(state, streams);
}

void BM_NvdecDecode(benchmark::State& state) {
  const int streams = static_cast<int>(state.range(0));
  auto opened = tessera::codec::testing::OpenHwDevice(HwBackend::kCuda);
  if (!opened.device) {
    state.SkipWithError(opened.reason.c_str());
    return;
  }
  const auto& clip = Clip();
  std::vector<std::unique_ptr<tessera::codec::VideoDecoder>> decoders;
  for (int s = 0; s < streams; ++s) {
    auto dec =
        tessera::codec::CreateHwVideoDecoder(Codec::kH264, HwBackend::kCuda, opened.device.get());
    if (!dec.ok()) {
      state.SkipWithError(dec.status().ToString().c_str());
      return;
    }
    decoders.push_back(std::move(*dec));
  }
  size_t i = 0;
  for (auto _ : state) {
    const EncodedFrame& frame = clip[i++ % kFrames];
    for (auto& dec : decoders) {
      auto r = dec->Decode(frame);
      if (!r.picture) {
        state.SkipWithError("NVDEC decode failed");
        return;
      }
      benchmark::DoNotOptimize(r.picture.device()->av_frame());
    }
  }
  SetCounters(state, streams);
}

void BM_CudaDownloadToI420(benchmark::State& state) {
  auto opened = tessera::codec::testing::OpenHwDevice(HwBackend::kCuda);
  if (!opened.device) {
    state.SkipWithError(opened.reason.c_str());
    return;
  }
  tessera::codec::AvBufferRefPtr frames(av_hwframe_ctx_alloc(opened.device.get()));
  auto* fc = reinterpret_cast<AVHWFramesContext*>(frames->data);
  fc->format = AV_PIX_FMT_CUDA;
  fc->sw_format = AV_PIX_FMT_NV12;
  fc->width = 1280;
  fc->height = 720;
  tessera::deps::AvFramePtr surface(av_frame_alloc());
  if (av_hwframe_ctx_init(frames.get()) < 0 ||
      av_hwframe_get_buffer(frames.get(), surface.get(), 0) < 0) {
    state.SkipWithError("no CUDA surface");
    return;
  }
  auto canvas = tessera::codec::DeviceVideoFrame::Ref(*surface, 0).value();
  if (!tessera::codec::UploadI420(tessera::codec::testing::MovingPattern(1280, 720, 0), canvas)
           .ok()) {
    state.SkipWithError("upload failed");
    return;
  }
  for (auto _ : state) {
    auto host = tessera::codec::DownloadToI420(canvas);
    if (!host.ok()) {
      state.SkipWithError(host.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(host->y.data());
  }
}

BENCHMARK(BM_CpuDecode)->Arg(1)->Arg(4)->Arg(16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NvdecDecode)->Arg(1)->Arg(4)->Arg(16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaDownloadToI420)->Unit(benchmark::kMillisecond);

}  // namespace
