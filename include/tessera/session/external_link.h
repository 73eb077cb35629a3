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
};

}  // namespace tessera::session
