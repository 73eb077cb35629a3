// SIP over TCP (RFC 3261 18.3): accepts connections, frames each stream with
// FrameStreamMessage (Content-Length), hands messages to the handler with the connection's id in
// their source so responses reuse it (18.2.2), and opens connections for requests to IP
// literals. ListenTls runs the same over TLS (RFC 3261 26.2: sips and the TLS Via transport) with
// boost::asio::ssl: a certificate chain and key from PEM files; peers' certificates are not
// checked (a narrow UA behind digest authentication).
//
// What one peer may hold (docs/security.md, "SIP connections"), each counted by reason in
// counters().dropped and logged at most once a second:
// - a connection over max_connections, or over max_connections_per_source from one address, is
//   closed as soon as it is accepted ("tcp connection limit", "tcp source limit");
// - a message must arrive whole within message_timeout of its first byte, and an accepted
//   connection's first message within message_timeout of the accept, however slowly its bytes
//   keep coming ("tls handshake timeout", "tcp header timeout", "tcp body timeout");
// - a connection that carries no message either way for idle_timeout is closed ("tcp idle
//   timeout"; CRLF keep-alives are not messages) unless the in-use callback says that something
//   still needs it (a call whose requests go back over it);
// - bad framing ("tcp bad framing") and an unframed buffer over max_buffer_bytes ("tcp buffer
//   limit") close it too.
// Deadlines are read on options.clock and woken by options.timers (tests: a FakeClock and a
// ManualTimerService); a timer never blocks.
// Runs on: the control io_context; every method on it, and the timers fire on it.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/logging.h>
#include <tessera/base/status.h>
#include <tessera/sip/transport.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace tessera::sip {

struct TcpOptions {
  // No message received or sent for this long: closed (unless in use, see SetInUse).
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  // From a message's first byte (an accepted connection's first message: from the accept, TLS
  // handshake included) until its last: closed when it takes longer.
  std::chrono::milliseconds message_timeout{std::chrono::seconds(10)};
  size_t max_buffer_bytes = 96 * 1024;     // unframed bytes one connection may hold
  size_t max_connections = 1024;           // accepted and opened, at once
  size_t max_connections_per_source = 32;  // accepted from one source (net::ConnectionSourceKey)
  // Where deadlines are read and who wakes the transport for them. Null: SystemClock() and
  // timers of the transport's own on its io_context. Both must outlive the transport.
  const Clock* clock = nullptr;
  TimerService* timers = nullptr;
};

class TcpTransport : public TransportSink {
 public:
  // Whether a connection is still needed by what was signalled over it; asked when it has been
  // idle for idle_timeout (true: it stays open for another idle_timeout). `remote` is the
  // connection as the handler sees it in a message's source: transport, host, port, connection.
  using InUse = std::function<bool(const Destination& remote)>;

  static StatusOr<std::unique_ptr<TcpTransport>> Listen(boost::asio::io_context& io,
                                                        const std::string& address, uint16_t port,
                                                        TcpOptions options = {},
                                                        UasPolicy policy = {});
  static StatusOr<std::unique_ptr<TcpTransport>> ListenTls(
      boost::asio::io_context& io, const std::string& address, uint16_t port,
      const std::string& cert_path, const std::string& key_path, TcpOptions options = {},
      UasPolicy policy = {});
  ~TcpTransport() override;
  // Before Start; without it every idle connection is closed.
  void SetInUse(InUse in_use) { in_use_ = std::move(in_use); }
  void Start(MessageHandler handler);
  // Over `to.connection` if it is open, else over an open connection to to.host:to.port, else
  // over a new one (to an IP literal). False when none can be had.
  bool Send(const Destination& to, std::string_view bytes) override;

  uint16_t local_port() const { return local_port_; }
  std::string_view transport() const { return tls_ ? "TLS" : "TCP"; }
  size_t connections() const { return connections_.size(); }
  // Accepted connections open from `source` (a net::ConnectionSourceKey).
  size_t connections_from(const std::string& source) const;
  const TransportCounters& counters() const { return counters_; }

 private:
  class Connection;
  friend class Connection;
  TcpTransport(boost::asio::io_context& io, TcpOptions options, UasPolicy policy);
  void AcceptNext();
  void OnAccept(boost::asio::ip::tcp::socket socket);
  std::shared_ptr<Connection> Adopt(boost::asio::ip::tcp::socket socket, bool connected);
  void OnBytes(Connection& connection);
  // Closes `connection` for `reason`: counted, and logged at most once a second.
  void Drop(Connection& connection, const std::string& reason);
  // A connection refused at accept (its socket is closed on return).
  void Refuse(const boost::asio::ip::tcp::endpoint& peer, const std::string& reason);
  void Remove(uint64_t id);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // set: TLS
  TcpOptions options_;
  UasPolicy policy_;
  std::unique_ptr<TimerService> own_timers_;  // when options.timers is null
  const Clock* clock_;
  TimerService* timers_;
  MessageHandler handler_;
  InUse in_use_;
  TransportCounters counters_;
  LogRateLimiter drop_log_;
  uint16_t local_port_ = 0;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;
  std::map<std::string, size_t> per_source_;  // accepted connections open, by source key
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tessera::sip
