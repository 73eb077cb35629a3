// A VideoLeg receiving its camera over real loopback sockets: every datagram that reaches its
// port is accepted or dropped for exactly one reason, and a spoofer on another address with the
// camera's SSRC cannot freeze the stream (issue 16). Datagrams are queued at the leg's socket
// when the send returns; Stop() handles every queued one, so nothing waits on time. A camera that
// gives its parameter sets only out of band is taken with them.
#include "session/video_leg.h"

#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <tessera/rtp/packetizer.h>
#include <tessera/rtp/rtp_packet.h>
#include <tessera/rtp/rtp_sender.h>
#include <tessera/rtp/rtx.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "unit/rtp/h264_test_data.h"
#include "unit/session/udp_sender.h"

namespace tessera::session {
namespace {

constexpr uint32_t kCameraSsrc = 0xCA3E;

// Every 30th frame an IDR, with its SPS and PPS unless the camera gives them only out of band.
std::vector<uint8_t> MakeFrame(int index, bool parameter_sets) {
  using rtp::testing::AnnexB;
  using rtp::testing::MakeNal;
  if (index % 30 == 0 && !parameter_sets) return AnnexB({MakeNal(0x65, 4000, index)});
  if (index % 30 == 0) {
    return AnnexB({rtp::testing::kSps640x360, rtp::testing::kPps, MakeNal(0x65, 4000, index)});
  }
  return AnnexB({MakeNal(0x41, 1500 + 97 * (index % 13), index)});
}

// The camera's packets for frame i, from its own RTP sender.
class Camera {
 public:
  explicit Camera(Clock& clock, bool parameter_sets = true) : parameter_sets_(parameter_sets) {
    rtp::RtpSender::Config sc;
    sc.ssrc = kCameraSsrc;
    sc.payload_type = 96;
    sc.initial_sequence = 1000;
    sender_ = std::make_unique<rtp::RtpSender>(sc, clock);
  }
  std::vector<rtp::RtpPacket> Frame(int index) {
    const std::vector<uint8_t> frame = MakeFrame(index, parameter_sets_);
    auto payloads = packetizer_->Packetize(frame, index % 30 == 0);
    std::vector<rtp::RtpPacket> out;
    for (size_t k = 0; k < payloads.size(); ++k) {
      out.push_back(sender_->Send(payloads[k], static_cast<uint32_t>(index * 3000),
                                  k + 1 == payloads.size(), 1));
    }
    return out;
  }

 private:
  bool parameter_sets_;
  std::unique_ptr<rtp::Packetizer> packetizer_ = rtp::CreatePacketizer(rtp::Codec::kH264);
  std::unique_ptr<rtp::RtpSender> sender_;
};

std::vector<uint8_t> Rr(uint32_t ssrc, uint8_t length_words = 1) {
  return {0x80,
          201,
          0x00,
          length_words,
          static_cast<uint8_t>(ssrc >> 24),
          static_cast<uint8_t>(ssrc >> 16),
          static_cast<uint8_t>(ssrc >> 8),
          static_cast<uint8_t>(ssrc)};
}

class VideoLegTest : public ::testing::Test {
 protected:
  // A participant whose camera sends H.264 (pt 96) and who receives no composite; no decoder.
  // sprop: its video.sprop_parameter_sets.
  // rtx_pt: its RTX payload type (0: none).
  std::unique_ptr<VideoLeg> StartLeg(const std::string& name, const std::string& sprop = "",
                                     uint8_t rtx_pt = 0) {
    RoomParticipantConfig pc;
    pc.name = name;
    RoomParticipantVideoConfig v;
    v.codec = rtp::Codec::kH264;
    v.payload_type = 96;
    v.sprop_parameter_sets = sprop;
    v.rtx_payload_type = rtx_pt;
    pc.video = v;
    auto leg = VideoLeg::Create(pc, JoinOptions{}, 1, ServerConfig{}, io_, 0, clock_,
                                boost::asio::make_strand(pool_.get_executor()), nullptr,
                                rtp::Codec::kH264, VideoLeg::RoomHooks{});
    EXPECT_TRUE(leg.ok()) << leg.status().ToString();
    (*leg)->Start();
    return std::move(*leg);
  }

  void Send(test::UdpSender& from, const VideoLeg& leg, const rtp::RtpPacket& p) {
    from.SendTo(leg.local_port(), p.data());
  }
  void Send(test::UdpSender& from, const VideoLeg& leg, const std::vector<uint8_t>& bytes) {
    from.SendTo(leg.local_port(), bytes);
  }

  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{1};
  FakeClock clock_;
};

TEST_F(VideoLegTest, EveryDatagramIsAcceptedOrDroppedForExactlyOneReason) {
  auto leg = StartLeg("accounting-camera");
  test::UdpSender camera(io_, "127.0.0.1");
  test::UdpSender spoofer(io_, "127.0.0.2");
  Camera source(clock_);
  uint64_t sent = 0;
  uint64_t good = 0;
  auto deliver = [&](test::UdpSender& from, const auto& datagram) {
    Send(from, *leg, datagram);
    ++sent;
  };
  auto deliver_frame = [&](const std::vector<rtp::RtpPacket>& packets) {
    for (const auto& p : packets) deliver(camera, p);
    good += packets.size();
  };

  deliver_frame(source.Frame(0));
  const std::vector<rtp::RtpPacket> frame1 = source.Frame(1);
  deliver_frame(frame1);
  const std::vector<rtp::RtpPacket> frame2 = source.Frame(2);
  rtp::RtpPacket spoof = frame2[0];  // the camera's SSRC, 20000 ahead, from another address
  spoof.SetSequenceNumber(static_cast<uint16_t>(spoof.sequence_number() + 20000));
  deliver(spoofer, spoof);                                        // unlatched_source
  deliver(camera, std::vector<uint8_t>{0x00, 0x01, 0x00, 0x00});  // unknown_protocol (STUN)
  deliver(camera, std::vector<uint8_t>{0x80});                    // unknown_protocol
  deliver(camera, std::vector<uint8_t>{0x80, 0x60, 0x00});        // malformed RTP
  rtp::RtpPacket wrong_pt = frame2[0];
  wrong_pt.SetPayloadType(100);
  deliver(camera, wrong_pt);  // unknown_payload_type
  rtp::RtpPacket foreign = frame2[0];
  foreign.SetSsrc(0xBAD);
  deliver(camera, foreign);  // unknown_ssrc
  deliver(camera, spoof);    // sequence_jump
  rtp::RtpHeader h;
  h.payload_type = 96;
  h.ssrc = kCameraSsrc;
  h.sequence_number = frame2[0].sequence_number();
  const rtp::RtpPacket stap_b = rtp::RtpPacket::Build(h, {}, std::vector<uint8_t>{0x7E, 0});
  deliver(camera, stap_b);  // malformed payload
  deliver_frame(frame2);
  deliver(camera, frame1.back());  // too_late
  const std::vector<rtp::RtpPacket> frame3 = source.Frame(3);
  ASSERT_GE(frame3.size(), 2u);
  deliver(camera, frame3[0]);
  ++good;
  deliver(camera, frame3[0]);  // duplicate
  for (size_t k = 1; k < frame3.size(); ++k) {
    deliver(camera, frame3[k]);
    ++good;
  }
  deliver(camera, Rr(0x77));  // RTCP: accepted
  ++good;
  deliver(spoofer, Rr(0x77));    // unexpected_source
  deliver(camera, Rr(0x77, 5));  // malformed RTCP
  leg->Stop();

  const ReceiveCounts& c = leg->receive_counts();
  EXPECT_EQ(c.received, sent);
  EXPECT_EQ(c.accepted, good);
  EXPECT_EQ(c.received, c.accepted + c.dropped_total());
  auto dropped = [&](DropReason r) { return c.dropped[static_cast<size_t>(r)]; };
  EXPECT_EQ(dropped(DropReason::kUnlatchedSource), 1u);
  EXPECT_EQ(dropped(DropReason::kUnknownProtocol), 2u);
  EXPECT_EQ(dropped(DropReason::kMalformed), 3u);
  EXPECT_EQ(dropped(DropReason::kUnknownPayloadType), 1u);
  EXPECT_EQ(dropped(DropReason::kUnknownSsrc), 1u);
  EXPECT_EQ(dropped(DropReason::kSequenceJump), 1u);
  EXPECT_EQ(dropped(DropReason::kTooLate), 1u);
  EXPECT_EQ(dropped(DropReason::kDuplicate), 1u);
  EXPECT_EQ(dropped(DropReason::kUnexpectedSource), 1u);

  // The summary line says the same, and nothing was dropped later that was not dropped on
  // arrival: its "dropped" equals its "ingress" drops reason by reason.
  const auto summary = nlohmann::json::parse(leg->SummaryJson("room"));
  EXPECT_EQ(summary["ingress"]["received"], sent);
  EXPECT_EQ(summary["ingress"]["accepted"], good);
  EXPECT_EQ(summary["ingress"]["dropped"], summary["dropped"]);
  EXPECT_EQ(summary["frames_received"], 4);
}

TEST_F(VideoLegTest, ASpooferWithTheCamerasSsrcCannotFreezeTheStream) {
  auto leg = StartLeg("spoofed-camera");
  test::UdpSender camera(io_, "127.0.0.1");
  test::UdpSender spoofer(io_, "127.0.0.2");
  Camera source(clock_);
  // The burst of issue 16: 72 packets with the camera's SSRC, sequence numbers 20000 ahead of
  // its own (which start at 1000), two after each of the camera's packets until all are sent.
  uint16_t spoof_seq = 21000;
  int spoofs = 0;
  for (int i = 0; i < 30; ++i) {
    for (const rtp::RtpPacket& p : source.Frame(i)) {
      Send(camera, *leg, p);
      for (int k = 0; k < 2 && spoofs < 72; ++k, ++spoofs) {
        rtp::RtpPacket spoof = p;
        spoof.SetSequenceNumber(spoof_seq++);
        Send(spoofer, *leg, spoof);
      }
    }
  }
  ASSERT_EQ(spoofs, 72);
  leg->Stop();
  const auto summary = nlohmann::json::parse(leg->SummaryJson("room"));
  EXPECT_EQ(summary["frames_received"], 30) << summary.dump();
  EXPECT_EQ(summary["dropped"]["unlatched_source"], 72);
  EXPECT_EQ(summary["dropped"]["too_late"], 0);
  EXPECT_EQ(summary["dropped"]["sequence_jump"], 0);
  // The spoofer's packets never reached the stream's statistics.
  EXPECT_EQ(summary["packets_lost"], 0);
  EXPECT_GT(summary["bytes_received"].get<uint64_t>(), 0u);
  const ReceiveCounts& c = leg->receive_counts();
  EXPECT_EQ(c.received, c.accepted + c.dropped_total());
}

TEST_F(VideoLegTest, ACameraWithParameterSetsOnlyOutOfBandIsTakenWithThem) {
  // kSps640x360 and kPps as an SDP's sprop-parameter-sets gives them; the camera never sends them.
  for (const char* value : {"", "Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=,aOvjyyLA"}) {
    const std::string sprop = value;
    auto leg = StartLeg(sprop.empty() ? "no-sprop" : "sprop", sprop);
    test::UdpSender camera(io_, "127.0.0.1");
    Camera source(clock_, /*parameter_sets=*/false);
    for (int i = 0; i < 30; ++i) {
      for (const rtp::RtpPacket& p : source.Frame(i)) Send(camera, *leg, p);
    }
    leg->Stop();
    const auto summary = nlohmann::json::parse(leg->SummaryJson("room"));
    // Without them its IDR is no place to start decoding, and nothing after it either.
    EXPECT_EQ(summary["frames_received"], sprop.empty() ? 0 : 30) << sprop << summary.dump();
  }
}

TEST_F(VideoLegTest, ARetransmissionOnTheCamerasRtxStreamRepairsItsFrame) {
  // A browser's camera with RTX (RFC 4588, pt 97): one packet of frame 5 comes only as a
  // retransmission on its RTX stream, after frame 6; a padding-only probe on RTX carries nothing.
  auto leg = StartLeg("rtx-camera", "", /*rtx_pt=*/97);
  test::UdpSender camera(io_, "127.0.0.1");
  Camera source(clock_);
  std::optional<rtp::RtpPacket> held;
  for (int i = 0; i < 30; ++i) {
    std::vector<rtp::RtpPacket> frame = source.Frame(i);
    if (i == 5) {
      held = frame.back();
      frame.pop_back();
    }
    for (const rtp::RtpPacket& p : frame) Send(camera, *leg, p);
    if (i == 6) Send(camera, *leg, rtp::WrapRtx(*held, 97, kCameraSsrc + 1, 500));
  }
  rtp::RtpHeader probe;
  probe.payload_type = 97;
  probe.ssrc = kCameraSsrc + 1;
  probe.sequence_number = 501;
  Send(camera, *leg, rtp::RtpPacket::Build(probe, {}, {}, /*padding_size=*/100));
  // Another RTX stream (another layer's, say) never repairs this one.
  Send(camera, *leg, rtp::WrapRtx(source.Frame(30).front(), 97, kCameraSsrc + 2, 900));
  leg->Stop();
  const auto summary = nlohmann::json::parse(leg->SummaryJson("room"));
  EXPECT_EQ(summary["frames_received"], 30) << summary.dump();
  EXPECT_EQ(summary["rtx_received"], 1);
  EXPECT_EQ(summary["rtx_padding"], 1);
  EXPECT_EQ(summary["dropped"]["unknown_ssrc"], 1);
  EXPECT_EQ(summary["packets_lost"], 0);
}

}  // namespace
}  // namespace tessera::session
