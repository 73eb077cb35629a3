// SIP over UDP (RFC 3261 18) on a tessera::net::UdpSocket: every datagram is parsed as one
// message; garbage is dropped and counted by reason, never answered; a request that parses but
// fails CheckRequest gets its 4xx back, at most `reply_limit` per source address (beyond it the
// request is dropped and counted: answering a flood would amplify it); the rest goes to the handler
// (the transaction layer) with its source. Sends go to IP literals only (no DNS here). Runs on: the
// control io_context; every method on it (Open before it runs is fine).
#pragma once

#include <tessera/base/status.h>
#include <tessera/net/rate_limiter.h>
#include <tessera/net/udp_socket.h>
#include <tessera/sip/transport.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

namespace tessera::sip {

class UdpTransport : public TransportSink {
 public:
  static StatusOr<std::unique_ptr<UdpTransport>> Open(boost::asio::io_context& io,
                                                      const std::string& address, uint16_t port,
                                                      UasPolicy policy = {},
                                                      net::RateLimit reply_limit = {5, 10});
  void Start(MessageHandler handler);
  // `to.host` must be an IP literal; false otherwise or when the send fails.
  bool Send(const Destination& to, std::string_view bytes) override;
  void Close();

  uint16_t local_port() const { return socket_->local_port(); }
  const TransportCounters& counters() const { return counters_; }

 private:
  UdpTransport(std::unique_ptr<net::UdpSocket> socket, UasPolicy policy, net::RateLimit reply_limit)
      : socket_(std::move(socket)), policy_(std::move(policy)), replies_(reply_limit) {}
  void OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from);

  std::unique_ptr<net::UdpSocket> socket_;
  UasPolicy policy_;
  net::SourceRateLimiter replies_;
  MessageHandler handler_;
  TransportCounters counters_;
};

}  // namespace tessera::sip
