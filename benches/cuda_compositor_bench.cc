// The CUDA compositor against the CPU compositor on the same rooms, in one binary: 3x3 pictures of
// 640x360 into 1280x720 and 5x5 into 1920x1080, bilinear and box. CUDA times are wall time per
// Compose() (plan, op upload, kernel, stream synchronize) with the pictures and the canvas already
// in device memory, as in a room fed by NVDEC. Without a usable device the CUDA benchmarks report
// why and are skipped. The CPU reference of the kernel's maths (one thread, no SIMD) is included
// to show what the GPU replaces; it is not a production path.

#include <benchmark/benchmark.h>
#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/cuda_compositor.h>
#include <tessera/mixer/layout.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "mixer/nv12_reference_compositor.h"
#include "unit/mixer/nv12_scenes.h"

#ifdef TESSERA_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace {

using tessera::mixer::ComposeOptions;
using tessera::mixer::ComposeStats;
using tessera::mixer::ComputeLayout;
using tessera::mixer::CpuCompositor;
using tessera::mixer::DownscaleFilter;
using tessera::mixer::I420Frame;
using tessera::mixer::LayoutInput;
using tessera::mixer::Nv12Image;
using tessera::mixer::Nv12Planes;
using tessera::mixer::Tile;
using tessera::mixer::YuvColor;

struct Room {
  std::vector<Tile> tiles;
  std::vector<I420Frame> i420;
  std::vector<Nv12Image> nv12;
};

// `count` textured 640x360 inputs in a grid, as benches/compositor_bench.cc.
Room MakeRoom(int count, int out_w, int out_h) {
  Room room;
  std::vector<LayoutInput> inputs;
  for (int i = 0; i < count; ++i) {
    inputs.push_back(LayoutInput{static_cast<uint32_t>(1 + i), 640, 360});
    const YuvColor color{static_cast<uint8_t>(60 + 6 * i), static_cast<uint8_t>(90 + 5 * i),
                         static_cast<uint8_t>(170 - 4 * i)};
    room.i420.push_back(tessera::mixer::testing::TexturedPicture(640, 360, color, i));
    room.nv12.push_back(tessera::mixer::testing::ToNv12(room.i420.back()));
  }
  room.tiles = ComputeLayout({}, out_w, out_h, inputs, 1u);
  return room;
}

void BM_CpuCompose(benchmark::State& state, int count, int out_w, int out_h,
                   DownscaleFilter filter) {
  const Room room = MakeRoom(count, out_w, out_h);
  std::vector<const I420Frame*> pictures;
  for (const Tile& t : room.tiles) {
    pictures.push_back(t.participant_id == 0 ? nullptr : &room.i420[t.participant_id - 1]);
  }
  I420Frame canvas = I420Frame::Make(out_w, out_h);
  CpuCompositor compositor;
  const ComposeOptions options{.downscale = filter};
  for (auto _ : state) {
    const ComposeStats stats = compositor.Compose(room.tiles, pictures, canvas, options);
    benchmark::DoNotOptimize(stats);
    benchmark::DoNotOptimize(canvas.y.data());
  }
}

void BM_ReferenceCompose(benchmark::State& state, int count, int out_w, int out_h,
                         DownscaleFilter filter) {
  const Room room = MakeRoom(count, out_w, out_h);
  std::vector<Nv12Planes> planes;
  for (const Nv12Image& n : room.nv12) planes.push_back(n.Planes());
  std::vector<const Nv12Planes*> pictures;
  for (const Tile& t : room.tiles) {
    pictures.push_back(t.participant_id == 0 ? nullptr : &planes[t.participant_id - 1]);
  }
  Nv12Image canvas = Nv12Image::Make(out_w, out_h);
  tessera::mixer::Nv12ReferenceCompositor compositor;
  const ComposeOptions options{.downscale = filter};
  for (auto _ : state) {
    const ComposeStats stats = compositor.Compose(room.tiles, pictures, canvas, options);
    benchmark::DoNotOptimize(stats);
    benchmark::DoNotOptimize(canvas.y.data());
  }
}

void BM_CudaCompose(benchmark::State& state, int count, int out_w, int out_h,
                    DownscaleFilter filter) {
  const tessera::Status available = tessera::mixer::CudaComposeAvailable();
  if (!available.ok()) {
    state.SkipWithError(("no CUDA compositor: " + available.message()).c_str());
    return;
  }
#ifdef TESSERA_HAVE_CUDA
  auto created = tessera::mixer::CudaCompositor::Create();
  if (!created.ok()) {
    state.SkipWithError(created.status().message().c_str());
    return;
  }
  std::unique_ptr<tessera::mixer::CudaCompositor> compositor = std::move(created.value());
  const Room room = MakeRoom(count, out_w, out_h);
  // Pictures and canvas in device memory, tightly packed.
  std::vector<void*> buffers;
  auto upload = [&](const Nv12Image& n) -> tessera::codec::Nv12DeviceView {
    void* y = nullptr;
    void* uv = nullptr;
    if (cudaMalloc(&y, n.y.size()) != cudaSuccess || cudaMalloc(&uv, n.uv.size()) != cudaSuccess) {
      return {};
    }
    buffers.push_back(y);
    buffers.push_back(uv);
    (void)cudaMemcpy(y, n.y.data(), n.y.size(), cudaMemcpyHostToDevice);
    (void)cudaMemcpy(uv, n.uv.data(), n.uv.size(), cudaMemcpyHostToDevice);
    return {
        static_cast<uint8_t*>(y), n.width, static_cast<uint8_t*>(uv), n.width, n.width, n.height};
  };
  std::vector<tessera::codec::Nv12DeviceView> views;
  for (const Nv12Image& n : room.nv12) views.push_back(upload(n));
  const tessera::codec::Nv12DeviceView canvas = upload(Nv12Image::Make(out_w, out_h));
  std::vector<const tessera::codec::Nv12DeviceView*> pictures;
  for (const Tile& t : room.tiles) {
    pictures.push_back(t.participant_id == 0 ? nullptr : &views[t.participant_id - 1]);
  }
  const ComposeOptions options{.downscale = filter};
  for (auto _ : state) {
    const ComposeStats stats = compositor->Compose(room.tiles, pictures, canvas, options);
    if (!stats.canvas_valid) {
      state.SkipWithError("Compose failed (see the log)");
      break;
    }
    benchmark::DoNotOptimize(stats);
  }
  for (void* p : buffers) (void)cudaFree(p);
#else
  (void)count;
  (void)out_w;
  (void)out_h;
  (void)filter;
#endif
}

#define TESSERA_COMPOSE_BENCHES(name, count, w, h, filter)                                    \
  BENCHMARK_CAPTURE(BM_CudaCompose, name, count, w, h, filter)                                \
      ->Unit(benchmark::kMicrosecond)                                                         \
      ->UseRealTime();                                                                        \
  BENCHMARK_CAPTURE(BM_CpuCompose, name, count, w, h, filter)->Unit(benchmark::kMicrosecond); \
  BENCHMARK_CAPTURE(BM_ReferenceCompose, name, count, w, h, filter)->Unit(benchmark::kMicrosecond)

TESSERA_COMPOSE_BENCHES(grid3x3_640x360_to_720p_bilinear, 9, 1280, 720, DownscaleFilter::kBilinear);
TESSERA_COMPOSE_BENCHES(grid3x3_640x360_to_720p_box, 9, 1280, 720, DownscaleFilter::kBox);
TESSERA_COMPOSE_BENCHES(grid5x5_640x360_to_1080p_bilinear, 25, 1920, 1080,
                        DownscaleFilter::kBilinear);
TESSERA_COMPOSE_BENCHES(grid5x5_640x360_to_1080p_box, 25, 1920, 1080, DownscaleFilter::kBox);

}  // namespace
