// ExternalLink: legs whose packets a front end carries instead of sockets of their own. A WebRTC
// participant's audio and video share one ICE pair, one DTLS association and one UDP port with
// every other browser (BUNDLE); its front end (webrtc/) owns those and hands each leg the SRTP it
// routed to it. The legs stay ordinary session legs: same SRTP sessions, drops, mix and tile.
#pragma once

#include <tessera/base/status.h>
#include <tessera/net/udp_socket.h>
#include <tessera/srtp/srtp_suite.h>

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <span>
#include <vector>

namespace tessera::session {

enum class MediaKind : uint8_t { kAudio, kVideo };

// The receiving end of one leg's transport. Runs on: the link's shard.
class LegPacketPath {
 public:
  virtual ~LegPacketPath() = default;
  // One SRTP or SRTCP datagram from the peer, already matched to this participant: accepted or
  // dropped with a counted reason, like a datagram on a leg's own port.
  virtual void DeliverDatagram(std::span<const uint8_t> data, const net::Endpoint& from) = 0;
  // The keys the DTLS handshake exported (RFC 5764 4.2), each the master key followed by the
  // salt: `local` protects what the leg sends, `remote` checks what it receives. Until then every
  // packet is dropped (DropReason::kNotKeyed) and nothing is sent: plain RTP is never taken.
  virtual Status SetSrtpKeys(srtp::SrtpSuite suite, std::span<const uint8_t> local,
                             std::span<const uint8_t> remote) = 0;
  // RTCP the link made (transport-wide feedback), protected and sent as the leg's own; false
  // when it was not sent (not keyed, closed).
  virtual bool SendLinkRtcp(std::vector<uint8_t> compound) = 0;
  // The link's estimate of what the path to the peer carries (bit/s) and the loss it sees, for
  // the leg's owner to adapt what it sends.
  virtual void OnLinkEstimate(int64_t bps, double loss) = 0;
  // The link wants `bytes` more sent to the peer now to probe the path (padding the peer
  // discards); false when this leg cannot pad.
  virtual bool SendProbePadding(size_t bytes) = 0;
};

// What a front end gives the legs of one participant (JoinOptions::external_link). Runs on:
// shard(), where the legs are created and run.
class ExternalLink {
 public:
  virtual ~ExternalLink() = default;
  virtual boost::asio::io_context& shard() = 0;
  // Sends one protected datagram to the peer; false (and nothing sent) while there is no path.
  virtual bool Send(std::vector<uint8_t> datagram) = 0;
  // A leg's transport started (path) or closed (nullptr): from then on the link delivers that
  // kind's datagrams to it.
  virtual void Attach(MediaKind kind, LegPacketPath* path) = 0;

  // Transport-wide congestion control, where the link negotiated it (no-ops otherwise): each
  // clear RTP packet a leg is about to protect and send (the link may add its transport-wide
  // sequence number; probe: padding it asked for), each clear RTP packet a leg authenticated, and
  // each clear RTCP compound a leg authenticated.
  virtual void OnRtpSending(MediaKind, std::vector<uint8_t>& /*rtp*/, bool /*probe*/) {}
  virtual void OnRtpReceived(MediaKind, std::span<const uint8_t> /*rtp*/, int64_t /*now_us*/) {}
  virtual void OnRtcpReceived(MediaKind, std::span<const uint8_t> /*compound*/,
                              int64_t /*now_us*/) {}
};

}  // namespace tessera::session
