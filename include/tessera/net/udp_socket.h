// A UDP socket on one shard's io_context with a continuous receive loop.
#pragma once

#include <tessera/base/status.h>
#include <tessera/base/thread_checker.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace tessera::net {

using Endpoint = boost::asio::ip::udp::endpoint;

// Runs on: the io_context it was opened on. All methods must be called from that executor
// (Open may be called before the io_context runs).
class UdpSocket {
 public:
  // Called for every datagram; the span is valid only during the call.
  using Handler = std::function<void(std::span<const uint8_t> data, const Endpoint& from)>;

  static StatusOr<std::unique_ptr<UdpSocket>> Open(boost::asio::io_context& io,
                                                   const std::string& address, uint16_t port,
                                                   size_t receive_buffer_bytes = 1 << 20);
  ~UdpSocket();

  void Start(Handler handler);
  // Non-blocking send. Returns false (and the caller counts a drop) when the kernel buffer is full
  // or the send fails.
  bool SendTo(std::span<const uint8_t> data, const Endpoint& to);
  // Synchronously reads and handles every datagram already queued in the kernel. Used at shutdown
  // so that nothing the peer already sent is lost. Returns the number handled.
  size_t Drain();
  void Close();

  uint16_t local_port() const { return local_port_; }
  uint64_t send_failures() const { return send_failures_; }

 private:
  explicit UdpSocket(boost::asio::io_context& io);
  void ReceiveNext();

  boost::asio::ip::udp::socket socket_;
  Handler handler_;
  Endpoint from_;
  std::array<uint8_t, 65536> buffer_{};
  uint16_t local_port_ = 0;
  uint64_t send_failures_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  ThreadChecker checker_;  // binds on Start, on the io_context thread
};

}  // namespace tessera::net
