// SharedPort: the one UDP port every WebRTC participant of a node shares, so that a firewall
// needs one rule (issue: WebRTC item 1). Datagrams are routed to a participant's PeerTransport
// by the ICE router (a STUN check by the ufrag in its USERNAME, anything else by the source
// address a valid check came from); what nobody owns is dropped and counted.
//
// ICE-TCP (RFC 6544), for networks that block UDP: one TCP port as well, passive (browsers
// connect to it). Each connection carries the same packets, framed (RFC 4571), and is routed as
// a datagram from its remote address; what Tessera sends to that address goes back over the
// connection. A connection over which no valid check came within kTcpUnverifiedTimeout is
// closed, so is a verified one without frames for kTcpIdleTimeout and those of a session that
// is removed; at most kMaxTcpConnections are open (a new one pushes out the oldest unverified),
// kMaxTcpConnectionsPerAddress from one address. An address a UDP peer proved is never taken
// over TCP, and UDP from a live connection's address is not its.
#pragma once

#include <tessera/base/logging.h>
#include <tessera/base/metrics.h>
#include <tessera/base/status.h>
#include <tessera/base/thread_checker.h>
#include <tessera/net/rate_limiter.h>
#include <tessera/net/udp_socket.h>
#include <tessera/webrtc/ice_router.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

namespace tessera::webrtc {

// Runs on: its shard (every PeerTransport on it runs there too). Open may run before the shard
// does.
class SharedPort {
 public:
  using DatagramHandler =
      std::function<void(std::span<const uint8_t> data, const net::Endpoint& from)>;

  static constexpr size_t kMaxTcpConnections = 1024;
  static constexpr size_t kMaxTcpConnectionsPerAddress = 16;
  static constexpr std::chrono::seconds kTcpUnverifiedTimeout{10};
  static constexpr std::chrono::seconds kTcpIdleTimeout{30};  // a verified one without frames
  static constexpr size_t kMaxTcpQueuedBytes = 256 * 1024;    // per connection: more is dropped
  static constexpr int64_t kTcpTombstoneUs = 30'000'000;
  // ICE checks for a participant's ufrag from an address no valid check has come from yet cost
  // an HMAC each: at most this many a second from one source IP address (burst twice that). A
  // joining browser sends some 20 a second; an office NAT may hold dozens joining at once; a
  // flood of forged checks from one address is cut here (its other datagrams cost little).
  static constexpr double kUnverifiedChecksPerSecond = 500;

  // Binds bind_address:port (0: any free port) for UDP and, with tcp_port, the TCP port (0: any
  // free one). Errors name the port and why.
  static StatusOr<std::unique_ptr<SharedPort>> Open(boost::asio::io_context& shard,
                                                    const std::string& bind_address, uint16_t port,
                                                    std::optional<uint16_t> tcp_port = {});
  ~SharedPort();

  void Start();
  void Close();

  boost::asio::io_context& shard() { return shard_; }
  uint16_t local_port() const;
  std::optional<uint16_t> tcp_port() const;

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
  uint64_t rate_limited() const { return rate_limited_; }
  size_t session_count() const { return handlers_.size(); }
  size_t tcp_connection_count() const { return open_tcp_; }

 private:
  class TcpConnection;
  explicit SharedPort(boost::asio::io_context& shard);
  void OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from);
  void Accept();
  void TakeConnection(boost::asio::ip::tcp::socket socket);
  void ForgetTombstones(int64_t now_us);
  void Unrouted(const net::Endpoint& from);
  // The connection to `remote` closed: what is sent there is dropped from now on (never sent as
  // UDP to the browser's TCP port), until the entry ages out.
  void TcpClosed(const net::Endpoint& remote);

  boost::asio::io_context& shard_;
  std::unique_ptr<net::UdpSocket> socket_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  // By remote address (as a UDP endpoint: the router's key); closed ones stay as tombstones.
  std::map<net::Endpoint, std::shared_ptr<TcpConnection>> tcp_;
  std::deque<std::pair<net::Endpoint, int64_t>> closed_tcp_;  // tombstones, closed at, oldest first
  boost::asio::steady_timer accept_retry_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // false once Closed
  size_t open_tcp_ = 0;
  IceRouter router_;
  std::map<IceSessionId, DatagramHandler> handlers_;
  IceSessionId next_id_ = 1;
  uint64_t unrouted_ = 0;
  uint64_t rate_limited_ = 0;
  net::SourceRateLimiter check_limiter_{
      net::RateLimit{kUnverifiedChecksPerSecond, 2 * kUnverifiedChecksPerSecond}};
  Counter* unrouted_counter_;
  Counter* rate_limited_counter_;
  Counter* tcp_refused_counter_;
  Counter* tcp_accepted_counter_;
  LogRateLimiter drop_log_;
  ThreadChecker checker_;
};

}  // namespace tessera::webrtc
