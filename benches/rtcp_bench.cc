// RTCP parse/build costs and the per-recipient RtpSender hot path.
#include <benchmark/benchmark.h>
#include <tessera/base/clock.h>
#include <tessera/rtp/rtcp/rtcp_compound.h>
#include <tessera/rtp/rtp_sender.h>

#include <cstdint>
#include <vector>

namespace tessera::rtp {
namespace {

// A typical receiver-side compound: SR with one report block, then SDES with the CNAME.
void BM_ParseSrSdesCompound(benchmark::State& state) {
  ReportBlock block{0x23456789, 10, 42, 0x10005, 300, 0xABCDEF01, 0x18000};
  const std::vector<RtcpMessage> messages = {
      SenderReport{0x12345678, {0xE8000001, 0x80000000}, 90000, 100, 100000, {block}},
      Sdes::WithCname(0x12345678, "f1b2c3d4-participant@tessera")};
  const std::vector<uint8_t> bytes = SerializeRtcpCompound(messages);
  for (auto _ : state) {
    auto parsed = ParseRtcpCompound(bytes);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_ParseSrSdesCompound);

// A NACK for state.range(0) lost packets spread over a 3-in-4 loss burst.
void BM_BuildNack(benchmark::State& state) {
  Nack nack{1, 2, {}};
  for (int i = 0; nack.seqs.size() < static_cast<size_t>(state.range(0)); ++i) {
    if (i % 4 != 0) nack.seqs.push_back(static_cast<uint16_t>(65000 + i));
  }
  std::vector<uint8_t> out;
  out.reserve(1500);
  for (auto _ : state) {
    out.clear();
    nack.Serialize(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildNack)->Arg(1)->Arg(16)->Arg(100);

// One 1100-byte video payload stamped, stored in history and returned; items = packets.
void BM_RtpSenderSend(benchmark::State& state) {
  FakeClock clock;
  RtpSender::Config config;
  config.ssrc = 0x1234;
  config.payload_type = 96;
  config.initial_sequence = 0;
  config.initial_timestamp = 0;
  RtpSender sender(config, clock);
  const std::vector<uint8_t> payload(1100, 0x5A);
  uint32_t ts = 0;
  int n = 0;
  for (auto _ : state) {
    if (++n % 8 == 0) {
      ts += 3000;
      clock.AdvanceMs(33);
    }
    RtpPacket pkt = sender.Send(payload, ts, n % 8 == 0, 1);
    benchmark::DoNotOptimize(pkt);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RtpSenderSend);

}  // namespace
}  // namespace tessera::rtp
