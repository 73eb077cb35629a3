#include "srtp/srtp_library.h"

#include <mutex>
#include <string>

namespace tessera::deps {

namespace {

// Creates one idle context that lives until the process exits. Crypto backends that refcount
// their global state tear it down when the last context goes: Debian's libsrtp2 is built on NSS,
// which then unloads its softoken and loads it again for the next srtp_create (~0.9 ms instead of
// ~10-35 us). The server's first call, and every call after the server went idle, would pay that.
srtp_err_status_t KeepCryptoBackendLoaded() {
  static srtp_t keep_alive = nullptr;  // Reachable for leak checkers; never freed on purpose.
  srtp_policy_t policy{};
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  unsigned char key[SRTP_AES_ICM_128_KEY_LEN_WSALT] = {};
  policy.key = key;
  policy.ssrc.type = ssrc_any_outbound;
  return srtp_create(&keep_alive, &policy);
}

}  // namespace

Status EnsureSrtpInitialized() {
  static std::once_flag once;
  static Status result;
  std::call_once(once, [] {
    if (const srtp_err_status_t status = srtp_init(); status != srtp_err_status_ok) {
      result = SrtpError("srtp_init", status);
    } else if (const srtp_err_status_t status = KeepCryptoBackendLoaded();
               status != srtp_err_status_ok) {
      result = SrtpError("srtp_create (keep-alive context)", status);
    }
  });
  return result;
}

const char* SrtpErrorText(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_ok:
      return "ok";
    case srtp_err_status_fail:
      return "unspecified failure";
    case srtp_err_status_bad_param:
      return "unsupported parameter";
    case srtp_err_status_alloc_fail:
      return "memory allocation failed";
    case srtp_err_status_dealloc_fail:
      return "memory deallocation failed";
    case srtp_err_status_init_fail:
      return "initialisation failed";
    case srtp_err_status_terminus:
      return "cannot process that much data";
    case srtp_err_status_auth_fail:
      return "authentication failure";
    case srtp_err_status_cipher_fail:
      return "cipher failure";
    case srtp_err_status_replay_fail:
      return "replayed packet";
    case srtp_err_status_replay_old:
      return "packet too old for the replay window";
    case srtp_err_status_algo_fail:
      return "algorithm self-test failed";
    case srtp_err_status_no_such_op:
      return "unsupported operation";
    case srtp_err_status_no_ctx:
      return "no matching stream context";
    case srtp_err_status_cant_check:
      return "cannot check authentication";
    case srtp_err_status_key_expired:
      return "key expired";
    case srtp_err_status_socket_err:
      return "socket error";
    case srtp_err_status_signal_err:
      return "signal error";
    case srtp_err_status_nonce_bad:
      return "bad nonce";
    case srtp_err_status_read_fail:
      return "read failed";
    case srtp_err_status_write_fail:
      return "write failed";
    case srtp_err_status_parse_err:
      return "malformed packet";
    case srtp_err_status_encode_err:
      return "encoding failed";
    case srtp_err_status_semaphore_err:
      return "semaphore error";
    case srtp_err_status_pfkey_err:
      return "pfkey error";
    case srtp_err_status_bad_mki:
      return "unknown MKI";
    case srtp_err_status_pkt_idx_old:
      return "packet index too old";
    case srtp_err_status_pkt_idx_adv:
      return "packet index advanced too far";
  }
  return "unknown libsrtp error";
}

Status SrtpError(const char* context, srtp_err_status_t status) {
  return InternalError(std::string(context) + ": " + SrtpErrorText(status) + " (libsrtp error " +
                       std::to_string(static_cast<int>(status)) + ")");
}

void SrtpContextDeleter::operator()(srtp_ctx_t* ctx) const {
  if (ctx != nullptr) srtp_dealloc(ctx);
}

}  // namespace tessera::deps
