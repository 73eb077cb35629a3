// SRTP protect/unprotect throughput for one 1200-byte RTP packet (a typical video packet), per
// suite. Bytes counted are the plain RTP packet. Run: ./build/benches/srtp_bench
#include <benchmark/benchmark.h>
#include <tessera/base/byte_io.h>
#include <tessera/srtp/srtp_session.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace tessera::srtp {
namespace {

constexpr size_t kPacketSize = 1200;
constexpr size_t kBatch = 1024;  // Within the 1024-packet replay window.

std::vector<uint8_t> Key(SrtpSuite suite) {
  std::vector<uint8_t> key(KeyAndSaltLength(suite));
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0x30 + i);
  return key;
}

std::unique_ptr<SrtpSession> MakeSession(SrtpSuite suite, SrtpSession::Direction direction) {
  auto session = SrtpSession::Create(suite, Key(suite), direction);
  return session.ok() ? std::move(session).value() : nullptr;
}

std::vector<uint8_t> MakePacket(uint16_t seq) {
  std::vector<uint8_t> packet(kPacketSize);
  packet[0] = 0x80;
  packet[1] = 96;
  WriteBe16(&packet[2], seq);
  WriteBe32(&packet[4], uint32_t{seq} * 3000);
  WriteBe32(&packet[8], 0x12345678);
  for (size_t i = 12; i < packet.size(); ++i) packet[i] = static_cast<uint8_t>(i);
  return packet;
}

void BM_ProtectRtp(benchmark::State& state, SrtpSuite suite) {
  auto sender = MakeSession(suite, SrtpSession::Direction::kOutbound);
  if (!sender) return state.SkipWithError("SrtpSession::Create failed");
  std::vector<uint8_t> packet = MakePacket(0);
  packet.reserve(2 * kPacketSize);
  uint16_t seq = 0;
  for (auto _ : state) {
    // Re-protecting last round's ciphertext under a new sequence number costs the same as
    // protecting fresh media.
    packet.resize(kPacketSize);
    WriteBe16(&packet[2], ++seq);
    if (sender->ProtectRtp(packet) != SrtpResult::kOk) {
      return state.SkipWithError("ProtectRtp failed");
    }
    benchmark::DoNotOptimize(packet.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPacketSize));
}

// Each packet can be unprotected once, so a batch is protected up front and the receiver is
// recreated (outside the timed region) when the batch runs out. The timed loop includes copying
// the packet into the work buffer, as a receive path copies from its socket buffer.
void BM_UnprotectRtp(benchmark::State& state, SrtpSuite suite) {
  auto sender = MakeSession(suite, SrtpSession::Direction::kOutbound);
  if (!sender) return state.SkipWithError("SrtpSession::Create failed");
  std::vector<std::vector<uint8_t>> batch;
  for (size_t i = 0; i < kBatch; ++i) {
    batch.push_back(MakePacket(static_cast<uint16_t>(i)));
    if (sender->ProtectRtp(batch.back()) != SrtpResult::kOk) {
      return state.SkipWithError("ProtectRtp failed");
    }
  }
  auto receiver = MakeSession(suite, SrtpSession::Direction::kInbound);
  std::vector<uint8_t> work;
  work.reserve(2 * kPacketSize);
  size_t next = 0;
  for (auto _ : state) {
    if (next == kBatch) {
      state.PauseTiming();
      receiver = MakeSession(suite, SrtpSession::Direction::kInbound);
      next = 0;
      state.ResumeTiming();
    }
    work.assign(batch[next].begin(), batch[next].end());
    ++next;
    if (receiver->UnprotectRtp(work) != SrtpResult::kOk) {
      return state.SkipWithError("UnprotectRtp failed");
    }
    benchmark::DoNotOptimize(work.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPacketSize));
}

BENCHMARK_CAPTURE(BM_ProtectRtp, AES_CM_128_HMAC_SHA1_80, SrtpSuite::kAesCm128HmacSha1_80);
BENCHMARK_CAPTURE(BM_ProtectRtp, AEAD_AES_128_GCM, SrtpSuite::kAeadAes128Gcm);
BENCHMARK_CAPTURE(BM_UnprotectRtp, AES_CM_128_HMAC_SHA1_80, SrtpSuite::kAesCm128HmacSha1_80);
BENCHMARK_CAPTURE(BM_UnprotectRtp, AEAD_AES_128_GCM, SrtpSuite::kAeadAes128Gcm);

}  // namespace
}  // namespace tessera::srtp
