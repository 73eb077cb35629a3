// The socket side of one participant: its UDP port(s), RFC 7983 demultiplexing, SRTP and the
// media source latch. Hands clear RTP and RTCP to its owner and protects what the owner sends.
// Every datagram received is accepted or dropped for exactly one reason, both counted.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/logging.h>
#include <tessera/base/metrics.h>
#include <tessera/base/thread_checker.h>
#include <tessera/net/source_latch.h>
#include <tessera/net/udp_socket.h>
#include <tessera/session/config.h>
#include <tessera/session/external_link.h>
#include <tessera/srtp/srtp_session.h>

#include <array>
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

// What became of one received packet on arrival: kAccepted (handed on to the participant's
// stream, which may still drop it later and count it then), or the reason it was dropped for.
using PacketVerdict = std::optional<DropReason>;
inline constexpr PacketVerdict kAccepted = std::nullopt;

// Every datagram that reached a participant's ports, and its fate on arrival:
// received == accepted + the sum of dropped. Later drops of accepted data (a frame given up by
// the jitter buffer, a decoder behind) are in the DropCounters only.
struct ReceiveCounts {
  uint64_t received = 0;
  uint64_t accepted = 0;
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> dropped{};
  uint64_t dropped_total() const;
};

// Runs on: its network shard (Open may run on another thread before the shard starts).
//
// The latch (net::SourceLatch): plain RTP is taken only from the latched source, which is the
// signalled one or the first heard, and moves by the latch's rules; an SRTP packet is checked by
// SRTP first and, authenticated, latches its source. RTCP is taken from the latched or signalled
// address (SourceLatch::AcceptsRtcpFrom).
//
// External (OpenExternal): no sockets; a front end's ExternalLink delivers the datagrams it routed
// to this leg and sends what the leg sends. SRTP only, keyed later by SetSrtpKeys (DTLS): before
// that, everything is dropped as kNotKeyed.
class MediaTransport final : public LegPacketPath {
 public:
  // Returns the packet's fate: kAccepted, or the reason the owner dropped it for (the owner
  // counts it through Reject or Drop; the transport only tallies the verdict).
  using PacketHandler =
      std::function<PacketVerdict(std::span<const uint8_t> clear, const net::Endpoint&)>;

  // Binds local_port (and local_port + 1 for RTCP without rtcp-mux) and keys SRTP when srtp is
  // set. Errors name the participant.
  static StatusOr<std::unique_ptr<MediaTransport>> Open(boost::asio::io_context& shard,
                                                        const std::string& name,
                                                        const std::string& bind_address,
                                                        uint16_t local_port, bool rtcp_mux,
                                                        const std::optional<SrtpConfig>& srtp,
                                                        DropCounters& drops, Clock& clock);

  // A transport without sockets whose packets `link` carries (see the class comment).
  static std::unique_ptr<MediaTransport> OpenExternal(std::shared_ptr<ExternalLink> link,
                                                      MediaKind kind, const std::string& name,
                                                      DropCounters& drops, Clock& clock);

  void Start(PacketHandler on_rtp, PacketHandler on_rtcp);
  // External transports: called once SetSrtpKeys keyed the leg (what it sends reaches the peer
  // from then on).
  void OnKeyed(std::function<void()> f) { on_keyed_ = std::move(f); }

  // LegPacketPath (external transports only).
  void DeliverDatagram(std::span<const uint8_t> data, const net::Endpoint& from) override {
    OnDatagram(data, from, false);
  }
  Status SetSrtpKeys(srtp::SrtpSuite suite, std::span<const uint8_t> local,
                     std::span<const uint8_t> remote) override;
  bool SendLinkRtcp(std::vector<uint8_t> compound) override {
    return SendRtcp(std::move(compound), net::Endpoint());
  }
  void OnLinkEstimate(int64_t bps, double loss) override {
    if (on_estimate_) on_estimate_(bps, loss);
  }
  bool SendProbePadding(size_t bytes) override { return on_padding_ ? on_padding_(bytes) : false; }
  // The owner's handlers for the link's estimate and its requests for probe padding (which the
  // owner sends through SendRtp with probe set).
  void OnEstimate(std::function<void(int64_t bps, double loss)> f) { on_estimate_ = std::move(f); }
  void OnPaddingWanted(std::function<bool(size_t bytes)> f) { on_padding_ = std::move(f); }
  // Protects (when SRTP is on) and sends. False when the packet was not sent (counted).
  // probe: padding sent to probe the path (SendProbePadding).
  bool SendRtp(std::vector<uint8_t> packet, const net::Endpoint& to, bool probe = false);
  bool SendRtcp(std::vector<uint8_t> compound, const net::Endpoint& to);
  // Handles every datagram already queued in the kernel, then closes the sockets.
  void DrainAndClose();

  // Where signalling (config, SDP, a re-INVITE) says the peer is: the address its media may come
  // from and, when known, the port (a peer sends from the port it receives on); an unspecified
  // address (a hold) names nobody. A change starts the latch over (SourceLatch::SetSignalled).
  void SetSignalledPeer(const boost::asio::ip::address& address, uint16_t rtp_port);

  // A drop found by the owner (bad payload, wrong payload type): counted and logged like ours.
  void Drop(DropReason reason, const char* what);
  // The same for the packet being handled, returned as its verdict: `return Reject(...)`.
  PacketVerdict Reject(DropReason reason, const char* what) {
    Drop(reason, what);
    return reason;
  }

  bool encrypted() const { return srtp_in_ != nullptr; }
  bool rtcp_mux() const { return rtcp_socket_ == nullptr; }
  bool external() const { return link_ != nullptr; }
  uint16_t local_port() const { return local_port_; }
  uint64_t srtcp_received() const { return srtcp_received_; }
  const ReceiveCounts& receive_counts() const { return receive_counts_; }
  const net::SourceLatch& latch() const { return latch_; }

  // What the sockets call for each datagram (rtcp_port: it came to the RTCP port, without
  // rtcp-mux). Public so that tests hand it datagrams without a network.
  void OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from, bool rtcp_port);

 private:
  MediaTransport(const std::string& name, DropCounters& drops, Clock& clock)
      : name_(name), drops_(drops), clock_(clock) {}
  PacketVerdict Handle(std::span<const uint8_t> data, const net::Endpoint& from, bool rtcp_port);
  PacketVerdict CheckRtpSource(std::span<const uint8_t> rtp, const net::Endpoint& from);
  // The SRTP verdict: kAccepted when there is no SRTP or the packet unprotected into scratch_.
  PacketVerdict Unprotect(bool rtcp, std::span<const uint8_t> data);

  std::string name_;
  DropCounters& drops_;
  Clock& clock_;
  uint16_t local_port_ = 0;
  std::unique_ptr<net::UdpSocket> rtp_socket_;
  std::unique_ptr<net::UdpSocket> rtcp_socket_;  // null with rtcp-mux
  std::shared_ptr<ExternalLink> link_;           // set: external, no sockets
  MediaKind kind_ = MediaKind::kAudio;
  std::unique_ptr<srtp::SrtpSession> srtp_in_;
  std::unique_ptr<srtp::SrtpSession> srtp_out_;
  PacketHandler on_rtp_;
  std::function<void()> on_keyed_;
  std::function<void(int64_t, double)> on_estimate_;
  std::function<bool(size_t)> on_padding_;
  PacketHandler on_rtcp_;
  std::vector<uint8_t> scratch_;
  LogRateLimiter drop_log_;
  net::SourceLatch latch_;
  ReceiveCounts receive_counts_;
  uint64_t srtcp_received_ = 0;
  bool closed_ = false;
  ThreadChecker checker_;
};

}  // namespace tessera::session
