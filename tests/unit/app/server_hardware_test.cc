// The server's backend selection per room, on a fake machine (the device opener is injected).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "app/server.h"

namespace tessera::app {
namespace {

using codec::HwBackend;

Config RoomsConfig(const std::string& hardware, int rooms) {
  std::string yaml = "server: {rtp_ports: 41000-41999, shards: 1}\n" + hardware + "\nrooms:\n";
  for (int i = 0; i < rooms; ++i) {
    yaml += "  - name: r" + std::to_string(i) +
            "\n    video:\n      profiles: [{name: low, width: 160, height: 90, fps: 5}]\n"
            "    participants:\n      - {name: cam" +
            std::to_string(i) + ", video: {codec: H264}}\n";
  }
  auto c = ParseConfig(yaml, "t.yaml");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : Config{};
}

struct FakeMachine {
  std::set<HwBackend> present;
  int opens = 0;
  codec::HwDeviceOpener Opener() {
    return [this](HwBackend b,
                  const codec::HwDeviceOptions& o) -> StatusOr<std::shared_ptr<codec::HwDevice>> {
      ++opens;
      if (!present.count(b)) return UnavailableError(std::string("no ") + codec::HwBackendName(b));
      return std::make_shared<codec::HwDevice>(b, nullptr,
                                               "fake GPU " + std::to_string(o.cuda_device));
    };
  }
};

// The "hardware" object of each room's video summary line.
std::vector<nlohmann::json> RoomHardware(Server& server) {
  std::vector<nlohmann::json> out;
  for (const auto& line : server.SummaryLines()) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("media") && j["media"] == "video" && !j.contains("participant")) {
      out.push_back(j["hardware"]);
    }
  }
  return out;
}

TEST(ServerHardware, RoomsShareTheFirstBackendThatOpens) {
  FakeMachine m{{HwBackend::kQsv}};
  Server server(RoomsConfig("hardware: {cuda_device: 2}", 2), SystemClock(), m.Opener());
  ASSERT_TRUE(server.Start().ok());
  server.Stop();
  const auto rooms = RoomHardware(server);
  ASSERT_EQ(rooms.size(), 2u);
  for (const auto& h : rooms) {
    EXPECT_EQ(h["backend"], "qsv");
    EXPECT_EQ(h["device"], "fake GPU 2");
    ASSERT_EQ(h["fallbacks"].size(), 1u);
    EXPECT_EQ(h["fallbacks"][0]["backend"], "cuda");
    EXPECT_EQ(h["fallbacks"][0]["reason"], "no cuda");
  }
  EXPECT_EQ(m.opens, 2);  // cuda once, qsv once: the second room reuses both answers
}

TEST(ServerHardware, WithoutHardwareRoomsRunOnTheCpuAndSayWhy) {
  FakeMachine m;
  Server server(RoomsConfig("", 1), SystemClock(), m.Opener());
  ASSERT_TRUE(server.Start().ok());
  server.Stop();
  const auto rooms = RoomHardware(server);
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0]["backend"], "cpu");
  EXPECT_EQ(rooms[0]["device"], "");
  EXPECT_EQ(rooms[0]["fallbacks"].size(), 2u);
}

TEST(ServerHardware, ARoomsOwnOrderWins) {
  FakeMachine m{{HwBackend::kCuda, HwBackend::kQsv}};
  Config config = RoomsConfig("", 1);
  config.rooms[0].video->hardware = std::vector<HwBackend>{HwBackend::kCpu};
  Server server(std::move(config), SystemClock(), m.Opener());
  ASSERT_TRUE(server.Start().ok());
  server.Stop();
  EXPECT_EQ(RoomHardware(server)[0]["backend"], "cpu");
  EXPECT_EQ(m.opens, 0);
}

TEST(ServerHardware, ARequiredBackendThatDoesNotOpenStopsTheStart) {
  FakeMachine m{{HwBackend::kCuda}};
  Server server(RoomsConfig("hardware: {required: qsv}", 1), SystemClock(), m.Opener());
  const Status s = server.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "room r0: hardware: required backend qsv is not available: no qsv");
}

TEST(ServerHardware, ARequiredBackendIsCheckedEvenWithoutVideoRooms) {
  FakeMachine m;
  auto config = ParseConfig("hardware: {required: cuda}", "t.yaml");
  ASSERT_TRUE(config.ok());
  Server server(std::move(*config), SystemClock(), m.Opener());
  const Status s = server.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "hardware: required backend cuda is not available: no cuda");
}

}  // namespace
}  // namespace tessera::app
