#include "loadgen/api_plan.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tessera::loadgen {
namespace {

ApiParticipant Joined(const std::string& name, const std::string& node, uint16_t video_port,
                      uint16_t receive_port) {
  ApiParticipant p;
  p.name = name;
  p.joined.node = "http://" + node;
  p.joined.host = node.substr(0, node.find(':'));
  p.joined.video_port = video_port;
  p.receive_port = receive_port;
  return p;
}

ApiPlanOptions Options() {
  ApiPlanOptions o;
  o.room = "allhands";
  o.primary = "http://127.0.0.1:8080";
  o.video = {"grid", "hd", "H264", 640, 360, 10};
  return o;
}

TEST(ApiPlan, TheBodyAsksForTheCompositeOnTheLoadGeneratorsPort) {
  const auto j = nlohmann::json::parse(ParticipantBody("lg1", "H264", "hd", 24001));
  EXPECT_EQ(j["name"], "lg1");
  EXPECT_EQ(j["video"]["codec"], "H264");
  EXPECT_EQ(j["video"]["profile"], "hd");
  EXPECT_EQ(j["video"]["remote_rtp_port"], 24001);
  EXPECT_EQ(NodeLabel("http://127.0.0.2:8081"), "127.0.0.2:8081");
}

TEST(ApiPlan, ThePrimaryIsTheRoomAndEachOtherNodeAMirrorDecodedThere) {
  const std::vector<ApiParticipant> joined = {
      Joined("a", "127.0.0.1:8080", 20000, 24000), Joined("b", "127.0.0.1:8080", 20002, 24001),
      Joined("c", "127.0.0.3:8082", 22000, 24002), Joined("d", "127.0.0.2:8081", 21000, 24003),
      Joined("e", "127.0.0.3:8082", 22002, 24004)};
  // The primary's order: its own members, then the links' cells (n3's link joined first).
  const std::vector<std::string> order = {"a", "b", "c", "e", "d"};
  auto plan = PlanFromApi(Options(), order, joined);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->server_address, "127.0.0.1");
  ASSERT_EQ(plan->rooms.size(), 3u);
  const PlannedRoom& room = plan->rooms[0];
  EXPECT_EQ(room.name, "allhands@127.0.0.1:8080");
  EXPECT_EQ(room.mirror_of, -1);
  EXPECT_EQ(room.layout.spec.kind, mixer::LayoutKind::kAutoGrid);
  ASSERT_EQ(room.layout.inputs.size(), 5u);
  EXPECT_EQ(room.layout.inputs[3].width, 640);
  EXPECT_EQ(room.tile_groups,
            (std::vector<std::string>{"127.0.0.1:8080", "127.0.0.1:8080", "127.0.0.3:8082",
                                      "127.0.0.3:8082", "127.0.0.2:8081"}));
  EXPECT_EQ(plan->rooms[1].name, "allhands@127.0.0.3:8082");
  EXPECT_EQ(plan->rooms[1].mirror_of, 0);
  EXPECT_TRUE(plan->rooms[1].participants.empty());
  EXPECT_EQ(plan->rooms[1].tile_groups, room.tile_groups);
  EXPECT_EQ(plan->rooms[2].name, "allhands@127.0.0.2:8081");

  // The nodes in turn: a (primary), c (n3), d (n2), then b, e.
  ASSERT_EQ(room.participants.size(), 5u);
  std::vector<std::string> names;
  for (const auto& p : room.participants) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "c", "d", "b", "e"}));
  const PlannedParticipant& e = room.participants[4];
  EXPECT_EQ(e.name, "e");
  EXPECT_EQ(e.tile, 3);
  EXPECT_TRUE(e.sends_video);
  EXPECT_EQ(e.server_address, "127.0.0.3");
  EXPECT_EQ(e.server_video_port, 22002);
  EXPECT_EQ(e.receive_video_port, 24004);
  EXPECT_EQ(e.composite_fps, 10);
  EXPECT_FALSE(e.decode);  // c decodes on 127.0.0.3
  // The first of each node decodes, for that node's room.
  std::vector<std::pair<std::string, int>> decoders;
  for (const auto& p : room.participants) {
    if (p.decode) decoders.emplace_back(p.name, p.decode_room);
  }
  EXPECT_EQ(decoders, (std::vector<std::pair<std::string, int>>{{"a", 0}, {"c", 1}, {"d", 2}}));
}

TEST(ApiPlan, AParticipantOutsideTheTilesOrALayoutOtherThanGridFails) {
  const std::vector<ApiParticipant> joined = {Joined("a", "127.0.0.1:8080", 20000, 24000)};
  EXPECT_FALSE(PlanFromApi(Options(), {"b"}, joined).ok());
  ApiPlanOptions speaker = Options();
  speaker.video.layout = "speaker";
  EXPECT_FALSE(PlanFromApi(speaker, {"a"}, joined).ok());
  // Tiles of others are kept in place, in a group of their own.
  auto plan = PlanFromApi(Options(), {"x", "a"}, joined);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->rooms[0].tile_groups, (std::vector<std::string>{"others", "127.0.0.1:8080"}));
  EXPECT_EQ(plan->rooms[0].participants[0].tile, 1);
}

}  // namespace
}  // namespace tessera::loadgen
