// Where a leg takes its media from: symmetric RTP with a strict source, as Asterisk's strictrtp,
// FreeSWITCH's auto-adjust and rtpengine's strict-source do it. A leg takes media from one
// address and port at a time, the latched source; packets from anywhere else are dropped
// (counted as unlatched_source), so an off-path attacker who guesses the port and the SSRC cannot
// push packets into the participant's stream.
//
// The rules, in order:
// - From the latched source: taken.
// - From the signalled source (the address and port signalling names, when it names a port): taken,
//   and the latch moves to it. Signalling is the stronger evidence: a peer that sends from the
//   port it receives on takes its stream back at once from whoever latched first.
// - Nothing latched yet: taken, and latched (first heard). This is what lets a SIP caller behind
//   NAT in: its packets come from the NAT's address, not from the one in its SDP, so the signalled
//   source is never a requirement.
// - Anything else is dropped, unless it is a candidate that meets the move rule: one source at a
//   time is watched (replaced when it has been silent for candidate_idle_us); once it has sent
//   move_after_packets consecutive in-sequence packets of one SSRC while the latched source has
//   been silent for move_after_silence_us, the latch moves to it (a NAT rebinding, a sender that
//   restarted on a new port). An off-path attacker cannot take the stream while its sender sends.
// - An authenticated packet (SRTP) moves the latch at once: only a holder of the key can make one,
//   and the replay window stops copies of old packets. An unauthenticated packet never reaches
//   the latch.
// - New signalling that names another source (a re-INVITE with new ports, a hold) starts the latch
//   over: the next packet heard latches again.
//
// RTCP never moves the latch. It is taken from the latched address or the signalled one (any
// port: without rtcp-mux, and behind NAT, RTCP comes from another port than RTP), and from
// anywhere while neither is known.
//
// Runs on: its leg's network shard (not thread-safe).
#pragma once

#include <tessera/net/udp_socket.h>

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>

namespace tessera::net {

class SourceLatch {
 public:
  struct Config {
    // How long the latched source must have been silent before another may take its place.
    int64_t move_after_silence_us = 1'500'000;
    // Consecutive in-sequence packets (one SSRC, each sequence number one more than the last)
    // the new source must have sent.
    int move_after_packets = 5;
    // A candidate silent this long is replaced by the next other source heard.
    int64_t candidate_idle_us = 500'000;
  };

  enum class Verdict : uint8_t {
    kLatched,    // from the latched source
    kFirst,      // nothing was latched: latched to this source now
    kSignalled,  // from the signalled source: latched to it now
    kMoved,      // met the move rule (or authenticated): latched to it now
    kRejected,   // from another source: drop it
  };

  SourceLatch() = default;
  explicit SourceLatch(Config config) : config_(config) {}

  // Where signalling says the peer is. An unspecified address (0.0.0.0, ::, a hold) names nobody;
  // port 0 names the address only. When it differs from the previous one the latch starts over.
  void SetSignalled(const Endpoint& peer);

  // A plain RTP packet from `from` with this SSRC and sequence number, arrived at now_us (any
  // monotonic microsecond timebase, the same for every call).
  Verdict OnRtp(const Endpoint& from, uint32_t ssrc, uint16_t seq, int64_t now_us);
  // A packet that passed SRTP authentication: taken from any source, which it latches.
  Verdict OnAuthenticated(const Endpoint& from, int64_t now_us);
  // Whether RTCP from `address` is taken (see above).
  bool AcceptsRtcpFrom(const boost::asio::ip::address& address) const;

  const std::optional<Endpoint>& latched() const { return latched_; }
  const Endpoint& signalled() const { return signalled_; }
  // Times the latch moved from one source to another (latching the first source is no move).
  uint64_t moves() const { return moves_; }

 private:
  struct Candidate {
    Endpoint from;
    uint32_t ssrc = 0;
    uint16_t seq = 0;
    int consecutive = 0;
    int64_t last_us = 0;
  };

  bool SignalledAddressKnown() const { return !signalled_.address().is_unspecified(); }
  void Latch(const Endpoint& from, int64_t now_us);

  Config config_;
  Endpoint signalled_;  // unspecified address: none
  std::optional<Endpoint> latched_;
  int64_t latched_heard_us_ = 0;  // when the latched source was last heard
  std::optional<Candidate> candidate_;
  uint64_t moves_ = 0;
};

}  // namespace tessera::net
