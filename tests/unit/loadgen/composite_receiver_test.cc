#include "loadgen/composite_receiver.h"

#include <gtest/gtest.h>
#include <tessera/codec/libav_log.h>
#include <tessera/codec/video_encoder.h>
#include <tessera/mixer/cpu_compositor.h>
#include <tessera/rtp/packetizer.h>
#include <tessera/rtp/rtcp/rtcp_compound.h>
#include <tessera/rtp/rtp_sender.h>

#include <boost/asio/io_context.hpp>
#include <variant>

#include "loadgen/test_pattern.h"

namespace tessera::loadgen {
namespace {

constexpr int kCanvasW = 640, kCanvasH = 360;

// A server stand-in: composes four 320x180 inputs showing codes base + i into a 2x2 grid,
// encodes it (keyframe every 8) and packetizes it as the server's RTP sender would.
class CompositeSource {
 public:
  explicit CompositeSource(Clock& clock) : sender_(SenderConfig(), clock) {
    codec::RouteLibavLogsToSpdlog();
    for (uint32_t id = 1; id <= 4; ++id) layout_.inputs.push_back({id, 320, 180});
    tiles_ = mixer::ComputeLayout(layout_.spec, kCanvasW, kCanvasH, layout_.inputs, std::nullopt);
    codec::VideoEncoderConfig ec;
    ec.width = kCanvasW;
    ec.height = kCanvasH;
    ec.bitrate_bps = 800'000;
    auto encoder = codec::CreateVideoEncoder(rtp::Codec::kH264, ec);
    encoder_ = std::move(*encoder);
    packetizer_ = rtp::CreatePacketizer(rtp::Codec::kH264);
  }

  const RoomLayout& layout() const { return layout_; }

  std::vector<rtp::RtpPacket> Frame(uint32_t n) {
    std::vector<codec::VideoFrame> pictures;
    for (uint32_t i = 0; i < 4; ++i) pictures.push_back(MakeTestPicture(320, 180, 30, n + 10 * i));
    std::vector<const mixer::I420Frame*> by_tile;
    for (const auto& t : tiles_) by_tile.push_back(&pictures[t.participant_id - 1]);
    codec::VideoFrame canvas = codec::VideoFrame::Make(kCanvasW, kCanvasH);
    (void)compositor_.Compose(tiles_, by_tile, canvas, {});
    canvas.pts_90k = n * 3000;
    auto encoded = encoder_->Encode(canvas, n % 8 == 0);
    std::vector<rtp::RtpPacket> packets;
    const auto payloads = packetizer_->Packetize(encoded->data, encoded->keyframe);
    for (size_t i = 0; i < payloads.size(); ++i) {
      packets.push_back(sender_.Send(payloads[i], n * 3000, i + 1 == payloads.size(), 0));
    }
    return packets;
  }

 private:
  static rtp::RtpSender::Config SenderConfig() {
    rtp::RtpSender::Config c;
    c.ssrc = 4242;
    c.payload_type = 96;
    return c;
  }
  RoomLayout layout_;
  std::vector<mixer::Tile> tiles_;
  mixer::CpuCompositor compositor_;
  std::unique_ptr<codec::VideoEncoder> encoder_;
  std::unique_ptr<rtp::Packetizer> packetizer_;
  rtp::RtpSender sender_;
};

struct Fixture {
  FakeClock clock;
  boost::asio::io_context decode;
  CompositeSource source{clock};
  std::vector<DecodedComposite> results;
  std::unique_ptr<CompositeReceiver> receiver;

  explicit Fixture(int max_queue = 8) {
    CompositeReceiverConfig c;
    c.max_decode_queue = max_queue;
    auto r = CompositeReceiver::Create(c, source.layout(), clock, decode.get_executor(),
                                       [this](DecodedComposite d) { results.push_back(d); });
    receiver = std::move(*r);
  }

  // Feeds frame n; returns the arrival time of its last packet.
  int64_t Feed(uint32_t n) {
    int64_t last = 0;
    for (const auto& p : source.Frame(n)) {
      clock.AdvanceUs(500);
      last = clock.NowUs();
      (void)receiver->OnRtp(*rtp::RtpPacket::Parse(p.data()), last);
    }
    clock.AdvanceUs(33'000);
    return last;
  }
};

TEST(CompositeReceiver, DecodesCompositesAndReadsEveryTile) {
  Fixture f(16);
  std::vector<int64_t> arrivals;
  for (uint32_t n = 0; n < 10; ++n) arrivals.push_back(f.Feed(n));
  EXPECT_TRUE(f.results.empty());  // nothing decodes until the decode executor runs
  f.decode.run();
  ASSERT_EQ(f.results.size(), 10u);
  for (uint32_t n = 0; n < 10; ++n) {
    const auto& d = f.results[n];
    EXPECT_EQ(d.arrival_us, arrivals[n]);
    ASSERT_EQ(d.readings.size(), 4u);
    for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(d.readings[i], n + 10 * i) << n << " " << i;
  }
  const auto s = f.receiver->stats();
  EXPECT_EQ(s.decoded, 10u);
  EXPECT_EQ(s.frames_assembled, 10u);
  EXPECT_EQ(s.rtp.frames, 10u);
  EXPECT_EQ(s.rtp.lost, 0u);
}

TEST(CompositeReceiver, AfterADecoderFailureWaitsForAKeyframeAndAsksForOne) {
  Fixture f;
  (void)f.Feed(0);
  const auto rtcp = f.receiver->OnDecoderFailed(f.clock.NowUs());
  auto messages = rtp::ParseRtcpCompound(rtcp);
  ASSERT_TRUE(messages.has_value());
  bool pli = false;
  for (const auto& m : *messages) pli |= std::holds_alternative<rtp::Pli>(m);
  EXPECT_TRUE(pli);
  for (uint32_t n = 1; n <= 8; ++n) (void)f.Feed(n);  // 1..7 dropped, 8 is a keyframe
  f.decode.run();
  ASSERT_EQ(f.results.size(), 2u);
  EXPECT_EQ(f.results[1].readings[0], 8u);
  EXPECT_EQ(f.receiver->stats().decode_dropped, 7u);
}

TEST(CompositeReceiver, AFullDecodeQueueDropsUntilTheNextKeyframe) {
  Fixture f(2);
  for (uint32_t n = 0; n < 8; ++n) (void)f.Feed(n);  // 0, 1 queued; 2..7 dropped
  EXPECT_EQ(f.receiver->stats().decode_dropped, 6u);
  f.decode.run();
  f.decode.restart();
  (void)f.Feed(8);  // a keyframe
  f.decode.run();
  ASSERT_EQ(f.results.size(), 3u);
  EXPECT_EQ(f.results[2].readings[3], 8u + 30);
}

TEST(CompositeReceiver, IgnoresOtherPayloadTypes) {
  Fixture f;
  rtp::RtpHeader h;
  h.payload_type = 100;
  const uint8_t payload[4] = {};
  (void)f.receiver->OnRtp(rtp::RtpPacket::Build(h, {}, payload), f.clock.NowUs());
  EXPECT_EQ(f.receiver->stats().rtp.packets, 0u);
}

}  // namespace
}  // namespace tessera::loadgen
