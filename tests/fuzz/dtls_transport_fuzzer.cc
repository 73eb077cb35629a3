// A DTLS server (DtlsTransport, role server) fed whatever a browser, or anyone on the ICE-checked
// path, could send. Input: a sequence of [2-byte big-endian length][that many bytes] datagrams (a
// short last one takes what is left); the length 0xFFFF instead advances the clock one second and
// fires OnTimer (30 of them reach the handshake deadline). Each input gets a fresh transport; the
// certificate is made once. Seeds: tests/fuzz/dtls_seeds.py.
//
// Checks: nothing crashes; no keys ever come out (the client fingerprint the server expects
// matches no certificate, and the fuzzer has no client key anyway); every datagram the server
// sends parses as whole DTLS records.
#include <tessera/webrtc/dtls_certificate.h>
#include <tessera/webrtc/dtls_record.h>
#include <tessera/webrtc/dtls_transport.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <utility>
#include <vector>

#include "fuzz_input.h"

namespace {

using tessera::webrtc::DtlsResult;

constexpr uint16_t kTimerMarker = 0xFFFF;

const std::shared_ptr<const tessera::webrtc::DtlsCertificate>& Certificate() {
  static const std::shared_ptr<const tessera::webrtc::DtlsCertificate> cert = [] {
    auto generated = tessera::webrtc::DtlsCertificate::Generate();
    if (!generated.ok()) abort();
    return *generated;
  }();
  return cert;
}

void Check(const DtlsResult& result) {
  if (result.keys.has_value() || result.event == DtlsResult::Event::kConnected) abort();
  for (const std::vector<uint8_t>& datagram : result.datagrams) {
    if (!tessera::webrtc::SplitDtlsRecords(datagram)) abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const tessera::webrtc::SdpFingerprint nobody{"sha-256", std::vector<uint8_t>(32, 0xAB)};
  // OpenSSL's retransmission timer runs on the real clock; at 60 s it never fires within a run,
  // so a run does not depend on the machine's speed. OnTimer still checks the handshake deadline,
  // which runs on now_us.
  tessera::webrtc::DtlsTransportOptions options;
  options.initial_retransmit_timeout = std::chrono::seconds(60);
  options.max_retransmit_timeout = std::chrono::seconds(60);
  auto created = tessera::webrtc::DtlsTransport::Create(tessera::webrtc::DtlsRole::kServer,
                                                        Certificate(), {nobody}, options);
  if (!created.ok()) abort();
  std::unique_ptr<tessera::webrtc::DtlsTransport> server = std::move(created).value();

  tessera::fuzz::Input in({data, size});
  int64_t now_us = 1'000'000;
  while (!in.empty()) {
    const uint16_t length = in.U16();
    if (length == kTimerMarker) {
      now_us += 1'000'000;
      Check(server->OnTimer(now_us));
      continue;
    }
    std::vector<uint8_t> datagram;
    for (uint16_t i = 0; i < length && !in.empty(); ++i) datagram.push_back(in.Byte());
    now_us += 10'000;
    Check(server->HandleDatagram(datagram, now_us));
  }
  (void)server->NextTimeout(now_us);
  Check(server->Close());
  return 0;
}
