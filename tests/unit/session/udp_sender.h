// Test helper: a blocking UDP socket bound to a loopback address of the test's choosing
// (127.0.0.2 and the like are loopback too on Linux), for packets from "another host".
#pragma once

#include <tessera/net/udp_socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <span>

namespace tessera::session::test {

class UdpSender {
 public:
  UdpSender(boost::asio::io_context& io, const char* address) : socket_(io) {
    socket_.open(boost::asio::ip::udp::v4());
    socket_.bind(net::Endpoint(boost::asio::ip::make_address(address), 0));
  }
  // To 127.0.0.1:port. Loopback delivery is synchronous with the send: the datagram is queued
  // at the receiving socket when this returns.
  void SendTo(uint16_t port, std::span<const uint8_t> data) {
    socket_.send_to(boost::asio::buffer(data.data(), data.size()),
                    net::Endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  }
  net::Endpoint endpoint() const { return socket_.local_endpoint(); }

 private:
  boost::asio::ip::udp::socket socket_;
};

}  // namespace tessera::session::test
