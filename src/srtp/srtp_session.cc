#include <openssl/crypto.h>
#include <tessera/base/byte_io.h>
#include <tessera/srtp/srtp_session.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string>

#include "srtp/srtp_library.h"

namespace tessera::srtp {
namespace {

constexpr size_t kRtpHeaderSize = 12;
constexpr size_t kRtcpHeaderSize = 8;
constexpr size_t kRtpExtensionHeaderSize = 4;
constexpr uint8_t kRtpVersion = 2;
// libsrtp writes up to this much after an RTP packet (tag + MKI) ...
constexpr size_t kRtpTrailerRoom = SRTP_MAX_TRAILER_LEN;
// ... and four more bytes (E flag + SRTCP index) after an RTCP packet.
constexpr size_t kRtcpTrailerRoom = SRTP_MAX_TRAILER_LEN + 4;
static_assert(SrtpSession::kMaxPacketSize + kRtcpTrailerRoom <=
              static_cast<size_t>(std::numeric_limits<int>::max()));

bool HasRtpVersion(std::span<const uint8_t> p) { return (p[0] >> 6) == kRtpVersion; }

// Length of the RTP header (fixed part, CSRCs, extension), or 0 if it does not fit in `p`.
// libsrtp re-checks this too; checking here keeps the guarantee independent of its version.
size_t RtpHeaderLength(std::span<const uint8_t> p) {
  if (p.size() < kRtpHeaderSize || !HasRtpVersion(p)) return 0;
  size_t length = kRtpHeaderSize + 4u * (p[0] & 0x0F);
  if (p[0] & 0x10) {
    if (p.size() < length + kRtpExtensionHeaderSize) return 0;
    length += kRtpExtensionHeaderSize + 4u * ReadBe16(&p[length + 2]);
  }
  return length <= p.size() ? length : 0;
}

SrtpResult ToResult(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_ok:
      return SrtpResult::kOk;
    case srtp_err_status_auth_fail:
    case srtp_err_status_cipher_fail:  // Some crypto backends report a GCM tag mismatch so.
      return SrtpResult::kAuthFailed;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      return SrtpResult::kReplay;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
    case srtp_err_status_bad_mki:
    // SRTCP whose E flag says "unencrypted" while the session encrypts: libsrtp will not check it.
    case srtp_err_status_cant_check:
      return SrtpResult::kMalformed;
    default:
      return SrtpResult::kError;
  }
}

// Sets the RTP and RTCP policies of `policy` for `suite`.
void SetCryptoPolicies(SrtpSuite suite, srtp_policy_t& policy) {
  switch (suite) {
    case SrtpSuite::kAesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      return;
    case SrtpSuite::kAesCm128HmacSha1_32:
      // RFC 4568 section 6.2.2: the 32-bit tag applies to SRTP only; SRTCP keeps 80 bits.
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      return;
    case SrtpSuite::kAeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      return;
  }
}

class LibSrtpSession final : public SrtpSession {
 public:
  LibSrtpSession(SrtpSuite suite, Direction direction, deps::UniqueSrtpContext ctx)
      : suite_(suite), direction_(direction), ctx_(std::move(ctx)) {}

  SrtpSuite suite() const override { return suite_; }
  Direction direction() const override { return direction_; }

  SrtpResult UnprotectRtp(std::vector<uint8_t>& packet) override {
    if (direction_ != Direction::kInbound) return SrtpResult::kError;
    if (packet.size() > kMaxPacketSize) return SrtpResult::kMalformed;
    const size_t header = RtpHeaderLength(packet);
    if (header == 0 || packet.size() < header + SrtpTagLength(suite_)) {
      return SrtpResult::kMalformed;
    }
    int length = static_cast<int>(packet.size());
    const srtp_err_status_t status = srtp_unprotect(ctx_.get(), packet.data(), &length);
    if (status == srtp_err_status_ok) packet.resize(static_cast<size_t>(length));
    return ToResult(status);
  }

  SrtpResult UnprotectRtcp(std::vector<uint8_t>& packet) override {
    if (direction_ != Direction::kInbound) return SrtpResult::kError;
    if (packet.size() > kMaxPacketSize ||
        packet.size() < kRtcpHeaderSize + SrtcpTrailerLength(suite_) || !HasRtpVersion(packet)) {
      return SrtpResult::kMalformed;
    }
    int length = static_cast<int>(packet.size());
    const srtp_err_status_t status = srtp_unprotect_rtcp(ctx_.get(), packet.data(), &length);
    if (status == srtp_err_status_ok) packet.resize(static_cast<size_t>(length));
    return ToResult(status);
  }

  SrtpResult ProtectRtp(std::vector<uint8_t>& packet) override {
    if (direction_ != Direction::kOutbound) return SrtpResult::kError;
    if (packet.size() > kMaxPacketSize || RtpHeaderLength(packet) == 0) {
      return SrtpResult::kMalformed;
    }
    return Protect(packet, kRtpTrailerRoom, &srtp_protect);
  }

  SrtpResult ProtectRtcp(std::vector<uint8_t>& packet) override {
    if (direction_ != Direction::kOutbound) return SrtpResult::kError;
    if (packet.size() > kMaxPacketSize || packet.size() < kRtcpHeaderSize ||
        !HasRtpVersion(packet)) {
      return SrtpResult::kMalformed;
    }
    return Protect(packet, kRtcpTrailerRoom, &srtp_protect_rtcp);
  }

 private:
  using ProtectFn = srtp_err_status_t (*)(srtp_t, void*, int*);

  // libsrtp appends the trailer after the packet's end, so the vector grows first and shrinks to
  // the length libsrtp reports.
  SrtpResult Protect(std::vector<uint8_t>& packet, size_t room, ProtectFn protect) {
    const size_t plain_size = packet.size();
    packet.resize(plain_size + room);
    int length = static_cast<int>(plain_size);
    const srtp_err_status_t status = protect(ctx_.get(), packet.data(), &length);
    const bool ok = status == srtp_err_status_ok && length >= static_cast<int>(plain_size) &&
                    static_cast<size_t>(length) <= plain_size + room;
    packet.resize(ok ? static_cast<size_t>(length) : plain_size);
    return ok ? SrtpResult::kOk
              : ToResult(status == srtp_err_status_ok ? srtp_err_status_fail : status);
  }

  const SrtpSuite suite_;
  const Direction direction_;
  deps::UniqueSrtpContext ctx_;
};

}  // namespace

const char* SrtpResultName(SrtpResult result) {
  switch (result) {
    case SrtpResult::kOk:
      return "ok";
    case SrtpResult::kAuthFailed:
      return "auth_failed";
    case SrtpResult::kReplay:
      return "replay";
    case SrtpResult::kMalformed:
      return "malformed";
    case SrtpResult::kError:
      return "error";
  }
  return "error";
}

StatusOr<std::unique_ptr<SrtpSession>> SrtpSession::Create(SrtpSuite suite,
                                                           std::span<const uint8_t> key,
                                                           Direction direction) {
  if (key.size() != KeyAndSaltLength(suite)) {
    return InvalidArgumentError("SRTP key for " + std::string(SrtpSuiteName(suite)) + " must be " +
                                std::to_string(KeyAndSaltLength(suite)) + " bytes, got " +
                                std::to_string(key.size()));
  }
  TESSERA_RETURN_IF_ERROR(deps::EnsureSrtpInitialized());

  srtp_policy_t policy{};
  SetCryptoPolicies(suite, policy);
  // libsrtp takes a non-const key pointer; it derives the session keys during srtp_create and
  // keeps no reference, so a local copy wiped afterwards is enough.
  std::array<uint8_t, SRTP_MAX_KEY_LEN> key_copy{};
  std::copy(key.begin(), key.end(), key_copy.begin());
  policy.key = key_copy.data();
  policy.ssrc.type = direction == Direction::kInbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.window_size = kReplayWindowPackets;
  policy.allow_repeat_tx = direction == Direction::kOutbound ? 1 : 0;
  policy.next = nullptr;

  srtp_t raw = nullptr;
  const srtp_err_status_t status = srtp_create(&raw, &policy);
  OPENSSL_cleanse(key_copy.data(), key_copy.size());
  deps::UniqueSrtpContext ctx(raw);
  if (status != srtp_err_status_ok) return deps::SrtpError("srtp_create", status);
  return std::unique_ptr<SrtpSession>(
      std::make_unique<LibSrtpSession>(suite, direction, std::move(ctx)));
}

}  // namespace tessera::srtp
