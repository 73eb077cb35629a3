// TextRenderer cost per call on one core. Goal from the issue: a cached name centred on a 426x240
// placeholder tile of a 1280x720 canvas well under 0.1 ms, since the room draws every placeholder's
// name on every tick. Also a cached label on a video tile, and a cache miss (FreeType rasterises
// the name) for comparison.

#include <benchmark/benchmark.h>
#include <libyuv/planar_functions.h>
#include <tessera/mixer/text_renderer.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using tessera::mixer::I420Frame;
using tessera::mixer::Rect;
using tessera::mixer::TextRenderer;
using tessera::mixer::TextStyle;

std::unique_ptr<TextRenderer> MakeRenderer(benchmark::State& state) {
  auto created = TextRenderer::Create();
  if (!created.ok()) {
    state.SkipWithError(created.status().ToString().c_str());
    return nullptr;
  }
  return std::move(created).value();
}

I420Frame GreyCanvas() {
  I420Frame canvas = I420Frame::Make(1280, 720);
  libyuv::I420Rect(canvas.y.data(), canvas.stride_y, canvas.u.data(), canvas.stride_u,
                   canvas.v.data(), canvas.stride_v, 0, 0, 1280, 720, 48, 128, 128);
  return canvas;
}

void BM_CenteredCached(benchmark::State& state) {
  std::unique_ptr<TextRenderer> renderer = MakeRenderer(state);
  if (!renderer) return;
  I420Frame canvas = GreyCanvas();
  const Rect tile{426, 240, 426, 240};
  const TextStyle style{.pixel_height = static_cast<int>(state.range(0))};
  for (auto _ : state) {
    const Rect drawn = renderer->DrawCentered("Alexandra Whitfield", tile, style, canvas);
    benchmark::DoNotOptimize(drawn);
    benchmark::DoNotOptimize(canvas.y.data());
  }
}
BENCHMARK(BM_CenteredCached)->Arg(24)->Arg(48)->Unit(benchmark::kMicrosecond);

void BM_LabelCached(benchmark::State& state) {
  std::unique_ptr<TextRenderer> renderer = MakeRenderer(state);
  if (!renderer) return;
  I420Frame canvas = GreyCanvas();
  const Rect tile{426, 240, 426, 240};
  const TextStyle style{.pixel_height = 18};
  for (auto _ : state) {
    const Rect drawn = renderer->DrawLabel("Alexandra Whitfield", tile, style, canvas);
    benchmark::DoNotOptimize(drawn);
    benchmark::DoNotOptimize(canvas.y.data());
  }
}
BENCHMARK(BM_LabelCached)->Unit(benchmark::kMicrosecond);

// More distinct names than the cache holds, drawn in turn: every call rasterises.
void BM_CenteredMiss(benchmark::State& state) {
  std::unique_ptr<TextRenderer> renderer = MakeRenderer(state);
  if (!renderer) return;
  I420Frame canvas = GreyCanvas();
  std::vector<std::string> names;
  for (size_t i = 0; i < 2 * TextRenderer::kCacheEntries; ++i) {
    names.push_back("Participant " + std::to_string(1000 + i));
  }
  const Rect tile{426, 240, 426, 240};
  size_t next = 0;
  for (auto _ : state) {
    const Rect drawn = renderer->DrawCentered(names[next], tile, {}, canvas);
    next = (next + 1) % names.size();
    benchmark::DoNotOptimize(drawn);
  }
  state.counters["misses"] = static_cast<double>(renderer->cache_stats().misses);
}
BENCHMARK(BM_CenteredMiss)->Unit(benchmark::kMicrosecond);

}  // namespace
