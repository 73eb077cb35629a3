// SrtpSession on arbitrary bytes with a fixed key. Input: one byte choosing the suite (value % 3),
// then the packet. Each input gets fresh sessions, so a crash reproduces from its file alone.
//
// Checks: UnprotectRtp and UnprotectRtcp never crash and reject packets too short to carry a tag;
// whatever ProtectRtp/ProtectRtcp accept, a receiver with the same key gets back byte for byte.
#include <tessera/srtp/srtp_session.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

namespace {

using tessera::srtp::SrtpResult;
using tessera::srtp::SrtpSession;
using tessera::srtp::SrtpSuite;

constexpr uint8_t kKey[30] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
                              0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
                              0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};

std::unique_ptr<SrtpSession> MakeSession(SrtpSuite suite, SrtpSession::Direction direction) {
  auto session = SrtpSession::Create(
      suite, std::span<const uint8_t>(kKey, tessera::srtp::KeyAndSaltLength(suite)), direction);
  if (!session.ok()) abort();
  return std::move(session).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  constexpr SrtpSuite kSuites[] = {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32,
                                   SrtpSuite::kAeadAes128Gcm};
  const SrtpSuite suite = kSuites[data[0] % 3];
  const std::vector<uint8_t> input(data + 1, data + size);

  auto receiver = MakeSession(suite, SrtpSession::Direction::kInbound);
  std::vector<uint8_t> rtp = input;
  const SrtpResult rtp_result = receiver->UnprotectRtp(rtp);
  if (rtp_result == SrtpResult::kOk && input.size() < 12 + tessera::srtp::SrtpTagLength(suite)) {
    abort();
  }
  std::vector<uint8_t> rtcp = input;
  const SrtpResult rtcp_result = receiver->UnprotectRtcp(rtcp);
  if (rtcp_result == SrtpResult::kOk &&
      input.size() < 8 + tessera::srtp::SrtcpTrailerLength(suite)) {
    abort();
  }

  // Round trips through fresh sessions, so replay state from above does not interfere.
  auto sender = MakeSession(suite, SrtpSession::Direction::kOutbound);
  auto peer = MakeSession(suite, SrtpSession::Direction::kInbound);
  std::vector<uint8_t> packet = input;
  if (sender->ProtectRtp(packet) == SrtpResult::kOk) {
    if (packet.size() != input.size() + tessera::srtp::SrtpTagLength(suite)) abort();
    if (peer->UnprotectRtp(packet) != SrtpResult::kOk || packet != input) abort();
  }
  packet = input;
  if (sender->ProtectRtcp(packet) == SrtpResult::kOk) {
    if (packet.size() != input.size() + tessera::srtp::SrtcpTrailerLength(suite)) abort();
    if (peer->UnprotectRtcp(packet) != SrtpResult::kOk || packet != input) abort();
  }
  return 0;
}
