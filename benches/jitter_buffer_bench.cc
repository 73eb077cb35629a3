// VideoJitterBuffer::Insert throughput: 3 packets per frame, 1100-byte payloads (copied into
// each packet, as a depacketizer would produce them), in order or with 5% of the packets
// swapped with their successor.

#include <benchmark/benchmark.h>
#include <tessera/base/clock.h>
#include <tessera/rtp/jitter_buffer.h>

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace {

using tessera::FakeClock;
using tessera::rtp::Codec;
using tessera::rtp::JitterPacket;
using tessera::rtp::VideoJitterBuffer;

constexpr int kPacketsPerFrame = 3;
constexpr int kPattern = 3000;          // packets; the arrival order repeats with this period
constexpr int kKeyframeInterval = 300;  // frames
constexpr size_t kPayloadBytes = 1100;

// Arrival order of packet indices 0..n-1 with `fraction` of them swapped with their successor.
std::vector<int> ArrivalOrder(int n, double fraction) {
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::mt19937 rng(42);
  std::bernoulli_distribution swap(fraction);
  for (int i = 0; i + 1 < n; ++i) {
    if (swap(rng)) {
      std::swap(order[i], order[i + 1]);
      ++i;  // leave the moved packet where it is
    }
  }
  return order;
}

void BM_Insert(benchmark::State& state, double reorder_fraction) {
  FakeClock clock;
  VideoJitterBuffer jb(VideoJitterBuffer::Config{}, Codec::kVp8, clock);
  const std::vector<int> order = ArrivalOrder(kPattern, reorder_fraction);
  const std::vector<uint8_t> payload(kPayloadBytes, 0x5A);
  int64_t base = 0;
  size_t next = 0;
  uint64_t frames = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    const int64_t index = base + order[next];
    const int64_t frame = index / kPacketsPerFrame;
    const int64_t in_frame = index % kPacketsPerFrame;
    JitterPacket p;
    p.seq = static_cast<uint16_t>(index);
    p.timestamp = static_cast<uint32_t>(frame * 3000);
    p.marker = in_frame == kPacketsPerFrame - 1;
    p.arrival_us = clock.NowUs();
    p.payload.data = payload;
    p.payload.frame_start = in_frame == 0;
    p.payload.keyframe = frame % kKeyframeInterval == 0;
    auto result = jb.Insert(std::move(p));
    frames += result.frames.size();
    for (const auto& f : result.frames) bytes += f.data.size();
    benchmark::DoNotOptimize(result);
    if (++next == order.size()) {
      next = 0;
      base += kPattern;
    }
  }
  if (static_cast<int64_t>(jb.stats().frames_emitted) + 1 < state.iterations() / kPacketsPerFrame) {
    state.SkipWithError("frames were lost");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["packets/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["frames"] = static_cast<double>(frames);
}

BENCHMARK_CAPTURE(BM_Insert, in_order, 0.0);
BENCHMARK_CAPTURE(BM_Insert, reorder_5pct, 0.05);

}  // namespace
