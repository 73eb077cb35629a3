// Test helper: a peer's blocking UDP socket on loopback, for tests that drive the server with
// real packets.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <tessera/rtp/rtp_packet.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <span>
#include <vector>

namespace tessera::app {

// A peer's UDP socket on 127.0.0.1 (an ephemeral port). Receive waits for a datagram with a
// deadline.
class UdpPeer {
 public:
  UdpPeer() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~UdpPeer() { close(fd_); }
  uint16_t port() const { return port_; }
  void SendTo(uint16_t port, std::span<const uint8_t> data) const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  }
  std::optional<std::vector<uint8_t>> Receive(std::chrono::milliseconds timeout) const {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    std::vector<uint8_t> buf(2048);
    const ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
  // The next RTP packet (RTCP and anything else skipped).
  std::optional<rtp::RtpPacket> ReceiveRtp(std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto d = Receive(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (!d) return std::nullopt;
      if (d->size() >= 2 && ((*d)[1] & 0x7F) >= 72 && ((*d)[1] & 0x7F) <= 76) continue;  // RTCP
      if (auto p = rtp::RtpPacket::Parse(*d)) return p;
    }
    return std::nullopt;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace tessera::app
