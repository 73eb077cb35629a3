// An AudioLeg receiving a caller over real loopback sockets (queued when sent; Stop() handles
// them): what reaches the room, with which stream boundaries, and the fate of every datagram.
#include "session/audio_leg.h"

#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <tessera/rtp/rtp_packet.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "unit/session/udp_sender.h"

namespace tessera::session {
namespace {

constexpr uint8_t kOpusPt = 111;
constexpr uint8_t kEventPt = 101;

std::vector<uint8_t> Packet(uint32_t ssrc, uint16_t seq, uint8_t pt, std::vector<uint8_t> payload) {
  rtp::RtpHeader h;
  h.payload_type = pt;
  h.ssrc = ssrc;
  h.sequence_number = seq;
  h.timestamp = seq * 960u;
  const rtp::RtpPacket p = rtp::RtpPacket::Build(h, {}, payload);
  return std::vector<uint8_t>(p.data().begin(), p.data().end());
}

std::vector<uint8_t> Audio(uint32_t ssrc, uint16_t seq, uint8_t pt = kOpusPt) {
  return Packet(ssrc, seq, pt, std::vector<uint8_t>(20, static_cast<uint8_t>(seq)));
}

// RFC 4733 2.3: event, E|R|volume, duration.
std::vector<uint8_t> Event(uint32_t ssrc, uint16_t seq, uint8_t event) {
  return Packet(ssrc, seq, kEventPt, {event, 0x0A, 0x00, 0xA0});
}

class Digits : public ParticipantListener {
 public:
  void OnDtmf(char digit) override { digits += digit; }
  std::string digits;
};

TEST(AudioLeg, EveryDatagramIsAcceptedOrDroppedAndARestartedStreamIsMarked) {
  boost::asio::io_context io;
  FakeClock clock;
  RoomParticipantConfig pc;
  pc.name = "accounting-caller";
  pc.remote_rtp_port = 9;  // where the mix would go; nothing is mixed here
  JoinOptions options;
  options.telephone_event_pt = kEventPt;
  auto digits = std::make_shared<Digits>();
  options.listener = digits;
  std::vector<ReceivedAudio> room;
  auto created = AudioLeg::Create(pc, options, 1, ServerConfig{}, io, 0, clock,
                                  [&room](ReceivedAudio a) { room.push_back(std::move(a)); });
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::unique_ptr<AudioLeg> leg = std::move(*created);
  leg->Start();
  test::UdpSender phone(io, "127.0.0.1");
  test::UdpSender other(io, "127.0.0.2");
  constexpr uint32_t kFirst = 0xA0D10;
  constexpr uint32_t kSecond = 0xB0D10;
  uint64_t sent = 0;
  auto deliver = [&](test::UdpSender& from, const std::vector<uint8_t>& datagram) {
    from.SendTo(leg->local_port(), datagram);
    ++sent;
  };

  for (uint16_t seq = 1; seq <= 5; ++seq) deliver(phone, Audio(kFirst, seq));  // accepted
  deliver(phone, Audio(0xF00, 1));                                             // unknown_ssrc
  deliver(phone, Audio(kFirst, 6));                                            // accepted
  deliver(phone, Packet(kFirst, 7, kEventPt, {5, 0x0A}));                      // malformed event
  deliver(phone, Event(kFirst, 7, 5));                                         // accepted: digit 5
  deliver(phone, Audio(kFirst, 6));      // accepted (the room's
                                         // jitter buffer drops it)
  deliver(other, Audio(kFirst, 8));      // unlatched_source
  deliver(phone, Audio(kFirst, 8, 0));   // unknown_payload_type
  deliver(phone, Audio(kFirst, 20008));  // sequence_jump
  // The phone restarts its stream: a new SSRC and numbering. Its first packet is kept on
  // probation, its second confirms it: both reach the room, the first marked as a new stream.
  deliver(phone, Audio(kSecond, 500));  // unknown_ssrc
  deliver(phone, Audio(kSecond, 501));  // accepted
  leg->Stop();

  ASSERT_EQ(room.size(), 9u);
  for (size_t i = 0; i < room.size(); ++i) {
    EXPECT_EQ(room[i].new_stream, i == 7) << "packet " << i << " (seq " << room[i].seq << ")";
  }
  EXPECT_EQ(room[7].seq, 500);
  EXPECT_EQ(room[8].seq, 501);
  EXPECT_EQ(digits->digits, "5");

  const ReceiveCounts& c = leg->receive_counts();
  EXPECT_EQ(c.received, sent);
  EXPECT_EQ(c.accepted, 7u + 1u + 1u);  // the first stream's audio, its event, and 501
  EXPECT_EQ(c.received, c.accepted + c.dropped_total());
  auto dropped = [&](DropReason r) { return c.dropped[static_cast<size_t>(r)]; };
  EXPECT_EQ(dropped(DropReason::kUnknownSsrc), 2u);
  EXPECT_EQ(dropped(DropReason::kMalformed), 1u);
  EXPECT_EQ(dropped(DropReason::kUnlatchedSource), 1u);
  EXPECT_EQ(dropped(DropReason::kUnknownPayloadType), 1u);
  EXPECT_EQ(dropped(DropReason::kSequenceJump), 1u);
  const auto summary = nlohmann::json::parse(leg->SummaryJson("room"));
  EXPECT_EQ(summary["ingress"]["dropped"], summary["dropped"]);
  EXPECT_EQ(summary["ingress"]["received"], sent);
  // Reception statistics of the stream now (the second: 500 and 501, nothing lost); no report
  // about the mix came, so no round trip is claimed.
  EXPECT_EQ(summary["packets_lost"], 0) << summary.dump();
  EXPECT_TRUE(summary.contains("jitter_ms"));
  EXPECT_GT(summary["bytes_received"].get<uint64_t>(), 0u);
  EXPECT_FALSE(summary.contains("rtt_ms"));
}

}  // namespace
}  // namespace tessera::session
