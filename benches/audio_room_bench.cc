// CPU of a whole audio room per 20 ms tick: jitter buffers, decode (or concealment), level, mix,
// limiter and one encode per distinct mix, for N Opus participants of which 3 talk and the rest
// send encoded silence. Goal (audio mixer issue): at most 0.4% of a core per participant in a
// 50-participant room, i.e. 80 us of CPU per participant per tick.
#include <benchmark/benchmark.h>
#include <tessera/codec/audio_codec.h>
#include <tessera/session/audio_room.h>

#include <cmath>

namespace tessera::session {
namespace {

void BM_AudioRoomTick(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  constexpr int kSpeakers = 3;
  FakeClock clock;
  AudioRoomConfig rc;
  rc.name = "bench";
  AudioRoom room(rc, clock);
  for (int i = 0; i < n; ++i) {
    AudioParticipantConfig pc;
    pc.id = static_cast<uint32_t>(i + 1);
    pc.codec = rtp::Codec::kOpus;
    if (!room.AddParticipant(pc).ok()) state.SkipWithError("add");
  }
  // Pre-encode 50 packets per sender kind (a tone, or silence) and replay them in a loop.
  auto make_stream = [](double freq) {
    auto enc = codec::CreateAudioEncoder(rtp::Codec::kOpus, {}).value();
    std::vector<std::vector<uint8_t>> packets;
    double phase = 0;
    for (int f = 0; f < 50; ++f) {
      std::vector<float> pcm(codec::kMixFrameSamples);
      for (auto& v : pcm) {
        v = freq > 0 ? static_cast<float>(0.2 * std::sin(phase)) : 0.0f;
        phase += 2 * 3.14159265358979 * freq / codec::kMixRate;
      }
      packets.push_back(enc->Encode(pcm));
    }
    return packets;
  };
  std::vector<std::vector<std::vector<uint8_t>>> streams;
  for (int s = 0; s < kSpeakers; ++s) streams.push_back(make_stream(300 + 200 * s));
  streams.push_back(make_stream(0));
  uint16_t seq = 0;
  uint32_t ts = 0;
  uint64_t outputs = 0;
  for (auto _ : state) {
    for (int i = 0; i < n; ++i) {
      const auto& stream = streams[static_cast<size_t>(std::min(i, kSpeakers))];
      room.OnRtp(static_cast<uint32_t>(i + 1), seq, ts, stream[seq % stream.size()], std::nullopt,
                 clock.NowUs());
    }
    ++seq;
    ts += 960;
    AudioTick tick = room.Tick(clock.NowUs());
    outputs += tick.outputs.size();
    clock.AdvanceMs(20);
  }
  // CPU per tick / n is the cost per participant; / 20 ms gives the share of a core.
  state.counters["participants"] = n;
  state.counters["encodes_per_tick"] = static_cast<double>(room.stats().max_tick_encodes);
  state.counters["outputs_per_tick"] =
      static_cast<double>(outputs) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_AudioRoomTick)->Arg(4)->Arg(30)->Arg(50)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tessera::session
