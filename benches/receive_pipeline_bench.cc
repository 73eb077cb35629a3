// The whole receive path of one video stream on one core: RTP parse -> depacketize -> receive
// statistics -> NACK tracking -> jitter buffer -> complete frames, with and without SRTP.
// Items processed = RTP packets; divide by CPU time for packets per second per core.
#include <benchmark/benchmark.h>
#include <tessera/rtp/packetizer.h>
#include <tessera/rtp/rtp_sender.h>
#include <tessera/rtp/video_receive_stream.h>
#include <tessera/srtp/srtp_session.h>

#include "unit/rtp/h264_test_data.h"

namespace tessera::rtp {
namespace {

// A 640x360@30-like stream: a 20 kB keyframe every 30 frames, 4 kB delta frames, in Annex B.
std::vector<std::vector<uint8_t>> MakeWirePackets(int frames, bool srtp) {
  FakeClock clock;
  RtpSender::Config sc;
  sc.ssrc = 0x5EED;
  sc.payload_type = 96;
  sc.initial_sequence = 1;
  RtpSender sender(sc, clock);
  auto packetizer = CreatePacketizer(Codec::kH264);
  std::unique_ptr<srtp::SrtpSession> protect;
  if (srtp) {
    std::vector<uint8_t> key(30, 0x42);
    protect = srtp::SrtpSession::Create(srtp::SrtpSuite::kAesCm128HmacSha1_80, key,
                                        srtp::SrtpSession::Direction::kOutbound)
                  .value();
  }
  std::vector<std::vector<uint8_t>> wire;
  for (int i = 0; i < frames; ++i) {
    const bool key = i % 30 == 0;
    const auto frame =
        key ? testing::AnnexB({testing::kSps640x360, testing::kPps, testing::MakeNal(0x65, 20000)})
            : testing::AnnexB({testing::MakeNal(0x41, 4000, static_cast<uint32_t>(i))});
    auto payloads = packetizer->Packetize(frame, key);
    for (size_t k = 0; k < payloads.size(); ++k) {
      RtpPacket p =
          sender.Send(payloads[k], static_cast<uint32_t>(i * 3000), k + 1 == payloads.size(), 1);
      std::vector<uint8_t> bytes(p.data().begin(), p.data().end());
      if (protect) (void)protect->ProtectRtp(bytes);
      wire.push_back(std::move(bytes));
    }
  }
  return wire;
}

void RunPipeline(benchmark::State& state, bool srtp) {
  const auto wire = MakeWirePackets(300, srtp);
  std::vector<uint8_t> key(30, 0x42);
  uint64_t frames = 0;
  for (auto _ : state) {
    state.PauseTiming();
    FakeClock clock;
    VideoReceiveStream stream(VideoReceiveStreamConfig{}, clock, nullptr);
    std::unique_ptr<srtp::SrtpSession> unprotect;
    if (srtp) {
      unprotect = srtp::SrtpSession::Create(srtp::SrtpSuite::kAesCm128HmacSha1_80, key,
                                            srtp::SrtpSession::Direction::kInbound)
                      .value();
    }
    std::vector<uint8_t> scratch;
    state.ResumeTiming();
    for (const auto& bytes : wire) {
      std::span<const uint8_t> clear = bytes;
      if (unprotect) {
        scratch.assign(bytes.begin(), bytes.end());
        if (unprotect->UnprotectRtp(scratch) != srtp::SrtpResult::kOk) state.SkipWithError("srtp");
        clear = scratch;
      }
      auto packet = RtpPacket::Parse(clear);
      auto out = stream.OnRtp(*packet, clock.NowUs());
      frames += out.frames.size();
      clock.AdvanceUs(100);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
  if (frames == 0) state.SkipWithError("no frame came out of the pipeline");
  state.counters["frames_per_iter"] =
      benchmark::Counter(static_cast<double>(frames) / static_cast<double>(state.iterations()));
}

void BM_ReceivePipelinePlainRtp(benchmark::State& state) { RunPipeline(state, false); }
void BM_ReceivePipelineSrtp(benchmark::State& state) { RunPipeline(state, true); }
BENCHMARK(BM_ReceivePipelinePlainRtp)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ReceivePipelineSrtp)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tessera::rtp
