// The socket side of one participant: its UDP port(s), RFC 7983 demultiplexing and SRTP. Hands
// clear RTP and RTCP to its owner and protects what the owner sends. Every drop is counted.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/logging.h>
#include <tessera/base/metrics.h>
#include <tessera/base/thread_checker.h>
#include <tessera/net/udp_socket.h>
#include <tessera/session/config.h>
#include <tessera/srtp/srtp_session.h>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tessera::session {

// A participant's configured remote_address; InvalidArgument naming the participant when it is
// not an IP address.
StatusOr<boost::asio::ip::address> ParseRemoteAddress(const std::string& participant,
                                                      const std::string& address);
// A random SSRC for a stream Tessera sends (RFC 3550 8.1), never 0.
uint32_t RandomSsrc();

// Runs on: its network shard (Open may run on another thread before the shard starts).
class MediaTransport {
 public:
  using PacketHandler = std::function<void(std::span<const uint8_t> clear, const net::Endpoint&)>;

  // Binds local_port (and local_port + 1 for RTCP without rtcp-mux) and keys SRTP when srtp is
  // set. Errors name the participant.
  static StatusOr<std::unique_ptr<MediaTransport>> Open(boost::asio::io_context& shard,
                                                        const std::string& name,
                                                        const std::string& bind_address,
                                                        uint16_t local_port, bool rtcp_mux,
                                                        const std::optional<SrtpConfig>& srtp,
                                                        DropCounters& drops, Clock& clock);

  void Start(PacketHandler on_rtp, PacketHandler on_rtcp);
  // Protects (when SRTP is on) and sends. False when the packet was not sent (counted).
  bool SendRtp(std::vector<uint8_t> packet, const net::Endpoint& to);
  bool SendRtcp(std::vector<uint8_t> compound, const net::Endpoint& to);
  // Handles every datagram already queued in the kernel, then closes the sockets.
  void DrainAndClose();

  // A drop found by the owner (bad payload, wrong payload type): counted and logged like ours.
  void Drop(DropReason reason, const char* what);

  bool encrypted() const { return srtp_in_ != nullptr; }
  bool rtcp_mux() const { return rtcp_socket_ == nullptr; }
  uint16_t local_port() const { return local_port_; }
  uint64_t srtcp_received() const { return srtcp_received_; }

 private:
  MediaTransport(const std::string& name, DropCounters& drops, Clock& clock)
      : name_(name), drops_(drops), clock_(clock) {}
  void OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from, bool rtcp_port);
  bool Unprotect(bool rtcp, std::span<const uint8_t> data);

  std::string name_;
  DropCounters& drops_;
  Clock& clock_;
  uint16_t local_port_ = 0;
  std::unique_ptr<net::UdpSocket> rtp_socket_;
  std::unique_ptr<net::UdpSocket> rtcp_socket_;  // null with rtcp-mux
  std::unique_ptr<srtp::SrtpSession> srtp_in_;
  std::unique_ptr<srtp::SrtpSession> srtp_out_;
  PacketHandler on_rtp_;
  PacketHandler on_rtcp_;
  std::vector<uint8_t> scratch_;
  LogRateLimiter drop_log_;
  uint64_t srtcp_received_ = 0;
  bool closed_ = false;
  ThreadChecker checker_;
};

}  // namespace tessera::session
