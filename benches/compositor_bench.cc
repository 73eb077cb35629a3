// CpuCompositor::Compose cost per output frame on one core. Goal from the issue: a 3x3 grid of
// 640x360 pictures into a 1280x720 canvas in at most 1.0 ms. Also 5x5 into 1920x1080, and the
// box downscale filter for comparison. Pictures are textured (not solid) so the scalers do real
// work; the layout is computed once outside the timed loop, as in the room. The _threads2 variants
// compose with ComposeOptions::threads = 2 and report wall time (UseRealTime) and the CPU time of
// the whole process, both threads (MeasureProcessCPUTime).

#include <benchmark/benchmark.h>
#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/layout.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace {

using tessera::mixer::ComposeOptions;
using tessera::mixer::ComposeStats;
using tessera::mixer::ComputeLayout;
using tessera::mixer::CpuCompositor;
using tessera::mixer::DownscaleFilter;
using tessera::mixer::I420Frame;
using tessera::mixer::LayoutInput;
using tessera::mixer::Tile;

I420Frame Textured(int w, int h, int seed) {
  I420Frame f = I420Frame::Make(w, h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      f.y[static_cast<size_t>(y * f.stride_y + x)] = static_cast<uint8_t>(x + 3 * y + seed);
    }
  }
  for (int y = 0; y < f.ChromaHeight(); ++y) {
    for (int x = 0; x < f.ChromaWidth(); ++x) {
      f.u[static_cast<size_t>(y * f.stride_u + x)] = static_cast<uint8_t>(x + seed);
      f.v[static_cast<size_t>(y * f.stride_v + x)] = static_cast<uint8_t>(y + seed);
    }
  }
  return f;
}

void BM_Compose(benchmark::State& state, int count, int in_w, int in_h, int out_w, int out_h,
                DownscaleFilter filter, int threads = 1) {
  std::vector<LayoutInput> inputs;
  std::vector<I420Frame> frames;
  for (int i = 0; i < count; ++i) {
    inputs.push_back(LayoutInput{static_cast<uint32_t>(1 + i), in_w, in_h});
    frames.push_back(Textured(in_w, in_h, i * 17));
  }
  const std::vector<Tile> tiles = ComputeLayout({}, out_w, out_h, inputs, 1u);
  std::vector<const I420Frame*> pictures;
  for (const Tile& t : tiles) {
    pictures.push_back(t.participant_id == 0 ? nullptr : &frames[t.participant_id - 1]);
  }
  I420Frame canvas = I420Frame::Make(out_w, out_h);
  CpuCompositor compositor;
  const ComposeOptions options{.downscale = filter, .threads = threads};
  for (auto _ : state) {
    const ComposeStats stats = compositor.Compose(tiles, pictures, canvas, options);
    benchmark::DoNotOptimize(stats);
    benchmark::DoNotOptimize(canvas.y.data());
  }
}

BENCHMARK_CAPTURE(BM_Compose, grid3x3_640x360_to_720p_bilinear, 9, 640, 360, 1280, 720,
                  DownscaleFilter::kBilinear)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Compose, grid3x3_640x360_to_720p_box, 9, 640, 360, 1280, 720,
                  DownscaleFilter::kBox)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Compose, grid5x5_640x360_to_1080p_bilinear, 25, 640, 360, 1920, 1080,
                  DownscaleFilter::kBilinear)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Compose, grid5x5_640x360_to_1080p_box, 25, 640, 360, 1920, 1080,
                  DownscaleFilter::kBox)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Compose, grid3x3_640x360_to_720p_bilinear_threads2, 9, 640, 360, 1280, 720,
                  DownscaleFilter::kBilinear, 2)
    ->Unit(benchmark::kMicrosecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Compose, grid3x3_640x360_to_720p_box_threads2, 9, 640, 360, 1280, 720,
                  DownscaleFilter::kBox, 2)
    ->Unit(benchmark::kMicrosecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Compose, grid5x5_640x360_to_1080p_bilinear_threads2, 25, 640, 360, 1920, 1080,
                  DownscaleFilter::kBilinear, 2)
    ->Unit(benchmark::kMicrosecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Compose, grid2x2_640x360_to_720p_copy, 4, 640, 360, 1280, 720,
                  DownscaleFilter::kBilinear)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
