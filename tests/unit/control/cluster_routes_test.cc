// The API in a cluster: rooms elsewhere are redirected, new rooms placed and leased, a refused
// lease creates nothing, a deleted room's lease goes.
#include <gtest/gtest.h>
#include <tessera/control/api.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "unit/control/fake_directory.h"

namespace tessera::control {
namespace {

using testing::FakeDirectory;
using testing::FakeHooks;
using testing::RoleAuthenticator;

// A directory of three nodes: this one ("n1"), "n2" and "n3". Rooms in `elsewhere` run on the
// node named; Place answers `place_on`.
class FakePlacement : public RoomPlacement {
 public:
  const std::string& self_id() const override { return self_; }
  StatusOr<NodeLocation> Place(const std::string& region) override {
    placed_regions.push_back(region);
    if (down) return UnavailableError("redis 127.0.0.1:6379: cannot connect");
    if (no_node) return ResourceExhaustedError("no node of region '" + region + "' takes rooms");
    return NodeLocation{place_on, Url(place_on)};
  }
  Status Claim(const std::string& room, const std::string& region,
               const nlohmann::json& spec) override {
    if (down) return UnavailableError("redis 127.0.0.1:6379: cannot connect");
    if (elsewhere.count(room)) {
      return Status(StatusCode::kAlreadyExists,
                    "room '" + room + "' already runs on node " + elsewhere[room]);
    }
    claimed[room] = {region, spec};
    return Status::Ok();
  }
  void Release(const std::string& room) override { released.insert(room); }
  StatusOr<std::optional<NodeLocation>> Owner(const std::string& room) override {
    if (down) return UnavailableError("redis 127.0.0.1:6379: cannot connect");
    const auto it = elsewhere.find(room);
    if (it == elsewhere.end()) return std::optional<NodeLocation>();
    if (it->second == "dying") return std::optional<NodeLocation>(NodeLocation{"n9", ""});
    return std::optional<NodeLocation>(NodeLocation{it->second, Url(it->second)});
  }
  StatusOr<nlohmann::json> Describe() override {
    return nlohmann::json{{"node", self_},
                          {"redis", "up"},
                          {"nodes", nlohmann::json::array()},
                          {"rooms", nlohmann::json::array()}};
  }

  static std::string Url(const std::string& id) {
    return "http://127.0.0." + id.substr(1) + ":8080/";
  }

  std::string self_ = "n1";
  std::string place_on = "n1";
  bool down = false;
  bool no_node = false;
  std::map<std::string, std::string> elsewhere;
  std::map<std::string, std::pair<std::string, nlohmann::json>> claimed;
  std::set<std::string> released;
  std::vector<std::string> placed_regions;
};

class ClusterRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    session::RoomConfig a;
    a.name = "here";
    rooms_.AddRoom(a);
    ApiOptions o;
    o.requests = {1000, 1000};
    o.placement = &placement_;
    o.live_cache_ms = 0;
    api_ = std::make_unique<Api>(service_, &auth_, o);
  }

  HttpResponse Call(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& query = "",
                    const std::string& token = "admin") {
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.query = query;
    r.body = body;
    r.source_address = "10.0.0.1";
    r.headers["authorization"] = "Bearer " + token;
    return api_->Handle(r);
  }

  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }

  bool Exists(const std::string& room) { return rooms_.FindRoom(room).has_value(); }

  FakeDirectory rooms_;
  ControlService service_{rooms_, FakeHooks()};
  RoleAuthenticator auth_;
  FakePlacement placement_;
  std::unique_ptr<Api> api_;
};

TEST_F(ClusterRoutesTest, RequestsOnARoomElsewhereAreRedirectedWithPathAndQuery) {
  placement_.elsewhere["far"] = "n2";
  auto r = Call("GET", "/v1/rooms/far/participants", "", "x=1");
  EXPECT_EQ(r.status, 307) << r.body;
  EXPECT_EQ(Header(r, "Location"), "http://127.0.0.2:8080/v1/rooms/far/participants?x=1");
  EXPECT_NE(r.body.find("runs on node n2"), std::string::npos) << r.body;
  // WHIP too (a browser re-POSTs its offer there), and a PATCH changes nothing here.
  r = Call("POST", "/whip/far", "v=0\r\n", "", "participant:far");
  EXPECT_EQ(r.status, 307) << r.body;
  EXPECT_EQ(Header(r, "Location"), "http://127.0.0.2:8080/whip/far");
  r = Call("PATCH", "/v1/rooms/far", R"({"layout":"grid"})");
  EXPECT_EQ(r.status, 307);
  // A room here is served here; a room nowhere is a 404 as on a lone node.
  EXPECT_EQ(Call("GET", "/v1/rooms/here").status, 200);
  EXPECT_EQ(Call("GET", "/v1/rooms/nowhere").status, 404);
}

TEST_F(ClusterRoutesTest, ARoomWhoseNodeDiedIsMovingNotMissing) {
  placement_.elsewhere["orphan"] = "dying";
  const auto r = Call("GET", "/v1/rooms/orphan");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(Header(r, "Retry-After"), "2");
  EXPECT_NE(r.body.find("n9"), std::string::npos) << r.body;
}

TEST_F(ClusterRoutesTest, TheDirectoryDownIsA503NeverA404) {
  placement_.down = true;
  auto r = Call("GET", "/v1/rooms/far");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(Header(r, "Retry-After"), "1");
  r = Call("POST", "/v1/rooms", R"({"name":"new"})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_FALSE(Exists("new")) << "nothing is created that cannot be leased";
  // Rooms here are served as ever.
  EXPECT_EQ(Call("GET", "/v1/rooms/here").status, 200);
}

TEST_F(ClusterRoutesTest, ANewRoomPlacedElsewhereIsRedirectedThereAndNotCreatedHere) {
  placement_.place_on = "n3";
  const auto r = Call("POST", "/v1/rooms", R"({"name":"big","region":"eu"})");
  EXPECT_EQ(r.status, 307) << r.body;
  EXPECT_EQ(Header(r, "Location"), "http://127.0.0.3:8080/v1/rooms?node=n3");
  EXPECT_EQ(placement_.placed_regions, std::vector<std::string>{"eu"});
  EXPECT_FALSE(Exists("big"));
  EXPECT_TRUE(placement_.claimed.empty());
}

TEST_F(ClusterRoutesTest, ARegionWithoutNodesIsRefusedNotSpilled) {
  placement_.no_node = true;
  const auto r = Call("POST", "/v1/rooms", R"({"name":"far","region":"asia"})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("no-node"), std::string::npos) << r.body;
  EXPECT_FALSE(Exists("far"));
}

TEST_F(ClusterRoutesTest, ANewRoomPlacedHereIsLeasedWithItsSpecThenCreated) {
  const auto r = Call("POST", "/v1/rooms", R"({"name":"mine","max_speakers":2})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(Exists("mine"));
  ASSERT_EQ(placement_.claimed.count("mine"), 1u);
  EXPECT_EQ(placement_.claimed["mine"].first, "default");
  EXPECT_EQ(placement_.claimed["mine"].second["max_speakers"], 2);
}

TEST_F(ClusterRoutesTest, TheNodeAClientWasSentToCreatesWithoutPlacingAgain) {
  placement_.place_on = "n2";  // load moved meanwhile: it must not bounce the client on
  const auto r = Call("POST", "/v1/rooms", R"({"name":"sent"})", "node=n1");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(placement_.placed_regions.empty());
  EXPECT_TRUE(Exists("sent"));
}

TEST_F(ClusterRoutesTest, ALeaseHeldElsewhereRefusesTheCreateAndChangesNothing) {
  placement_.elsewhere["taken"] = "n2";
  const auto r = Call("POST", "/v1/rooms", R"({"name":"taken"})", "node=n1");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("already runs on node n2"), std::string::npos) << r.body;
  EXPECT_FALSE(Exists("taken"));
}

TEST_F(ClusterRoutesTest, ACreateThatFailsGivesItsLeaseBack) {
  const auto r = Call("POST", "/v1/rooms", R"({"name":"bad","max_speakers":0})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_FALSE(Exists("bad"));
  EXPECT_EQ(placement_.released.count("bad"), 1u);
}

TEST_F(ClusterRoutesTest, DeletingARoomGivesItsLeaseBack) {
  EXPECT_EQ(Call("DELETE", "/v1/rooms/here").status, 204);
  EXPECT_EQ(placement_.released.count("here"), 1u);
}

TEST_F(ClusterRoutesTest, TheClusterViewIsForOperatorsOfEveryRoom) {
  auto r = Call("GET", "/v1/cluster", "", "", "viewer");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["node"], "n1");
  EXPECT_EQ(Call("GET", "/v1/cluster", "", "", "operator:here").status, 403);
  EXPECT_EQ(Call("GET", "/v1/cluster", "", "", "participant").status, 403);
}

}  // namespace
}  // namespace tessera::control
