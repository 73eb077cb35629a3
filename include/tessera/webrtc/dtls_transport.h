// DTLS-SRTP (RFC 5763, RFC 5764) for one WebRTC participant: a DTLS 1.2 handshake over the
// participant's ICE-validated UDP path, authenticated by the SDP a=fingerprint, that yields the
// SRTP master keys of both directions. Backed by OpenSSL 3 working on memory BIOs: the transport
// owns no socket and reads no clock of its own; the caller feeds received datagrams and timer
// ticks and sends what each call returns.
//
// Scope: DTLS 1.2 only; ECDHE-ECDSA with AES-GCM or ChaCha20-Poly1305; no renegotiation, no
// session resumption, no HelloVerifyRequest cookies (ICE connectivity checks already proved the
// peer's address). Application data (WebRTC data channels: SCTP over DTLS) is not supported: it is
// dropped and reported as DtlsDrop::kApplicationData, so SDP must not offer m=application.
//
// Datagrams and the MTU: OpenSSL writes into a memory BIO, which concatenates the records of a
// flight. OpenSSL is told the MTU (SSL_set_mtu, with SSL_OP_NO_QUERY_MTU since a memory BIO cannot
// be asked) and so fragments handshake messages into records of at most `mtu` bytes; the
// transport then cuts its output on record boundaries and packs whole records into datagrams of
// at most `mtu` bytes (PackDtlsRecords). Received datagrams are checked to be whole DTLS 1.0/1.2
// records (SplitDtlsRecords) before OpenSSL sees them, one datagram at a time.
//
// Timers: OpenSSL 3.0 measures its retransmission timer on the real clock (gettimeofday) and has
// no hook to inject another; the handshake deadline and datagram cap are ours and use the
// `now_us` the caller passes (monotonic microseconds, Clock::NowUs()). After every call, re-arm a
// single timer for NextTimeout(now_us) and call OnTimer when it fires; an early OnTimer is
// harmless.
#pragma once

#include <tessera/base/status.h>
#include <tessera/srtp/srtp_suite.h>
#include <tessera/webrtc/dtls_certificate.h>
#include <tessera/webrtc/dtls_result.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace tessera::webrtc {

struct DtlsTransportOptions {
  // Largest datagram we send, in bytes of UDP payload. 1200 leaves room for IPv6, UDP and TURN
  // channel headers on any path that carries WebRTC media.
  size_t mtu = 1200;
  // SRTP protection profiles to offer (client) or accept (server), most preferred first; the
  // server's order decides. kAesCm128HmacSha1_32 is allowed but not offered by default.
  std::vector<srtp::SrtpSuite> srtp_profiles = {srtp::SrtpSuite::kAeadAes128Gcm,
                                                srtp::SrtpSuite::kAesCm128HmacSha1_80};
  // Fail with kHandshakeTimeout when not connected this long after Start() or the first
  // datagram, whichever came first (checked by OnTimer; NextTimeout includes the deadline).
  std::chrono::milliseconds handshake_timeout{30'000};
  // Fail with kTooManyPackets when more datagrams than this arrive before connected. A normal
  // handshake takes 2 or 3 flights from the peer, a lossy one a few more retransmissions.
  size_t max_handshake_datagrams = 64;
  // OpenSSL's retransmission timer: first wait, doubled per retransmission up to the maximum
  // (RFC 6347 4.2.4.1 suggests 1 s initially). OpenSSL gives up after 12 retransmissions.
  std::chrono::milliseconds initial_retransmit_timeout{1000};
  std::chrono::milliseconds max_retransmit_timeout{8000};
};

// One participant's DTLS association.
//
// Runs on: its participant's network shard; asserted in debug builds (bound on first call). May be
// created on another thread. Methods never throw and accept arbitrary bytes.
class DtlsTransport {
 public:
  // Received datagrams longer than this are dropped (kTooLarge) before OpenSSL sees them.
  static constexpr size_t kMaxDatagramSize = 16384;

  // `remote_fingerprints`: every a=fingerprint of the peer's SDP (RFC 8122 allows several); the
  // peer's certificate must match one. INVALID_ARGUMENT for a null certificate, no fingerprints,
  // no or unknown SRTP profiles, an MTU outside 256..kMaxDatagramSize, or zero limits; INTERNAL
  // if OpenSSL refuses the configuration. Makes one SSL_CTX per transport (a few hundred
  // microseconds: control plane).
  static StatusOr<std::unique_ptr<DtlsTransport>> Create(
      DtlsRole role, std::shared_ptr<const DtlsCertificate> certificate,
      std::vector<SdpFingerprint> remote_fingerprints, DtlsTransportOptions options = {});

  virtual ~DtlsTransport() = default;
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  virtual DtlsRole role() const = 0;
  virtual DtlsState state() const = 0;

  // Starts the handshake clock (both roles) and, for a client, returns the ClientHello flight.
  // Only the first call does anything. A server also starts on its first datagram.
  [[nodiscard]] virtual DtlsResult Start(int64_t now_us) = 0;

  // Feeds one received datagram (classified as DTLS by its first byte, RFC 7983). Returns the
  // datagrams to send (the next flight, a retransmission, an alert), any state change, and a drop
  // reason when the datagram was refused. Retransmitted or duplicated flights are expected and
  // handled by OpenSSL.
  [[nodiscard]] virtual DtlsResult HandleDatagram(std::span<const uint8_t> datagram,
                                                  int64_t now_us) = 0;

  // Checks the handshake deadline and lets OpenSSL retransmit its last flight if its timer
  // expired.
  [[nodiscard]] virtual DtlsResult OnTimer(int64_t now_us) = 0;

  // How long until OnTimer should run: the sooner of OpenSSL's retransmission timer and the
  // handshake deadline. nullopt when nothing is pending (connected and idle, failed, closed, or a
  // server not started yet). Zero means now.
  virtual std::optional<std::chrono::microseconds> NextTimeout(int64_t now_us) const = 0;

  // Ends the session: a close_notify alert to send if connected, state kClosed, event kClosed.
  // Later datagrams are dropped (kNotActive). Calling it again returns nothing.
  [[nodiscard]] virtual DtlsResult Close() = 0;

 protected:
  DtlsTransport() = default;
};

}  // namespace tessera::webrtc
