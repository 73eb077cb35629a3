#include <openssl/err.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/time.h>
#include <tessera/base/thread_checker.h>
#include <tessera/webrtc/dtls_record.h>
#include <tessera/webrtc/dtls_transport.h>

#include <algorithm>
#include <array>
#include <climits>
#include <string>
#include <utility>
#include <vector>

#include "webrtc/dtls_srtp.h"
#include "webrtc/openssl_handles.h"

namespace tessera::webrtc {
namespace {

using std::chrono::microseconds;

// ECDHE key exchange, ECDSA certificates (what browsers generate), AEAD ciphers only.
constexpr char kCipherList[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305";
constexpr char kGroups[] = "X25519:P-256";
constexpr char kMismatchText[] = "certificate fingerprint does not match the SDP";
constexpr size_t kMinMtu = 256;
// SSL_read calls per received datagram after the handshake; a datagram holds few records, this
// only bounds the loop whatever OpenSSL does.
constexpr int kMaxReadsPerDatagram = 64;

unsigned int ToTimerUs(std::chrono::milliseconds ms) {
  const int64_t us = std::max<int64_t>(ms.count(), 1) * 1000;
  return static_cast<unsigned int>(std::min<int64_t>(us, UINT_MAX));
}

class OpenSslDtlsTransport final : public DtlsTransport {
 public:
  OpenSslDtlsTransport(DtlsRole role, std::shared_ptr<const DtlsCertificate> certificate,
                       std::vector<SdpFingerprint> remote_fingerprints,
                       DtlsTransportOptions options)
      : role_(role),
        certificate_(std::move(certificate)),
        remote_fingerprints_(std::move(remote_fingerprints)),
        options_(std::move(options)) {}

  // Builds the SSL_CTX and SSL; `profiles` is the use_srtp list in OpenSSL's spelling.
  Status Init(const std::string& profiles);

  DtlsRole role() const override { return role_; }
  DtlsState state() const override { return state_; }
  DtlsResult Start(int64_t now_us) override;
  DtlsResult HandleDatagram(std::span<const uint8_t> datagram, int64_t now_us) override;
  DtlsResult OnTimer(int64_t now_us) override;
  std::optional<microseconds> NextTimeout(int64_t now_us) const override;
  DtlsResult Close() override;

  // Called by OpenSSL from inside SSL_do_handshake, so on our thread.
  bool VerifyPeer(const X509* leaf);
  unsigned int RetransmitTimeoutUs(unsigned int previous_us) const;

 private:
  bool active() const { return state_ != DtlsState::kFailed && state_ != DtlsState::kClosed; }
  int64_t handshake_timeout_us() const {
    return std::chrono::duration_cast<microseconds>(options_.handshake_timeout).count();
  }
  void BeginHandshake(int64_t now_us);
  void ContinueHandshake(DtlsResult& result);
  void CompleteHandshake(DtlsResult& result);
  void ReadConnected(DtlsResult& result);
  void FailFromOpenSsl(DtlsResult& result, int ssl_error);
  // `notify_peer`: the handshake completed in OpenSSL's eyes, so tell the peer with close_notify.
  void Fail(DtlsResult& result, DtlsFailure failure, std::string detail, bool notify_peer = false);
  void Flush(DtlsResult& result);

  const DtlsRole role_;
  const std::shared_ptr<const DtlsCertificate> certificate_;
  const std::vector<SdpFingerprint> remote_fingerprints_;
  const DtlsTransportOptions options_;
  ossl::SslCtxPtr ctx_;
  ossl::SslPtr ssl_;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;  // owned by ssl_
  DtlsState state_ = DtlsState::kNew;
  std::optional<int64_t> started_us_;
  size_t handshake_datagrams_ = 0;
  bool fingerprint_mismatch_ = false;
  ThreadChecker checker_;
};

OpenSslDtlsTransport* FromSsl(const SSL* ssl) {
  return ssl == nullptr ? nullptr : static_cast<OpenSslDtlsTransport*>(SSL_get_app_data(ssl));
}

// Replaces OpenSSL's chain verification: WebRTC certificates are self-signed and no CA is
// trusted; the only check that matters is the leaf against the SDP fingerprints (RFC 5763 5).
int VerifyCertificate(X509_STORE_CTX* store, void* /*arg*/) {
  const auto* ssl = static_cast<const SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  OpenSslDtlsTransport* self = FromSsl(ssl);
  if (self != nullptr && self->VerifyPeer(X509_STORE_CTX_get0_cert(store))) {
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

unsigned int RetransmitTimer(SSL* ssl, unsigned int previous_us) {
  const OpenSslDtlsTransport* self = FromSsl(ssl);
  return self != nullptr ? self->RetransmitTimeoutUs(previous_us) : 1'000'000;
}

Status OpenSslDtlsTransport::Init(const std::string& profiles) {
  ERR_clear_error();
  ctx_.reset(SSL_CTX_new(DTLS_method()));
  if (!ctx_) return InternalError("DTLS: SSL_CTX_new: " + ossl::TakeOpenSslError());
  SSL_CTX* ctx = ctx_.get();
  if (SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) != 1) {
    return InternalError("DTLS: cannot limit the protocol to DTLS 1.2: " +
                         ossl::TakeOpenSslError());
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_set_cipher_list(ctx, kCipherList) != 1 ||
      SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
    return InternalError("DTLS: cipher suites or groups refused: " + ossl::TakeOpenSslError());
  }
  if (SSL_CTX_use_certificate(ctx, certificate_->x509()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, certificate_->private_key()) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    return InternalError("DTLS: certificate or key refused: " + ossl::TakeOpenSslError());
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, &VerifyCertificate, nullptr);
  // Unlike most of OpenSSL, 0 means success here.
  if (SSL_CTX_set_tlsext_use_srtp(ctx, profiles.c_str()) != 0) {
    return InternalError("DTLS: SRTP profiles '" + profiles +
                         "' refused: " + ossl::TakeOpenSslError());
  }

  ssl_.reset(SSL_new(ctx));
  if (!ssl_) return InternalError("DTLS: SSL_new: " + ossl::TakeOpenSslError());
  SSL* ssl = ssl_.get();
  if (SSL_set_app_data(ssl, this) != 1) {
    return InternalError("DTLS: SSL_set_app_data: " + ossl::TakeOpenSslError());
  }
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  if (rbio == nullptr || wbio == nullptr) {
    BIO_free(rbio);
    BIO_free(wbio);
    return InternalError("DTLS: BIO_new: " + ossl::TakeOpenSslError());
  }
  // An empty BIO reads as "retry later", not end of file, so OpenSSL reports SSL_ERROR_WANT_READ.
  BIO_set_mem_eof_return(rbio, -1);
  BIO_set_mem_eof_return(wbio, -1);
  SSL_set_bio(ssl, rbio, wbio);
  rbio_ = rbio;
  wbio_ = wbio;
  // SSL_OP_NO_QUERY_MTU (set above, inherited by SSL_new) keeps this value: a memory BIO has no
  // path MTU to query.
  if (SSL_set_mtu(ssl, static_cast<long>(options_.mtu)) <= 0) {
    return InvalidArgumentError("DTLS: OpenSSL refuses an MTU of " + std::to_string(options_.mtu));
  }
  DTLS_set_timer_cb(ssl, &RetransmitTimer);
  if (role_ == DtlsRole::kServer) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
  }
  ERR_clear_error();
  return Status::Ok();
}

bool OpenSslDtlsTransport::VerifyPeer(const X509* leaf) {
  for (const SdpFingerprint& fingerprint : remote_fingerprints_) {
    if (CertificateMatches(leaf, fingerprint)) return true;
  }
  fingerprint_mismatch_ = true;
  return false;
}

unsigned int OpenSslDtlsTransport::RetransmitTimeoutUs(unsigned int previous_us) const {
  if (previous_us == 0) return ToTimerUs(options_.initial_retransmit_timeout);
  const uint64_t doubled = uint64_t{previous_us} * 2;
  return static_cast<unsigned int>(
      std::min<uint64_t>(doubled, ToTimerUs(options_.max_retransmit_timeout)));
}

void OpenSslDtlsTransport::BeginHandshake(int64_t now_us) {
  started_us_ = now_us;
  state_ = DtlsState::kConnecting;
}

DtlsResult OpenSslDtlsTransport::Start(int64_t now_us) {
  TESSERA_DCHECK_RUN_ON(checker_);
  DtlsResult result;
  if (state_ != DtlsState::kNew) return result;
  BeginHandshake(now_us);
  if (role_ == DtlsRole::kClient) ContinueHandshake(result);
  Flush(result);
  return result;
}

DtlsResult OpenSslDtlsTransport::HandleDatagram(std::span<const uint8_t> datagram, int64_t now_us) {
  TESSERA_DCHECK_RUN_ON(checker_);
  DtlsResult result;
  if (!active()) {
    result.drop = DtlsDrop::kNotActive;
    return result;
  }
  if (datagram.size() > kMaxDatagramSize) {
    result.drop = DtlsDrop::kTooLarge;
    return result;
  }
  const std::optional<std::vector<DtlsRecordView>> records = SplitDtlsRecords(datagram);
  if (!records) {
    result.drop = DtlsDrop::kMalformed;
    return result;
  }
  bool only_application_data = true;
  for (const DtlsRecordView& record : *records) {
    if (record.version == kDtls13Version) {
      result.drop = DtlsDrop::kUnsupportedVersion;
      return result;
    }
    if (record.content_type != static_cast<uint8_t>(DtlsContentType::kApplicationData)) {
      only_application_data = false;
    }
  }
  if (state_ == DtlsState::kConnected) {
    if (only_application_data) {  // the common case for a data channel: spare OpenSSL the work
      result.drop = DtlsDrop::kApplicationData;
      return result;
    }
  } else {
    if (state_ == DtlsState::kNew) BeginHandshake(now_us);
    if (++handshake_datagrams_ > options_.max_handshake_datagrams) {
      Fail(result, DtlsFailure::kTooManyPackets,
           "more than " + std::to_string(options_.max_handshake_datagrams) +
               " datagrams before the handshake completed");
      return result;
    }
  }
  // One datagram at a time: OpenSSL reads a memory BIO as one datagram, so nothing of an earlier
  // one may linger (OpenSSL normally consumes everything; this makes it certain).
  (void)BIO_reset(rbio_);
  if (BIO_write(rbio_, datagram.data(), static_cast<int>(datagram.size())) !=
      static_cast<int>(datagram.size())) {
    Fail(result, DtlsFailure::kProtocolError, "BIO_write: " + ossl::TakeOpenSslError());
    return result;
  }
  if (state_ == DtlsState::kConnected) {
    ReadConnected(result);
  } else {
    ContinueHandshake(result);
  }
  Flush(result);
  return result;
}

DtlsResult OpenSslDtlsTransport::OnTimer(int64_t now_us) {
  TESSERA_DCHECK_RUN_ON(checker_);
  DtlsResult result;
  if (!active() || state_ == DtlsState::kNew) return result;
  if (state_ == DtlsState::kConnecting && started_us_ &&
      now_us - *started_us_ >= handshake_timeout_us()) {
    Fail(result, DtlsFailure::kHandshakeTimeout,
         "not connected within " + std::to_string(options_.handshake_timeout.count()) + " ms");
    return result;
  }
  ERR_clear_error();
  // Retransmits only if OpenSSL's own (real-time) timer expired; 0 when it did nothing.
  if (DTLSv1_handle_timeout(ssl_.get()) < 0) {
    Fail(result,
         state_ == DtlsState::kConnecting ? DtlsFailure::kHandshakeTimeout
                                          : DtlsFailure::kProtocolError,
         "retransmission failed: " + ossl::TakeOpenSslError());
  }
  ERR_clear_error();
  Flush(result);
  return result;
}

std::optional<microseconds> OpenSslDtlsTransport::NextTimeout(int64_t now_us) const {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (!active() || state_ == DtlsState::kNew) return std::nullopt;
  std::optional<microseconds> next;
  timeval left{};
  if (DTLSv1_get_timeout(ssl_.get(), &left) == 1) {
    next = microseconds(static_cast<int64_t>(left.tv_sec) * 1'000'000 + left.tv_usec);
  }
  if (state_ == DtlsState::kConnecting && started_us_) {
    const microseconds until_deadline(
        std::max<int64_t>(0, *started_us_ + handshake_timeout_us() - now_us));
    next = next ? std::min(*next, until_deadline) : until_deadline;
  }
  return next;
}

DtlsResult OpenSslDtlsTransport::Close() {
  TESSERA_DCHECK_RUN_ON(checker_);
  DtlsResult result;
  if (!active()) return result;
  if (state_ == DtlsState::kConnected) {
    ERR_clear_error();
    (void)SSL_shutdown(ssl_.get());  // writes our close_notify; 0 = the peer's not seen yet
    ERR_clear_error();
    Flush(result);
  }
  state_ = DtlsState::kClosed;
  result.event = DtlsResult::Event::kClosed;
  return result;
}

void OpenSslDtlsTransport::ContinueHandshake(DtlsResult& result) {
  ERR_clear_error();
  const int ret = SSL_do_handshake(ssl_.get());
  if (ret == 1) {
    CompleteHandshake(result);
    return;
  }
  const int error = SSL_get_error(ssl_.get(), ret);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return;
  }
  FailFromOpenSsl(result, error);
}

void OpenSslDtlsTransport::CompleteHandshake(DtlsResult& result) {
  // VerifyCertificate already refused a wrong certificate; this also refuses a handshake that
  // somehow went without one. No keys leave this object unless the peer is the SDP's.
  const X509* peer = SSL_get0_peer_certificate(ssl_.get());
  if (peer == nullptr || !VerifyPeer(peer)) {
    Fail(result, DtlsFailure::kFingerprintMismatch, kMismatchText, /*notify_peer=*/true);
    return;
  }
  const SRTP_PROTECTION_PROFILE* profile = SSL_get_selected_srtp_profile(ssl_.get());
  const std::optional<srtp::SrtpSuite> suite =
      profile != nullptr ? SuiteForSrtpProfile(profile->id) : std::nullopt;
  if (!suite) {
    Fail(result, DtlsFailure::kNoSrtpProfile, "no SRTP protection profile in common",
         /*notify_peer=*/true);
    return;
  }
  std::optional<SrtpKeys> keys = ExportSrtpKeys(ssl_.get(), *suite, role_ == DtlsRole::kServer);
  if (!keys) {
    Fail(result, DtlsFailure::kKeyExport, "SSL_export_keying_material: " + ossl::TakeOpenSslError(),
         /*notify_peer=*/true);
    return;
  }
  state_ = DtlsState::kConnected;
  result.event = DtlsResult::Event::kConnected;
  result.keys = std::move(keys);
}

void OpenSslDtlsTransport::ReadConnected(DtlsResult& result) {
  std::array<uint8_t, 4096> buffer;
  for (int i = 0; i < kMaxReadsPerDatagram; ++i) {
    ERR_clear_error();
    const int n = SSL_read(ssl_.get(), buffer.data(), static_cast<int>(buffer.size()));
    if (n > 0) {
      result.drop = DtlsDrop::kApplicationData;  // no data channels: see the header
      continue;
    }
    const int error = SSL_get_error(ssl_.get(), n);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      ERR_clear_error();
      return;
    }
    FailFromOpenSsl(result, error);
    return;
  }
}

void OpenSslDtlsTransport::FailFromOpenSsl(DtlsResult& result, int ssl_error) {
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {  // close_notify from the peer
    ERR_clear_error();
    if (state_ == DtlsState::kConnected) {
      (void)SSL_shutdown(ssl_.get());  // answer with ours (RFC 5246 7.2.1)
      ERR_clear_error();
    }
    state_ = DtlsState::kClosed;
    result.event = DtlsResult::Event::kClosed;
    return;
  }
  if (fingerprint_mismatch_) {
    Fail(result, DtlsFailure::kFingerprintMismatch, kMismatchText);
    return;
  }
  // A fatal alert from the peer is queued as reason SSL_AD_REASON_OFFSET + its description.
  const unsigned long code = ERR_peek_error();
  const bool peer_alert =
      ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) >= SSL_AD_REASON_OFFSET;
  Fail(result, peer_alert ? DtlsFailure::kPeerAlert : DtlsFailure::kProtocolError,
       ossl::TakeOpenSslError());
}

void OpenSslDtlsTransport::Fail(DtlsResult& result, DtlsFailure failure, std::string detail,
                                bool notify_peer) {
  if (notify_peer) (void)SSL_shutdown(ssl_.get());
  ERR_clear_error();
  state_ = DtlsState::kFailed;
  result.event = DtlsResult::Event::kFailed;
  result.failure = failure;
  result.failure_detail = std::move(detail);
  result.keys.reset();
}

void OpenSslDtlsTransport::Flush(DtlsResult& result) {
  const size_t pending = BIO_ctrl_pending(wbio_);
  if (pending == 0) return;
  std::vector<uint8_t> bytes(pending);
  const int n = BIO_read(wbio_, bytes.data(), static_cast<int>(pending));
  if (n <= 0) return;
  bytes.resize(static_cast<size_t>(n));
  for (std::vector<uint8_t>& datagram : PackDtlsRecords(bytes, options_.mtu)) {
    result.datagrams.push_back(std::move(datagram));
  }
}

}  // namespace

StatusOr<std::unique_ptr<DtlsTransport>> DtlsTransport::Create(
    DtlsRole role, std::shared_ptr<const DtlsCertificate> certificate,
    std::vector<SdpFingerprint> remote_fingerprints, DtlsTransportOptions options) {
  if (!certificate) return InvalidArgumentError("DTLS: no certificate");
  if (remote_fingerprints.empty()) {
    return InvalidArgumentError("DTLS: the remote description has no a=fingerprint");
  }
  if (options.mtu < kMinMtu || options.mtu > kMaxDatagramSize) {
    return InvalidArgumentError("DTLS: MTU " + std::to_string(options.mtu) + " outside " +
                                std::to_string(kMinMtu) + ".." + std::to_string(kMaxDatagramSize));
  }
  if (options.max_handshake_datagrams == 0 || options.handshake_timeout.count() <= 0 ||
      options.initial_retransmit_timeout.count() <= 0 ||
      options.max_retransmit_timeout < options.initial_retransmit_timeout) {
    return InvalidArgumentError("DTLS: handshake limits and retransmission timeouts must be > 0");
  }
  StatusOr<std::string> profiles = SrtpProfileList(options.srtp_profiles);
  if (!profiles.ok()) return profiles.status();
  auto transport = std::make_unique<OpenSslDtlsTransport>(
      role, std::move(certificate), std::move(remote_fingerprints), std::move(options));
  TESSERA_RETURN_IF_ERROR(transport->Init(*profiles));
  return std::unique_ptr<DtlsTransport>(std::move(transport));
}

}  // namespace tessera::webrtc
