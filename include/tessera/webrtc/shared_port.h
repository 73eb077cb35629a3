// SharedPort: the one UDP port every WebRTC participant of a node shares, so that a firewall
// needs one rule (issue: WebRTC item 1). Datagrams are routed to a participant's PeerTransport
// by the ICE router (a STUN check by the ufrag in its USERNAME, anything else by the source
// address a valid check came from); what nobody owns is dropped and counted.
#pragma once

#include <tessera/base/logging.h>
#include <tessera/base/metrics.h>
#include <tessera/base/status.h>
#include <tessera/base/thread_checker.h>
#include <tessera/net/udp_socket.h>
#include <tessera/webrtc/ice_router.h>

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

namespace tessera::webrtc {

// Runs on: its shard (every PeerTransport on it runs there too). Open may run before the shard
// does.
class SharedPort {
 public:
  using DatagramHandler =
      std::function<void(std::span<const uint8_t> data, const net::Endpoint& from)>;

  // Binds bind_address:port (0: any free port). Errors name the port and why.
  static StatusOr<std::unique_ptr<SharedPort>> Open(boost::asio::io_context& shard,
                                                    const std::string& bind_address, uint16_t port);
  ~SharedPort();

  void Start();
  void Close();

  boost::asio::io_context& shard() { return shard_; }
  uint16_t local_port() const;

  // A participant's transport: its checks for `ufrag` and then the datagrams from the addresses
  // its agent validated reach `handler`. ALREADY_EXISTS when the ufrag is taken.
  StatusOr<IceSessionId> Add(const std::string& ufrag, DatagramHandler handler);
  // ICE restart: the session's checks now come with `ufrag` (the old one is forgotten).
  Status ChangeUfrag(IceSessionId session, const std::string& old_ufrag, const std::string& ufrag);
  void Remove(IceSessionId session);
  // The session's agent accepted a valid check from `from`: its DTLS and SRTP come from there.
  void Learn(IceSessionId session, const net::Endpoint& from) { router_.Learn(session, from); }

  bool SendTo(std::span<const uint8_t> data, const net::Endpoint& to);

  uint64_t unrouted() const { return unrouted_; }
  size_t session_count() const { return handlers_.size(); }

 private:
  explicit SharedPort(boost::asio::io_context& shard);
  void OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from);

  boost::asio::io_context& shard_;
  std::unique_ptr<net::UdpSocket> socket_;
  IceRouter router_;
  std::map<IceSessionId, DatagramHandler> handlers_;
  IceSessionId next_id_ = 1;
  uint64_t unrouted_ = 0;
  Counter* unrouted_counter_;
  LogRateLimiter drop_log_;
  ThreadChecker checker_;
};

}  // namespace tessera::webrtc
