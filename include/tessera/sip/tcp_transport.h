// SIP over TCP (RFC 3261 18.3): accepts connections, frames each stream with
// FrameStreamMessage (Content-Length), hands messages to the handler with the connection's id in
// their source so responses reuse it (18.2.2), and opens connections for requests to IP
// literals. A connection is closed on bad framing (after a 400 when one can be built), when its
// unframed buffer passes the limit, and after idle_timeout without traffic.
// ListenTls runs the same over TLS (RFC 3261 26.2: sips and the TLS Via transport) with
// boost::asio::ssl: a certificate chain and key from PEM files; peers' certificates are not
// checked (a narrow UA behind digest authentication).
// Runs on: the control io_context; every method on it.
#pragma once

#include <tessera/base/status.h>
#include <tessera/sip/transport.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace tessera::sip {

struct TcpOptions {
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  size_t max_buffer_bytes = 96 * 1024;  // unframed bytes one connection may hold
  size_t max_connections = 1024;
};

class TcpTransport : public TransportSink {
 public:
  static StatusOr<std::unique_ptr<TcpTransport>> Listen(boost::asio::io_context& io,
                                                        const std::string& address, uint16_t port,
                                                        TcpOptions options = {},
                                                        UasPolicy policy = {});
  static StatusOr<std::unique_ptr<TcpTransport>> ListenTls(
      boost::asio::io_context& io, const std::string& address, uint16_t port,
      const std::string& cert_path, const std::string& key_path, TcpOptions options = {},
      UasPolicy policy = {});
  ~TcpTransport() override;
  void Start(MessageHandler handler);
  // Over `to.connection` if it is open, else over an open connection to to.host:to.port, else
  // over a new one (to an IP literal). False when none can be had.
  bool Send(const Destination& to, std::string_view bytes) override;

  uint16_t local_port() const { return local_port_; }
  size_t connections() const { return connections_.size(); }
  const TransportCounters& counters() const { return counters_; }

 private:
  class Connection;
  friend class Connection;
  TcpTransport(boost::asio::io_context& io, TcpOptions options, UasPolicy policy);
  void AcceptNext();
  std::shared_ptr<Connection> Adopt(boost::asio::ip::tcp::socket socket, bool connected);
  void OnBytes(Connection& connection);
  void Remove(uint64_t id);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // set: TLS
  TcpOptions options_;
  UasPolicy policy_;
  MessageHandler handler_;
  TransportCounters counters_;
  uint16_t local_port_ = 0;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tessera::sip
