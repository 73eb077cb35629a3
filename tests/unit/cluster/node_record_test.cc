#include <gtest/gtest.h>
#include <tessera/cluster/node_record.h>

namespace tessera::cluster {
namespace {

NodeRecord Node(std::string id, std::string region, int64_t capacity, int64_t used,
                bool draining = false) {
  NodeRecord n;
  n.id = std::move(id);
  n.api_url = "http://" + n.id + ":8080";
  n.region = std::move(region);
  n.capacity_units = capacity;
  n.used_units = used;
  n.draining = draining;
  return n;
}

TEST(NodeRecord, RoundTripsThroughItsJson) {
  NodeRecord n = Node("n1", "eu", 44, 13);
  n.backend = "cuda";
  n.rooms = 1;
  n.participants = 11;
  n.cpu_percent = 87.5;
  n.heartbeat_unix_ms = 1'800'000'000'123;
  const std::optional<NodeRecord> back = ParseNodeRecord(SerializeNodeRecord(n));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, "n1");
  EXPECT_EQ(back->api_url, "http://n1:8080");
  EXPECT_EQ(back->region, "eu");
  EXPECT_EQ(back->backend, "cuda");
  EXPECT_EQ(back->rooms, 1u);
  EXPECT_EQ(back->participants, 11u);
  EXPECT_DOUBLE_EQ(back->cpu_percent, 87.5);
  EXPECT_EQ(back->free_units(), 31);
  EXPECT_EQ(back->heartbeat_unix_ms, 1'800'000'000'123);
  EXPECT_FALSE(back->draining);
}

TEST(NodeRecord, RefusesWhatIsNotANodeAndClampsWhatIsOutOfRange) {
  EXPECT_FALSE(ParseNodeRecord(""));
  EXPECT_FALSE(ParseNodeRecord("[]"));
  EXPECT_FALSE(ParseNodeRecord(R"({"id":"n1"})")) << "no api_url: nowhere to send clients";
  EXPECT_FALSE(ParseNodeRecord(R"({"id":7,"api_url":"http://x"})"));
  const auto n = ParseNodeRecord(
      R"({"id":"n1","api_url":"http://x","rooms":-1,"participants":1e300,"used_units":"9"})");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->rooms, 0u);
  EXPECT_EQ(n->participants, 0u);
  EXPECT_EQ(n->used_units, 0);
}

TEST(ChooseNode, TheMostFreeBudgetInTheRegionWins) {
  const std::vector<NodeRecord> nodes = {Node("a", "eu", 44, 30), Node("b", "eu", 44, 10),
                                         Node("c", "us", 100, 0), Node("d", "eu", 88, 60)};
  EXPECT_EQ(ChooseNode(nodes, "eu")->id, "b");  // 34 free; d has 28
  EXPECT_EQ(ChooseNode(nodes, "us")->id, "c");
  EXPECT_FALSE(ChooseNode(nodes, "asia")) << "a region without nodes is refused, not spilled";
}

TEST(ChooseNode, ADrainingNodeTakesNothingAndTiesGoToTheSmallestId) {
  const std::vector<NodeRecord> nodes = {Node("c", "eu", 44, 0), Node("b", "eu", 44, 0),
                                         Node("a", "eu", 99, 0, /*draining=*/true)};
  EXPECT_EQ(ChooseNode(nodes, "eu")->id, "b");
  EXPECT_FALSE(ChooseNode({Node("a", "eu", 99, 0, true)}, "eu"));
}

}  // namespace
}  // namespace tessera::cluster
