#include "loadgen/load_plan.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

namespace tessera::loadgen {
namespace {

std::vector<uint16_t> Ports(size_t n) {
  std::vector<uint16_t> p;
  for (size_t i = 0; i < n; ++i) p.push_back(static_cast<uint16_t>(30000 + 2 * i));
  return p;
}

TEST(LoadPlan, GeneratedConfigIsValidAndPlansEveryStream) {
  GenerateOptions o;
  o.rooms = 2;
  o.participants = 3;
  o.input_codecs = {rtp::Codec::kH264, rtp::Codec::kVp8};
  const auto ports = Ports(PortsNeeded(o));
  ASSERT_EQ(ports.size(), 2u * (3 * 4 + 2));
  const std::string yaml = GenerateConfigYaml(o, ports);
  auto config = app::ParseConfig(yaml, "generated");
  ASSERT_TRUE(config.ok()) << config.status().ToString() << "\n" << yaml;
  auto plan = PlanFromConfig(*config, 640, 360);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->rooms.size(), 2u);
  std::set<uint16_t> used;
  for (const auto& room : plan->rooms) {
    ASSERT_EQ(room.participants.size(), 4u);
    ASSERT_EQ(room.layout.inputs.size(), 3u);
    EXPECT_EQ(room.layout.spec.kind, mixer::LayoutKind::kAutoGrid);
    EXPECT_EQ(room.layout.spec.fit, mixer::FitPolicy::kCrop);
    EXPECT_EQ(room.layout.spec.border_px, 2);
    for (int i = 0; i < 3; ++i) {
      const auto& p = room.participants[static_cast<size_t>(i)];
      EXPECT_EQ(p.tile, i);
      EXPECT_TRUE(p.sends_video);
      EXPECT_TRUE(p.has_audio);
      EXPECT_EQ(p.video_codec, i == 1 ? rtp::Codec::kVp8 : rtp::Codec::kH264);
      EXPECT_EQ(p.video_payload_type, i == 1 ? 97 : 96);
      EXPECT_FALSE(p.decode);
      EXPECT_EQ(room.layout.inputs[static_cast<size_t>(i)].width, 640);
      for (uint16_t port :
           {p.server_audio_port, p.server_video_port, p.receive_audio_port, p.receive_video_port}) {
        EXPECT_TRUE(used.insert(port).second) << port;
      }
    }
    const auto& viewer = room.participants.back();
    EXPECT_EQ(viewer.tile, -1);
    EXPECT_TRUE(viewer.decode);
    EXPECT_FALSE(viewer.sends_video);
    EXPECT_EQ(viewer.composite_fps, 30);
    EXPECT_EQ(viewer.composite_codec, rtp::Codec::kH264);
    EXPECT_TRUE(used.insert(viewer.server_video_port).second);
    EXPECT_TRUE(used.insert(viewer.receive_video_port).second);
  }
  EXPECT_EQ(used.size(), ports.size());
}

TEST(LoadPlan, WithoutAudioOrFanOutParticipantsOnlySend) {
  GenerateOptions o;
  o.audio = false;
  o.participants_receive_video = false;
  auto config = app::ParseConfig(GenerateConfigYaml(o, Ports(PortsNeeded(o))), "generated");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto plan = PlanFromConfig(*config, 640, 360);
  ASSERT_TRUE(plan.ok());
  const auto& p = plan->rooms[0].participants[0];
  EXPECT_FALSE(p.has_audio);
  EXPECT_EQ(p.receive_video_port, 0);
  EXPECT_EQ(plan->rooms[0].layout.inputs.size(), 4u);
}

TEST(LoadPlan, TheDefaultDemoRoomCanBePlayed) {
  auto config = app::LoadDefaultConfig();
  ASSERT_TRUE(config.ok());
  auto plan = PlanFromConfig(*config, 640, 360);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->rooms.size(), 1u);
  const auto& room = plan->rooms[0];
  EXPECT_EQ(room.layout.inputs.size(), 9u);
  EXPECT_EQ(room.participants[1].audio_codec, rtp::Codec::kPcmu);
  EXPECT_EQ(room.participants[1].video_codec, rtp::Codec::kVp8);
  EXPECT_TRUE(room.participants.back().decode);
  EXPECT_EQ(room.participants.back().receive_video_port, 6100);
}

TEST(LoadPlan, ConfigWithAllocatedPortsIsRejectedNamingTheParticipants) {
  auto config = app::ParseConfig(R"(
rooms:
  - name: r
    video: {profiles: [{name: hd}]}
    participants:
      - {name: ann, remote_rtp_port: 40000, audio: {codec: opus}, video: {codec: H264}}
      - {name: ben, video: {codec: VP8, local_port: 31000}}
)",
                                 "mine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto plan = PlanFromConfig(*config, 640, 360);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("ann: local_port"), std::string::npos);
  EXPECT_NE(plan.status().message().find("ann: video.local_port"), std::string::npos);
  EXPECT_EQ(plan.status().message().find("ben"), std::string::npos);
}

TEST(LoadPlan, ConfigWithoutVideoRoomsHasNothingToPlay) {
  auto config = app::ParseConfig("server: {log_level: warn}\n", "empty.yaml");
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(PlanFromConfig(*config, 640, 360).ok());
}

TEST(LoadPlan, FindsFreePortsAndSkipsOneInUse) {
  auto ports = FindFreePorts("127.0.0.1", 42000, 42099, 5);
  ASSERT_TRUE(ports.ok()) << ports.status().ToString();
  EXPECT_EQ(std::set<uint16_t>(ports->begin(), ports->end()).size(), 5u);
  for (uint16_t p : *ports) {
    EXPECT_GE(p, 42000);
    EXPECT_LE(p, 42099);
  }
  // Hold one port of a two-port range: only the other is free.
  const uint16_t held = (*ports)[0];
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(held);
  ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)), 0);
  const uint16_t lo = held, hi = static_cast<uint16_t>(held + 1);
  auto one = FindFreePorts("127.0.0.1", lo, hi, 1);
  close(fd);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ((*one)[0], hi);
  EXPECT_FALSE(FindFreePorts("127.0.0.1", held, held, 2).ok());
  EXPECT_FALSE(FindFreePorts("nonsense", 1, 2, 1).ok());
}

}  // namespace
}  // namespace tessera::loadgen
