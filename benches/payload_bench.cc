// Receive path: RTP parse + depacketize per packet (H.264 FU-A and STAP-A, VP8). Send path:
// H.264 packetization of a 30 kB frame. Items are RTP packets, so items_per_second is packets/s.
#include <benchmark/benchmark.h>
#include <tessera/rtp/depacketizer.h>
#include <tessera/rtp/packetizer.h>
#include <tessera/rtp/rtp_packet.h>

#include <cstdint>
#include <vector>

namespace tessera::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Filler(size_t size, uint8_t first) {
  Bytes b(size);
  b[0] = first;
  for (size_t i = 1; i < size; ++i) b[i] = static_cast<uint8_t>(1 + (i * 131) % 255);
  return b;
}

Bytes WireRtp(const Bytes& payload) {
  RtpHeader header;
  header.payload_type = 96;
  header.sequence_number = 1000;
  header.timestamp = 90000;
  header.ssrc = 0x12345678;
  const ExtensionElement abs_send_time{3, {0x12, 0x34, 0x56}};
  const RtpPacket packet = RtpPacket::Build(header, std::span(&abs_send_time, 1), payload);
  return Bytes(packet.data().begin(), packet.data().end());
}

void ParseAndDepacketize(benchmark::State& state, Codec codec, const Bytes& payload) {
  const Bytes wire = WireRtp(payload);
  auto depacketizer = CreateDepacketizer(codec);
  for (auto _ : state) {
    auto packet = RtpPacket::Parse(wire);
    auto out = depacketizer->Parse(packet->payload());
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * wire.size());
}

void BM_RtpParseH264FuA(benchmark::State& state) {
  Bytes fu = Filler(1100, 0x7C);
  fu[1] = 0x05;  // middle fragment of an IDR slice
  ParseAndDepacketize(state, Codec::kH264, fu);
}
BENCHMARK(BM_RtpParseH264FuA);

void BM_RtpParseH264StapA(benchmark::State& state) {
  // SPS (640x360, parsed for the picture size) + PPS + a 200-byte slice.
  const Bytes sps = {0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00,
                     0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f, 0x16, 0x2d, 0x96};
  const Bytes pps = {0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0};
  const Bytes slice = Filler(200, 0x65);
  Bytes stap = {0x78};
  for (const Bytes* nal : {&sps, &pps, &slice}) {
    stap.push_back(static_cast<uint8_t>(nal->size() >> 8));
    stap.push_back(static_cast<uint8_t>(nal->size()));
    stap.insert(stap.end(), nal->begin(), nal->end());
  }
  ParseAndDepacketize(state, Codec::kH264, stap);
}
BENCHMARK(BM_RtpParseH264StapA);

void BM_RtpParseVp8(benchmark::State& state) {
  Bytes vp8 = {0x90, 0x80, 0x81, 0x23};   // X, S, I with 15-bit PictureID
  const Bytes body = Filler(1100, 0x91);  // interframe
  vp8.insert(vp8.end(), body.begin(), body.end());
  ParseAndDepacketize(state, Codec::kVp8, vp8);
}
BENCHMARK(BM_RtpParseVp8);

void BM_H264Packetize30kBFrame(benchmark::State& state) {
  Bytes frame = {0, 0, 0, 1,    0x67, 0x64, 0x00, 0x1e, 0xac, 0,
                 0, 0, 1, 0x68, 0xeb, 0xe3, 0,    0,    0,    1};
  const Bytes idr = Filler(30000, 0x65);
  frame.insert(frame.end(), idr.begin(), idr.end());
  auto packetizer = CreatePacketizer(Codec::kH264);
  size_t packets = 0;
  for (auto _ : state) {
    auto payloads = packetizer->Packetize(frame, true);
    packets += payloads.size();
    benchmark::DoNotOptimize(payloads);
  }
  state.SetItemsProcessed(static_cast<int64_t>(packets));
  state.SetBytesProcessed(state.iterations() * frame.size());
  state.counters["packets_per_frame"] =
      static_cast<double>(packets) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_H264Packetize30kBFrame);

}  // namespace
}  // namespace tessera::rtp
