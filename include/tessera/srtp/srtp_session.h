// SRTP/SRTCP protection of one direction of one participant's media (RFC 3711, RFC 7714), backed by
// libsrtp2. The key comes from SDES (sdes.h) or from a DTLS-SRTP exporter.
#pragma once

#include <tessera/base/status.h>
#include <tessera/srtp/srtp_suite.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace tessera::srtp {

// What happened to one packet. Every value other than kOk means "drop the packet and count the
// reason"; none of them ends the session.
enum class SrtpResult {
  kOk,
  kAuthFailed,  // Tag mismatch: wrong key, corrupted or forged packet.
  kReplay,      // Already seen, or older than the replay window.
  kMalformed,   // Not an RTP/RTCP packet of a length SRTP can carry (checked before libsrtp).
  kError,       // Anything else: wrong direction for this session, key expired, internal failure.
};

// "ok", "auth_failed", "replay", "malformed" or "error": stable labels for drop counters.
const char* SrtpResultName(SrtpResult result);

// The SRTP context for one direction of one participant: an inbound session unprotects what the
// participant sends us, an outbound session protects what we send the participant. One session
// serves every SSRC of that direction (libsrtp's ssrc_any_* wildcard) and both RTP and RTCP.
//
// Inbound sessions keep a replay window of kReplayWindowPackets packets per SSRC. Outbound sessions
// allow the same sequence number to be protected again, so NACK retransmissions re-send the same
// bytes (the payload must be identical, or counter-mode keystream would be reused).
//
// Methods never throw and accept arbitrary bytes: headers are checked (length, version, CSRC and
// extension lengths, room for the trailer) before libsrtp sees the packet.
//
// Runs on: its participant's network shard. Not thread-safe.
class SrtpSession {
 public:
  enum class Direction { kInbound, kOutbound };

  static constexpr size_t kReplayWindowPackets = 1024;
  // Larger packets are refused with kMalformed (UDP carries at most 65507 bytes anyway).
  static constexpr size_t kMaxPacketSize = 65535;

  // `key` is the master key followed by the master salt, KeyAndSaltLength(suite) bytes, as SDES
  // "inline:" carries it. The bytes are copied; the caller may wipe its copy afterwards.
  // INVALID_ARGUMENT for a key of the wrong length, INTERNAL if libsrtp refuses.
  static StatusOr<std::unique_ptr<SrtpSession>> Create(SrtpSuite suite,
                                                       std::span<const uint8_t> key,
                                                       Direction direction);

  virtual ~SrtpSession() = default;
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  virtual SrtpSuite suite() const = 0;
  virtual Direction direction() const = 0;

  // Inbound only. Verifies and decrypts an SRTP packet in place; on kOk `packet` is the plain RTP
  // packet (shorter by the tag). On any other result the contents of `packet` are unspecified.
  [[nodiscard]] virtual SrtpResult UnprotectRtp(std::vector<uint8_t>& packet) = 0;
  // Inbound only. As UnprotectRtp for an SRTCP packet (compound RTCP with the SRTCP trailer).
  [[nodiscard]] virtual SrtpResult UnprotectRtcp(std::vector<uint8_t>& packet) = 0;

  // Outbound only. Encrypts a plain RTP packet in place and appends the tag (SrtpTagLength(suite)
  // bytes); the vector grows by itself. On failure `packet` keeps its length, contents unspecified.
  [[nodiscard]] virtual SrtpResult ProtectRtp(std::vector<uint8_t>& packet) = 0;
  // Outbound only. Encrypts a plain (compound) RTCP packet in place and appends the SRTCP trailer
  // (SrtcpTrailerLength(suite) bytes).
  [[nodiscard]] virtual SrtpResult ProtectRtcp(std::vector<uint8_t>& packet) = 0;

 protected:
  SrtpSession() = default;
};

}  // namespace tessera::srtp
