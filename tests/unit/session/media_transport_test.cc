// MediaTransport's receive side without a network: datagrams handed to it as its sockets would,
// from any address. What it passes on, what it drops and why, and the accounting of both.
#include "session/media_transport.h"

#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <tessera/base/metrics.h>
#include <tessera/rtp/rtp_packet.h>
#include <tessera/srtp/sdes.h>
#include <tessera/srtp/srtp_session.h>
#include <tessera/srtp/srtp_suite.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <vector>

namespace tessera::session {
namespace {

constexpr uint32_t kVictimSsrc = 0x5EC0;
constexpr char kKey[] = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

net::Endpoint At(const char* address, uint16_t port) {
  return net::Endpoint(boost::asio::ip::make_address(address), port);
}

std::vector<uint8_t> Rtp(uint32_t ssrc, uint16_t seq, uint8_t pt = 96) {
  rtp::RtpHeader h;
  h.payload_type = pt;
  h.ssrc = ssrc;
  h.sequence_number = seq;
  h.timestamp = seq * 3000u;
  // Long enough that SRTP takes its last bytes for a tag, not for a short packet.
  std::vector<uint8_t> payload(40, static_cast<uint8_t>(seq));
  payload[0] = 0x41;
  const rtp::RtpPacket p = rtp::RtpPacket::Build(h, {}, payload);
  return std::vector<uint8_t>(p.data().begin(), p.data().end());
}

// An RTCP RR without report blocks (RFC 3550 6.4.2).
std::vector<uint8_t> Rr(uint32_t ssrc) {
  return {0x80,
          201,
          0x00,
          0x01,
          static_cast<uint8_t>(ssrc >> 24),
          static_cast<uint8_t>(ssrc >> 16),
          static_cast<uint8_t>(ssrc >> 8),
          static_cast<uint8_t>(ssrc)};
}

// A transport on an io_context that never runs, with an owner that takes what it is handed (or
// rejects it with owner_verdict).
class Harness {
 public:
  boost::asio::io_context io;  // first: it outlives the transport's sockets
  explicit Harness(bool rtcp_mux = true, std::optional<SrtpConfig> srtp = std::nullopt) {
    auto opened = MediaTransport::Open(io, "p", "127.0.0.1", 0, rtcp_mux, srtp, drops, clock);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    transport = std::move(*opened);
    transport->Start(
        [this](std::span<const uint8_t> d, const net::Endpoint&) -> PacketVerdict {
          rtp_handed.emplace_back(d.begin(), d.end());
          if (owner_verdict) return transport->Reject(*owner_verdict, "owner's drop");
          return kAccepted;
        },
        [this](std::span<const uint8_t>, const net::Endpoint&) -> PacketVerdict {
          ++rtcp_handed;
          return kAccepted;
        });
  }
  ~Harness() { transport->DrainAndClose(); }

  void Send(const std::vector<uint8_t>& datagram, const net::Endpoint& from,
            bool rtcp_port = false) {
    transport->OnDatagram(datagram, from, rtcp_port);
  }
  uint64_t Dropped(DropReason reason) const {
    return transport->receive_counts().dropped[static_cast<size_t>(reason)];
  }
  // received == accepted + every reason's drops, and each ingress drop is in the DropCounters.
  void ExpectEveryDatagramAccountedFor() const {
    const ReceiveCounts& c = transport->receive_counts();
    EXPECT_EQ(c.received, c.accepted + c.dropped_total());
    for (size_t i = 0; i < c.dropped.size(); ++i) {
      EXPECT_EQ(c.dropped[i], drops.Get(static_cast<DropReason>(i)))
          << DropReasonName(static_cast<DropReason>(i));
    }
  }

  FakeClock clock;
  MetricsRegistry registry;
  DropCounters drops{registry, "transport"};
  std::unique_ptr<MediaTransport> transport;
  std::vector<std::vector<uint8_t>> rtp_handed;
  int rtcp_handed = 0;
  std::optional<DropReason> owner_verdict;
};

TEST(MediaTransport, TheSpoofOfIssue16IsDroppedAndCounted) {
  Harness h;
  const net::Endpoint victim = At("127.0.0.1", 40000);
  for (uint16_t seq = 100; seq < 110; ++seq) h.Send(Rtp(kVictimSsrc, seq), victim);
  // 72 packets from another address with the victim's SSRC and sequence numbers 20000 ahead,
  // interleaved with the victim's own.
  const net::Endpoint spoofer = At("127.0.0.2", 40000);
  for (uint16_t i = 0; i < 72; ++i) {
    h.Send(Rtp(kVictimSsrc, static_cast<uint16_t>(20110 + i)), spoofer);
    h.Send(Rtp(kVictimSsrc, static_cast<uint16_t>(110 + i)), victim);
    h.clock.AdvanceMs(28);
  }
  EXPECT_EQ(h.rtp_handed.size(), 10u + 72u) << "only the victim's packets were passed on";
  EXPECT_EQ(h.Dropped(DropReason::kUnlatchedSource), 72u);
  EXPECT_EQ(h.drops.Get(DropReason::kUnlatchedSource), 72u);
  EXPECT_EQ(h.transport->receive_counts().received, 10u + 2u * 72u);
  ASSERT_TRUE(h.transport->latch().latched());
  EXPECT_EQ(*h.transport->latch().latched(), victim);
  h.ExpectEveryDatagramAccountedFor();
}

TEST(MediaTransport, EveryDatagramIsAcceptedOrDroppedForExactlyOneReason) {
  Harness h;
  h.transport->SetSignalledPeer(boost::asio::ip::make_address("127.0.0.1"), 5004);
  const net::Endpoint camera = At("127.0.0.1", 40000);
  const net::Endpoint other = At("127.0.0.3", 40000);
  h.Send(Rtp(kVictimSsrc, 1), camera);                      // accepted: first heard
  h.Send(Rtp(kVictimSsrc, 2), camera);                      // accepted
  h.Send({0x00, 0x01, 0x00, 0x00}, camera);                 // STUN: unknown_protocol
  h.Send({0x80}, camera);                                   // too short to classify
  h.Send({}, camera);                                       // empty
  h.Send(Rtp(kVictimSsrc, 3), other);                       // unlatched_source
  h.Send({0x80, 0x60, 0x00}, other);                        // short, unlatched_source
  h.Send({0x80, 0x60, 0x00}, camera);                       // to the owner
  h.Send(Rtp(kVictimSsrc, 4), camera, /*rtcp_port=*/true);  // RTP on the RTCP port
  h.Send(Rr(kVictimSsrc), At("127.0.0.1", 40001), true);    // RTCP: accepted
  h.Send(Rr(kVictimSsrc), other, true);                     // RTCP: unexpected_source
  h.owner_verdict = DropReason::kUnknownPayloadType;
  h.Send(Rtp(kVictimSsrc, 5, 100), camera);  // the owner's drop
  const ReceiveCounts& c = h.transport->receive_counts();
  EXPECT_EQ(c.received, 12u);
  EXPECT_EQ(c.accepted, 4u);  // two RTP, the short one the owner took, one RTCP
  EXPECT_EQ(h.Dropped(DropReason::kUnknownProtocol), 3u);
  EXPECT_EQ(h.Dropped(DropReason::kUnlatchedSource), 2u);
  EXPECT_EQ(h.Dropped(DropReason::kMalformed), 1u);
  EXPECT_EQ(h.Dropped(DropReason::kUnexpectedSource), 1u);
  EXPECT_EQ(h.Dropped(DropReason::kUnknownPayloadType), 1u);
  EXPECT_EQ(h.rtcp_handed, 1);
  h.ExpectEveryDatagramAccountedFor();
}

TEST(MediaTransport, ACallerBehindNatIsHeardWhereItsPacketsComeFrom) {
  Harness h;
  // The SDP names a private address; the packets come from the NAT.
  h.transport->SetSignalledPeer(boost::asio::ip::make_address("192.168.1.10"), 5004);
  const net::Endpoint nat = At("203.0.113.5", 61000);
  for (uint16_t seq = 1; seq <= 20; ++seq) h.Send(Rtp(kVictimSsrc, seq), nat);
  h.Send(Rr(kVictimSsrc), At("203.0.113.5", 61001));
  EXPECT_EQ(h.rtp_handed.size(), 20u);
  EXPECT_EQ(h.rtcp_handed, 1);
  h.ExpectEveryDatagramAccountedFor();
}

TEST(MediaTransport, SignallingNewPortsStartsTheLatchOver) {
  Harness h;
  const auto local = boost::asio::ip::make_address("127.0.0.1");
  h.transport->SetSignalledPeer(local, 5004);
  h.Send(Rtp(kVictimSsrc, 1), At("127.0.0.1", 40000));
  h.Send(Rtp(kVictimSsrc, 2), At("127.0.0.1", 40002));  // the port the re-INVITE will name
  EXPECT_EQ(h.Dropped(DropReason::kUnlatchedSource), 1u);
  h.transport->SetSignalledPeer(local, 40002);  // a re-INVITE with new ports
  h.Send(Rtp(kVictimSsrc, 3), At("127.0.0.1", 40002));
  h.Send(Rtp(kVictimSsrc, 4), At("127.0.0.1", 40000));
  EXPECT_EQ(h.rtp_handed.size(), 2u);
  EXPECT_EQ(h.Dropped(DropReason::kUnlatchedSource), 2u);
  h.ExpectEveryDatagramAccountedFor();
}

TEST(MediaTransport, MediaMovesToANewSourceOnlyOnceTheOldOneIsSilent) {
  Harness h;
  const net::Endpoint before = At("127.0.0.1", 40000);
  const net::Endpoint after = At("127.0.0.1", 40010);
  uint16_t seq = 1;
  h.Send(Rtp(kVictimSsrc, seq++), before);
  h.clock.AdvanceMs(1600);  // the old source went silent (a NAT rebinding)
  for (int i = 0; i < 4; ++i) h.Send(Rtp(kVictimSsrc, seq++), after);
  EXPECT_EQ(h.rtp_handed.size(), 1u);
  h.Send(Rtp(kVictimSsrc, seq++), after);  // the fifth in sequence
  EXPECT_EQ(h.rtp_handed.size(), 2u);
  ASSERT_TRUE(h.transport->latch().latched());
  EXPECT_EQ(*h.transport->latch().latched(), after);
  EXPECT_EQ(h.Dropped(DropReason::kUnlatchedSource), 4u);
  h.ExpectEveryDatagramAccountedFor();
}

TEST(MediaTransport, UnderSrtpOnlyAuthenticatedPacketsMoveTheLatch) {
  SrtpConfig srtp;
  srtp.key = kKey;
  Harness h(true, srtp);
  const auto suite = srtp::SrtpSuiteFromName(srtp.suite);
  ASSERT_TRUE(suite);
  auto key = srtp::ParseInlineKey(*suite, kKey);
  ASSERT_TRUE(key.ok());
  auto sender =
      srtp::SrtpSession::Create(*suite, key->key, srtp::SrtpSession::Direction::kOutbound);
  ASSERT_TRUE(sender.ok());
  auto protect = [&](std::vector<uint8_t> packet) {
    EXPECT_EQ((*sender)->ProtectRtp(packet), srtp::SrtpResult::kOk);
    return packet;
  };
  const net::Endpoint first = At("127.0.0.1", 40000);
  const net::Endpoint rebound = At("127.0.0.1", 40010);
  h.Send(protect(Rtp(kVictimSsrc, 1)), first);
  ASSERT_TRUE(h.transport->latch().latched());
  EXPECT_EQ(*h.transport->latch().latched(), first);
  // Forged (unauthenticated) packets from elsewhere never reach the latch.
  std::vector<uint8_t> forged = protect(Rtp(kVictimSsrc, 2));
  forged.back() ^= 0xFF;
  h.Send(forged, At("127.0.0.2", 40000));
  h.Send(Rtp(kVictimSsrc, 20002), At("127.0.0.2", 40000));  // plain RTP on an SRTP leg
  EXPECT_EQ(*h.transport->latch().latched(), first);
  EXPECT_EQ(h.Dropped(DropReason::kSrtpAuth), 2u);
  // An authenticated packet from a new port is the participant itself: it moves the latch.
  h.Send(protect(Rtp(kVictimSsrc, 3)), rebound);
  EXPECT_EQ(*h.transport->latch().latched(), rebound);
  EXPECT_EQ(h.rtp_handed.size(), 2u);
  h.ExpectEveryDatagramAccountedFor();
}

// What a WebRTC front end gives a leg: records what the leg sends and which path it attached.
class RecordingLink final : public ExternalLink {
 public:
  boost::asio::io_context& shard() override { return io; }
  bool Send(std::vector<uint8_t> datagram) override {
    sent.push_back(std::move(datagram));
    return true;
  }
  void Attach(MediaKind kind, LegPacketPath* p) override {
    attached_kind = kind;
    path = p;
  }
  boost::asio::io_context io;
  std::vector<std::vector<uint8_t>> sent;
  std::optional<MediaKind> attached_kind;
  LegPacketPath* path = nullptr;
};

TEST(MediaTransport, AnExternalLegTakesNothingAndSendsNothingBeforeItsKeys) {
  auto link = std::make_shared<RecordingLink>();
  FakeClock clock;
  MetricsRegistry registry;
  DropCounters drops{registry, "webrtc"};
  auto t = MediaTransport::OpenExternal(link, MediaKind::kVideo, "browser", drops, clock);
  int handed = 0;
  t->Start(
      [&](std::span<const uint8_t>, const net::Endpoint&) -> PacketVerdict {
        ++handed;
        return kAccepted;
      },
      [&](std::span<const uint8_t>, const net::Endpoint&) -> PacketVerdict {
        ++handed;
        return kAccepted;
      });
  ASSERT_EQ(link->path, t.get());
  EXPECT_EQ(link->attached_kind, MediaKind::kVideo);
  const net::Endpoint browser = At("127.0.0.1", 50000);
  // Plain RTP and RTCP before DTLS: never taken, never sent.
  link->path->DeliverDatagram(Rtp(kVictimSsrc, 1), browser);
  link->path->DeliverDatagram(Rr(kVictimSsrc), browser);
  EXPECT_FALSE(t->SendRtp(Rtp(0x1234, 1), browser));
  EXPECT_EQ(handed, 0);
  EXPECT_TRUE(link->sent.empty());
  EXPECT_EQ(drops.Get(DropReason::kNotKeyed), 2u);

  // The keys DTLS exported: each side's own key + salt (30 bytes for AES-CM).
  const auto suite = srtp::SrtpSuite::kAesCm128HmacSha1_80;
  std::vector<uint8_t> ours(30, 0x11), theirs(30, 0x22);
  ASSERT_TRUE(link->path->SetSrtpKeys(suite, ours, theirs).ok());
  auto browser_out =
      srtp::SrtpSession::Create(suite, theirs, srtp::SrtpSession::Direction::kOutbound);
  auto browser_in = srtp::SrtpSession::Create(suite, ours, srtp::SrtpSession::Direction::kInbound);
  ASSERT_TRUE(browser_out.ok() && browser_in.ok());
  std::vector<uint8_t> packet = Rtp(kVictimSsrc, 2);
  ASSERT_EQ((*browser_out)->ProtectRtp(packet), srtp::SrtpResult::kOk);
  link->path->DeliverDatagram(packet, browser);
  // Still no plain RTP once keyed: it fails authentication.
  link->path->DeliverDatagram(Rtp(kVictimSsrc, 3), browser);
  EXPECT_EQ(handed, 1);
  EXPECT_EQ(drops.Get(DropReason::kSrtpAuth), 1u);

  // What the leg sends goes through the link, protected with our key.
  ASSERT_TRUE(t->SendRtp(Rtp(0x1234, 7), browser));
  ASSERT_EQ(link->sent.size(), 1u);
  std::vector<uint8_t> received = link->sent[0];
  EXPECT_EQ((*browser_in)->UnprotectRtp(received), srtp::SrtpResult::kOk);
  EXPECT_EQ(received, Rtp(0x1234, 7));

  const ReceiveCounts& c = t->receive_counts();
  EXPECT_EQ(c.received, 4u);
  EXPECT_EQ(c.received, c.accepted + c.dropped_total());
  t->DrainAndClose();
  EXPECT_EQ(link->path, nullptr);
}

}  // namespace
}  // namespace tessera::session
