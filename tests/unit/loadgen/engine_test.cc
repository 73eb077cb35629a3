#include "loadgen/engine.h"

#include <gtest/gtest.h>
#include <tessera/codec/libav_log.h>
#include <tessera/net/demux.h>
#include <tessera/net/udp_socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <thread>

namespace tessera::loadgen {
namespace {

// A stand-in server for one participant in a 1x1 grid whose canvas is the input's size: the
// composite is the input itself, so the relay forwards the camera's RTP to the viewer. The load
// generator's whole path runs: pacing, sending, receiving, decoding, reading, matching.
class Relay {
 public:
  Relay() {
    auto camera = net::UdpSocket::Open(io_, "127.0.0.1", 0);
    auto viewer = net::UdpSocket::Open(io_, "127.0.0.1", 0);
    camera_ = std::move(*camera);
    viewer_ = std::move(*viewer);
  }
  ~Relay() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  uint16_t camera_port() const { return camera_->local_port(); }
  uint16_t viewer_rtcp_port() const { return viewer_->local_port(); }

  // Forwards the camera's RTP to the viewer's port; counts the viewer's RTCP.
  void Start(uint16_t viewer_port) {
    const net::Endpoint to(boost::asio::ip::make_address("127.0.0.1"), viewer_port);
    // The sockets start on the relay's own thread, which runs them.
    boost::asio::post(io_, [this, to] {
      camera_->Start([this, to](std::span<const uint8_t> d, const net::Endpoint&) {
        if (net::ClassifyPacket(d) == net::PacketClass::kRtp) viewer_->SendTo(d, to);
      });
      viewer_->Start([this](std::span<const uint8_t>, const net::Endpoint&) { ++rtcp_; });
    });
    thread_ = std::thread([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  int rtcp() const { return rtcp_; }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<net::UdpSocket> camera_, viewer_;
  std::thread thread_;
  std::atomic<int> rtcp_{0};
};

TEST(Engine, MeasuresEveryFrameThroughARelayInRealTime) {
  codec::RouteLibavLogsToSpdlog();
  Relay relay;
  auto viewer_port = FindFreePorts("127.0.0.1", 43000, 43999, 1);
  ASSERT_TRUE(viewer_port.ok());

  LoadPlan plan;
  PlannedRoom room;
  room.name = "r";
  room.layout.inputs.push_back({1, 640, 360});
  PlannedParticipant camera;
  camera.name = "cam";
  camera.tile = 0;
  camera.sends_video = true;
  camera.server_video_port = relay.camera_port();
  PlannedParticipant viewer;
  viewer.name = "viewer";
  viewer.decode = true;
  viewer.receive_video_port = (*viewer_port)[0];
  viewer.server_video_port = relay.viewer_rtcp_port();
  room.participants = {camera, viewer};
  plan.rooms.push_back(room);

  Clips clips;
  VideoClipConfig vc;
  vc.frames = 32;
  clips.video.emplace(rtp::Codec::kH264, *EncodeVideoClip(vc));
  EngineOptions o;
  o.seconds = 3;
  o.warmup_s = 1;
  o.drain_ms = 300;
  auto engine = Engine::Create(plan, clips, o);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  relay.Start(viewer.receive_video_port);

  std::vector<SecondSample> seconds;
  const RunResult r = (*engine)->Run([&](const SecondSample& s) { seconds.push_back(s); });
  ASSERT_EQ(seconds.size(), 3u);
  EXPECT_FALSE(seconds[0].measuring);
  EXPECT_TRUE(seconds[2].measuring);
  EXPECT_NEAR(r.window_s, 2.0, 0.05);
  ASSERT_EQ(r.rooms.size(), 1u);
  const RoomResult& room_result = r.rooms[0];
  EXPECT_EQ(room_result.senders, 1);
  EXPECT_TRUE(room_result.decoded);
  EXPECT_EQ(room_result.input_frames_sent, 90u);
  // Loopback on a shared machine: allow a frame or two of scheduling noise, no more.
  EXPECT_NEAR(static_cast<double>(room_result.composites), 60.0, 2.0);
  EXPECT_GE(room_result.match.shown, 58u);
  EXPECT_LE(room_result.match.missed, 2u);
  EXPECT_EQ(room_result.match.unmatched, 0u);
  EXPECT_EQ(room_result.match.backwards, 0u);
  EXPECT_EQ(room_result.composite_lost, 0u);
  // A relay adds next to nothing: what is measured is the load generator's own overhead.
  EXPECT_GT(room_result.latency.samples, 0u);
  EXPECT_LT(room_result.latency.p50_ms, 20.0);
  EXPECT_EQ(r.total.match.shown, room_result.match.shown);
  EXPECT_GT(relay.rtcp(), 0);                     // receiver reports from the viewer
  EXPECT_FALSE(r.server_cores_mean.has_value());  // no server pid
  EXPECT_GT(r.send_lateness.samples, 0u);
}

TEST(Engine, ReceivePortInUseIsAnErrorNamingTheParticipant) {
  boost::asio::io_context io;
  auto held = net::UdpSocket::Open(io, "127.0.0.1", 0);
  ASSERT_TRUE(held.ok());
  LoadPlan plan;
  PlannedRoom room;
  room.name = "r";
  PlannedParticipant viewer;
  viewer.name = "watcher";
  viewer.decode = true;
  viewer.receive_video_port = (*held)->local_port();
  room.participants = {viewer};
  plan.rooms.push_back(room);
  Clips clips;
  auto engine = Engine::Create(plan, clips, {});
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.status().message().find("watcher"), std::string::npos);
}

}  // namespace
}  // namespace tessera::loadgen
