// AudioJitterBuffer cost per packet: one Insert (a 160-byte payload, copied as a depacketizer
// would produce it) and one Pull per 20 ms tick, in order or with 5% of the packets lost.

#include <benchmark/benchmark.h>
#include <tessera/base/clock.h>
#include <tessera/rtp/audio_jitter_buffer.h>

#include <cstdint>
#include <random>
#include <vector>

namespace {

using tessera::FakeClock;
using tessera::rtp::AudioJitterBuffer;
using tessera::rtp::AudioJitterConfig;
using tessera::rtp::AudioPull;

constexpr size_t kPayloadBytes = 160;
constexpr int kPattern = 4096;  // the loss pattern repeats with this period

void BM_InsertPull(benchmark::State& state, double loss) {
  FakeClock clock;
  AudioJitterBuffer jb(AudioJitterConfig{}, clock);
  std::vector<bool> lost(kPattern);
  std::mt19937 rng(42);
  std::bernoulli_distribution lose(loss);
  for (int i = 0; i < kPattern; ++i) lost[i] = i % 8 != 0 && lose(rng);
  const std::vector<uint8_t> payload(kPayloadBytes, 0x5A);
  uint32_t i = 0;
  uint64_t frames = 0;
  for (auto _ : state) {
    if (!lost[i % kPattern]) {
      jb.Insert(static_cast<uint16_t>(i), i * 960, payload, clock.NowUs());
    }
    clock.AdvanceUs(20'000);
    const AudioPull pull = jb.Pull(clock.NowUs());
    frames += pull.kind == AudioPull::Kind::kFrame;
    benchmark::DoNotOptimize(pull);
    ++i;
  }
  if (frames + 100 < static_cast<uint64_t>(state.iterations() * (1 - loss) * 0.98)) {
    state.SkipWithError("frames were not played");
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["concealed"] = static_cast<double>(jb.stats().concealed);
}

BENCHMARK_CAPTURE(BM_InsertPull, in_order, 0.0);
BENCHMARK_CAPTURE(BM_InsertPull, loss_5pct, 0.05);

}  // namespace
