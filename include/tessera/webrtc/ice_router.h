// The demultiplexer of the one UDP port that every WebRTC participant shares: which session a
// datagram belongs to.
//
// - A STUN Binding request goes to the session that registered the local ufrag its USERNAME
//   names (the part before ':'). This is how a new participant's first check finds its session.
// - Anything else (DTLS, SRTP, SRTCP, other STUN), and a Binding request whose ufrag nobody
//   registered, goes by its source address: the addresses a session's agent accepted a valid
//   check from. A request with a stale ufrag from a known address so reaches its session, whose
//   agent answers 401 and counts it.
// - Otherwise nobody: the caller drops the datagram and counts it.
//
// An address belongs to one session at a time: a valid check for another session from the same
// address (the peer proved that session's password) moves it there. A session keeps at most
// max_addresses_per_session addresses; learning another forgets the one learnt (or confirmed)
// longest ago, which is never the selected one while its consent checks keep coming.
//
// Runs on: the network shard that reads the shared port (asserted in debug builds). Sessions
// whose agents run on other shards post Learn() and RemoveSession() to it. Not thread-safe.
#pragma once

#include <tessera/base/status.h>
#include <tessera/base/thread_checker.h>
#include <tessera/net/udp_socket.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tessera::webrtc {

using IceSessionId = uint64_t;

class IceRouter {
 public:
  static constexpr size_t kDefaultMaxAddressesPerSession = 8;

  explicit IceRouter(size_t max_addresses_per_session = kDefaultMaxAddressesPerSession);

  // Routes Binding requests for `ufrag` to `session`. A session may hold several ufrags (during
  // an ICE restart, the old and the new). INVALID_ARGUMENT for an empty ufrag, ALREADY_EXISTS
  // when another session holds it.
  Status Register(std::string_view ufrag, IceSessionId session);
  // Forgets `ufrag`; nothing if it is not registered.
  void Unregister(std::string_view ufrag);
  // The session's agent accepted a valid check from `from` (IceResult::valid()).
  void Learn(IceSessionId session, const net::Endpoint& from);
  // Forgets the session's ufrags and addresses.
  void RemoveSession(IceSessionId session);

  // The session `datagram`, which came from `from`, belongs to; nullopt: nobody's. Never throws;
  // any bytes are safe.
  std::optional<IceSessionId> Route(std::span<const uint8_t> datagram,
                                    const net::Endpoint& from) const;

  // Whether a valid check came from `from` (some session learnt it).
  bool Knows(const net::Endpoint& from) const { return addresses_.count(from) > 0; }

  size_t ufrag_count() const { return ufrags_.size(); }
  size_t address_count() const { return addresses_.size(); }
  // The session's addresses, learnt longest ago first.
  std::vector<net::Endpoint> AddressesOf(IceSessionId session) const;

 private:
  struct Session {
    std::vector<std::string> ufrags;
    std::deque<net::Endpoint> addresses;  // learnt longest ago first
  };

  void ForgetAddress(IceSessionId session, const net::Endpoint& address);
  void EraseIfEmpty(IceSessionId session);

  size_t max_addresses_per_session_;
  std::unordered_map<std::string, IceSessionId> ufrags_;
  std::map<net::Endpoint, IceSessionId> addresses_;  // Boost 1.74's endpoint has no std::hash
  std::unordered_map<IceSessionId, Session> sessions_;
  ThreadChecker checker_;
};

}  // namespace tessera::webrtc
