// What DtlsTransport (dtls_transport.h) reports: roles and states, the reasons a handshake fails
// or a datagram is dropped (stable metrics labels), and the SRTP keys a handshake yields.
#pragma once

#include <tessera/srtp/srtp_suite.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessera::webrtc {

enum class DtlsRole : uint8_t {
  kServer,  // We answered a=setup:actpass with a=setup:passive: the browser sends ClientHello.
  kClient,  // We are a=setup:active: Start() sends ClientHello.
};
const char* DtlsRoleName(DtlsRole role);  // "server", "client"

enum class DtlsState : uint8_t { kNew, kConnecting, kConnected, kFailed, kClosed };
const char* DtlsStateName(DtlsState state);  // "new", "connecting", "connected", ...

// Why a handshake or a session ended in kFailed. Names are stable metrics labels.
enum class DtlsFailure : uint8_t {
  kFingerprintMismatch,  // "fingerprint_mismatch": the peer's certificate is not the SDP's
  kHandshakeTimeout,     // "handshake_timeout": not connected within handshake_timeout, or
                         // OpenSSL gave up retransmitting
  kProtocolError,        // "protocol_error": OpenSSL refused the peer's messages
  kPeerAlert,            // "peer_alert": the peer sent a fatal alert
  kTooManyPackets,       // "too_many_packets": over max_handshake_datagrams before connected
  kNoSrtpProfile,        // "no_srtp_profile": no use_srtp extension, or no common profile
  kKeyExport,            // "key_export": the SRTP keying material could not be exported
};
const char* DtlsFailureName(DtlsFailure failure);

// Why a received datagram was dropped without affecting the session. Stable metrics labels.
enum class DtlsDrop : uint8_t {
  kMalformed,           // "malformed": not one or more whole DTLS records
  kTooLarge,            // "too_large": longer than DtlsTransport::kMaxDatagramSize
  kUnsupportedVersion,  // "unsupported_version": a DTLS 1.3 record
  kApplicationData,     // "application_data": data channels are not supported
  kNotActive,           // "not_active": the session already failed or closed
};
const char* DtlsDropName(DtlsDrop drop);

// The SRTP master keys of both directions, each as master key followed by master salt
// (KeyAndSaltLength(suite) bytes): the form srtp::SrtpSession::Create takes. `local` protects what
// we send (SrtpSession::Direction::kOutbound), `remote` unprotects what the peer sends
// (kInbound). Secret: call Wipe() once the SRTP sessions are made.
struct SrtpKeys {
  srtp::SrtpSuite suite = srtp::SrtpSuite::kAesCm128HmacSha1_80;
  std::vector<uint8_t> local_key_salt;
  std::vector<uint8_t> remote_key_salt;
  // Overwrites both keys with zeros (OPENSSL_cleanse) and empties them.
  void Wipe();
};

// What one call produced. Send `datagrams` to the peer in order, whatever the event.
struct [[nodiscard]] DtlsResult {
  enum class Event : uint8_t {
    kNone,
    kConnected,  // handshake done and peer authenticated; `keys` is set (only with this event)
    kFailed,     // `failure` and `failure_detail` say why; no keys, now or later
    kClosed,     // close_notify received, or Close() called; no more datagrams are accepted
  };
  std::vector<std::vector<uint8_t>> datagrams;
  Event event = Event::kNone;
  std::optional<SrtpKeys> keys;
  std::optional<DtlsFailure> failure;
  std::string failure_detail;    // for logs: OpenSSL's error text, or ours
  std::optional<DtlsDrop> drop;  // the received datagram was dropped (count by reason)
};

}  // namespace tessera::webrtc
