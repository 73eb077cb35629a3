// The server side of ICE for one WebRTC participant: an ICE-lite agent (RFC 8445 section 2.5)
// that answers the browser's connectivity checks, takes the address the browser nominates as the
// one to send media to, and watches consent freshness (RFC 7675).
//
// A lite agent is always controlled and never sends checks of its own. A check is a STUN Binding
// request (RFC 8489) with FINGERPRINT, USERNAME "<local ufrag>:<remote ufrag>",
// MESSAGE-INTEGRITY keyed with our password, PRIORITY and ICE-CONTROLLING.
#pragma once

#include <tessera/base/status.h>
#include <tessera/base/thread_checker.h>
#include <tessera/net/udp_socket.h>
#include <tessera/webrtc/stun.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tessera::webrtc {

// An ICE username fragment and password (SDP a=ice-ufrag, a=ice-pwd).
struct IceCredentials {
  std::string ufrag;
  std::string password;
};

inline constexpr size_t kIceUfragLength = 8;      // 48 bits; RFC 8839 asks for 24 at least
inline constexpr size_t kIcePasswordLength = 24;  // 144 bits; RFC 8839 asks for 128 at least

// New local credentials: kIceUfragLength and kIcePasswordLength characters of the ice-char set
// (ALPHA / DIGIT / "+" / "/"), from RAND_bytes. INTERNAL when OpenSSL has no randomness.
StatusOr<IceCredentials> GenerateIceCredentials();

struct IceLiteOptions {
  // Consent is lost when no valid check came from the selected address for this long (RFC 7675
  // section 5.1: 30 s).
  int64_t consent_timeout_us = 30'000'000;
  // An agent with nothing selected has lost consent this long after it started (or restarted).
  int64_t initial_timeout_us = 30'000'000;
};

// Why a datagram was not a valid check. Every value but kNone is counted; the ones marked
// "answered" come with an error response to send.
enum class IceDrop : uint8_t {
  kNone,              // a valid check
  kMalformed,         // not a STUN message (ParseStun refused it); silent
  kNotRequest,        // an indication or a response; silent
  kNotBinding,        // a request of another method; silent
  kNoFingerprint,     // silent (RFC 8445 section 7: checks carry FINGERPRINT)
  kBadFingerprint,    // silent
  kNoCredentials,     // no USERNAME or no MESSAGE-INTEGRITY: answered 400
  kWrongUsername,     // not "<local ufrag>:<remote ufrag>" (old credentials too): answered 401
  kBadIntegrity,      // MESSAGE-INTEGRITY does not verify with our password: answered 401
  kUnknownAttribute,  // unknown comprehension-required attributes: answered 420
  kNoPriority,        // answered 400
  kBadRole,           // neither or both of ICE-CONTROLLING and ICE-CONTROLLED: answered 400
  kRoleConflict,      // ICE-CONTROLLED: the peer thinks it is controlled too; answered 487
};
inline constexpr size_t kIceDropCount = static_cast<size_t>(IceDrop::kRoleConflict) + 1;

// "ok", "malformed", "not_request", "not_binding", "no_fingerprint", "bad_fingerprint",
// "no_credentials", "wrong_username", "bad_integrity", "unknown_attribute", "no_priority",
// "bad_role", "role_conflict": stable labels for drop counters.
const char* IceDropName(IceDrop drop);

// What one datagram did.
struct IceResult {
  // To send back to the address the datagram came from; empty: send nothing.
  std::vector<uint8_t> response;
  IceDrop drop = IceDrop::kNone;
  // A valid check that carried USE-CANDIDATE.
  bool nominated = false;
  // The selection moved to the check's address (the first nomination, or a later one from
  // another address).
  bool selection_changed = false;
  // A valid check from the selected address (the one that selected it included): consent
  // renewed.
  bool consent_refreshed = false;
  // Where media goes after this datagram.
  std::optional<net::Endpoint> selected;

  bool valid() const { return drop == IceDrop::kNone; }
};

struct IceCounters {
  uint64_t received = 0;  // datagrams given to HandleStun
  uint64_t valid = 0;     // checks that passed every test
  uint64_t selection_changes = 0;
  std::array<uint64_t, kIceDropCount> dropped{};  // by IceDrop; dropped[kNone] stays 0

  uint64_t Dropped(IceDrop drop) const { return dropped[static_cast<size_t>(drop)]; }
};

// One participant's ICE-lite agent.
//
// The selected address: the first valid check with USE-CANDIDATE selects the address it came
// from; a later valid check with USE-CANDIDATE from another address (the browser chose another
// path, a NAT rebound) moves the selection there. Only checks that pass every test count, so
// nobody without our password can move it. Media goes to selected().
//
// Consent: each valid check from the selected address renews it; ConsentExpired() says when it
// has not been renewed for consent_timeout_us (browsers check every 5 s or so), or when nothing
// was selected within initial_timeout_us. The owner then stops sending and tears the leg down.
//
// ICE restart: Restart() takes the peer's new credentials and makes new local ones; checks with
// the old ones fail (401, counted as wrong_username or bad_integrity). The selected address and
// its consent are kept, so media flows on while the browser checks again (RFC 8445 section 9);
// the new checks renew the consent or move the selection.
//
// Times are microseconds on any monotonic clock (Clock::NowUs()), the same for every call.
//
// Runs on: its participant's network shard (asserted in debug builds). Not thread-safe.
class IceLiteAgent {
 public:
  // An agent with new local credentials (GenerateIceCredentials()).
  static StatusOr<std::unique_ptr<IceLiteAgent>> Create(const IceLiteOptions& options,
                                                        int64_t now_us);
  // An agent with the given local credentials (tests, fuzzers).
  IceLiteAgent(IceCredentials local, const IceLiteOptions& options, int64_t now_us);

  IceLiteAgent(const IceLiteAgent&) = delete;
  IceLiteAgent& operator=(const IceLiteAgent&) = delete;

  // Ours, for the SDP we send.
  const IceCredentials& local() const { return local_; }
  // The peer's, from its SDP. Until the peer's ufrag is known (a check that beats the answer),
  // the part of USERNAME after the ':' is not checked. The peer's password is kept for a future
  // full agent: a lite agent sends no checks, and answers with its own password.
  const IceCredentials& remote() const { return remote_; }
  void SetRemoteCredentials(IceCredentials remote);

  // ICE restart: the peer's new credentials and new local ones; nothing of the old credentials is
  // kept. If nothing is selected, the initial timeout starts again at now_us. INTERNAL when no
  // credentials could be generated (the old ones then stay).
  Status Restart(IceCredentials remote, int64_t now_us);

  // Handles one datagram that came from `from` (STUN by its first byte, RFC 7983). Never throws;
  // any bytes are safe.
  [[nodiscard]] IceResult HandleStun(std::span<const uint8_t> datagram, const net::Endpoint& from,
                                     int64_t now_us);

  const std::optional<net::Endpoint>& selected() const { return selected_; }
  // When consent was last renewed; nullopt while nothing is selected.
  std::optional<int64_t> last_consent_us() const;
  bool ConsentExpired(int64_t now_us) const;
  const IceCounters& counters() const { return counters_; }

  // The part of USERNAME before the ':', the ufrag of the agent the check is for: what a shared
  // port routes by. nullopt without USERNAME, without ':' or with nothing before it.
  static std::optional<std::string> UsernameLocalUfrag(const StunMessage& message);

 private:
  bool UsernameMatches(const std::string& username) const;
  IceResult Drop(IceResult result, IceDrop drop);

  IceCredentials local_;
  IceCredentials remote_;
  IceLiteOptions options_;
  int64_t started_us_;
  std::optional<net::Endpoint> selected_;
  int64_t last_consent_us_ = 0;
  IceCounters counters_;
  ThreadChecker checker_;
};

}  // namespace tessera::webrtc
