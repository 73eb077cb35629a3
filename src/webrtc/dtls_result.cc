#include <openssl/crypto.h>
#include <tessera/webrtc/dtls_result.h>

namespace tessera::webrtc {

const char* DtlsRoleName(DtlsRole role) { return role == DtlsRole::kServer ? "server" : "client"; }

const char* DtlsStateName(DtlsState state) {
  switch (state) {
    case DtlsState::kNew:
      return "new";
    case DtlsState::kConnecting:
      return "connecting";
    case DtlsState::kConnected:
      return "connected";
    case DtlsState::kFailed:
      return "failed";
    case DtlsState::kClosed:
      return "closed";
  }
  return "unknown";
}

const char* DtlsFailureName(DtlsFailure failure) {
  switch (failure) {
    case DtlsFailure::kFingerprintMismatch:
      return "fingerprint_mismatch";
    case DtlsFailure::kHandshakeTimeout:
      return "handshake_timeout";
    case DtlsFailure::kProtocolError:
      return "protocol_error";
    case DtlsFailure::kPeerAlert:
      return "peer_alert";
    case DtlsFailure::kTooManyPackets:
      return "too_many_packets";
    case DtlsFailure::kNoSrtpProfile:
      return "no_srtp_profile";
    case DtlsFailure::kKeyExport:
      return "key_export";
  }
  return "unknown";
}

const char* DtlsDropName(DtlsDrop drop) {
  switch (drop) {
    case DtlsDrop::kMalformed:
      return "malformed";
    case DtlsDrop::kTooLarge:
      return "too_large";
    case DtlsDrop::kUnsupportedVersion:
      return "unsupported_version";
    case DtlsDrop::kApplicationData:
      return "application_data";
    case DtlsDrop::kNotActive:
      return "not_active";
  }
  return "unknown";
}

void SrtpKeys::Wipe() {
  if (!local_key_salt.empty()) OPENSSL_cleanse(local_key_salt.data(), local_key_salt.size());
  if (!remote_key_salt.empty()) OPENSSL_cleanse(remote_key_salt.data(), remote_key_salt.size());
  local_key_salt.clear();
  remote_key_salt.clear();
}

}  // namespace tessera::webrtc
