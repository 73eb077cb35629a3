// ClusterNode against a real redis-server (Debian's, started by the test on a free loopback port,
// nothing saved): leases, owners, a stopped node's rooms taken over from their spec, and Redis
// refusing commands (an error reply) ending no room. Skips, saying why, without redis-server.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <tessera/cluster/cluster_node.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/redis.h"

extern char** environ;

namespace tessera::cluster {
namespace {

uint16_t FreeTcpPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

class RedisServer {
 public:
  bool Start() {
    if (::access("/usr/bin/redis-server", X_OK) != 0) return false;
    port_ = FreeTcpPort();
    const std::string port = std::to_string(port_);
    std::vector<std::string> args = {
        "redis-server", "--bind", "127.0.0.1", "--port", port,         "--save", "",
        "--appendonly", "no",     "--dir",     "/tmp",   "--loglevel", "warning"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    const int spawned =
        posix_spawn(&pid_, "/usr/bin/redis-server", &quiet, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&quiet);
    if (spawned != 0) return false;
    // Up when it answers PING (polled with a deadline).
    RedisConnection c("127.0.0.1", port_, "", 500);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto r = c.Command({"PING"}); r.ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval
    }
    return false;
  }
  ~RedisServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  uint16_t port() const { return port_; }
  // A command as an operator types it in redis-cli.
  StatusOr<RedisReply> Admin(const std::vector<std::string>& argv) {
    RedisConnection c("127.0.0.1", port_, "", 1000);
    return c.Command(argv);
  }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// One node with rooms the test says run here, and what the cluster asked of them.
struct FakeNode {
  std::mutex mu;
  std::vector<std::string> local;
  std::vector<nlohmann::json> created;
  std::vector<std::string> ended;
  std::vector<nlohmann::json> events;
  std::unique_ptr<ClusterNode> node;

  FakeNode(const std::string& id, uint16_t redis_port) {
    ClusterConfig c;
    c.enabled = true;
    c.redis_host = "127.0.0.1";
    c.redis_port = redis_port;
    c.node_id = id;
    c.api_url = "http://" + id + ".test:8080";
    c.lease_ms = 1000;
    c.heartbeat_ms = 200;
    ClusterHooks h;
    h.local_rooms = [this] {
      std::lock_guard lock(mu);
      return LocalRooms{local, 0, {}};
    };
    h.create_room = [this](const nlohmann::json& spec) {
      std::lock_guard lock(mu);
      created.push_back(spec);
      local.push_back(spec.value("name", ""));
      return Status::Ok();
    };
    h.end_room = [this](const std::string& room) {
      std::lock_guard lock(mu);
      ended.push_back(room);
      std::erase(local, room);
    };
    h.draining = [] { return false; };
    h.on_event = [this](const nlohmann::json& e) {
      std::lock_guard lock(mu);
      events.push_back(e);
    };
    node = std::make_unique<ClusterNode>(c, h);
  }
  // Started and in the directory (its first heartbeat done).
  bool Start() {
    if (!node->Start().ok()) return false;
    node->HeartbeatNow();
    return true;
  }
  // Creates a room here as the API does: leased first, then running.
  Status Create(const std::string& room) {
    const nlohmann::json spec = {{"name", room}};
    if (Status s = node->Claim(room, "default", spec); !s.ok()) return s;
    std::lock_guard lock(mu);
    local.push_back(room);
    return Status::Ok();
  }
  size_t created_count() {
    std::lock_guard lock(mu);
    return created.size();
  }
};

// Polls `done` with heartbeats of `node` until it holds or `seconds` pass.
template <typename F>
bool Eventually(FakeNode& node, F done, int seconds = 5) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    node.node->HeartbeatNow();
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // poll interval
  }
  return false;
}

class ClusterNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!redis_.Start()) GTEST_SKIP() << "redis-server not installed or not starting";
  }
  RedisServer redis_;
};

TEST_F(ClusterNodeTest, OneRoomOneNodeAndTheOthersKnowWhich) {
  FakeNode a("a", redis_.port()), b("b", redis_.port());
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(b.Start());
  ASSERT_TRUE(Eventually(b, [&] {
    auto v = b.node->Describe();
    return v.ok() && (*v)["nodes"].size() == 2;
  }));
  ASSERT_TRUE(a.Create("ward").ok());
  const Status again = b.node->Claim("ward", "default", {{"name", "ward"}});
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(again.message().find("already runs on node a"), std::string::npos) << again.message();
  auto owner = b.node->Owner("ward");
  ASSERT_TRUE(owner.ok()) << owner.status().message();
  ASSERT_TRUE(owner->has_value());
  EXPECT_EQ((*owner)->id, "a");
  EXPECT_EQ((*owner)->api_url, "http://a.test:8080");
  // The lease outlives several of its own lengths while a renews it.
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the input: time passing
    a.node->HeartbeatNow();
  }
  owner = b.node->Owner("ward");
  ASSERT_TRUE(owner.ok() && owner->has_value());
  EXPECT_EQ((*owner)->id, "a");
  // Deleted on a: nobody holds it, and nobody re-creates it.
  a.node->Release("ward");
  owner = b.node->Owner("ward");
  ASSERT_TRUE(owner.ok());
  EXPECT_FALSE(owner->has_value());
}

TEST_F(ClusterNodeTest, AStoppedNodesRoomIsRecreatedElsewhereFromItsSpec) {
  FakeNode a("a", redis_.port()), b("b", redis_.port());
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(b.Start());
  ASSERT_TRUE(a.Create("icu").ok());
  a.node->Stop();  // gives its lease up
  ASSERT_TRUE(Eventually(b, [&] { return b.created_count() == 1; }))
      << "b did not take the room over";
  EXPECT_EQ(b.created[0]["name"], "icu");
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0]["type"], "room.moved");
  EXPECT_EQ(b.events[0]["from"], "a");
  EXPECT_EQ(b.events[0]["to"], "b");
}

TEST_F(ClusterNodeTest, RedisRefusingCommandsEndsNoRoom) {
  FakeNode a("a", redis_.port());
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(a.Create("clinic").ok());
  a.node->HeartbeatNow();
  // Every script refused (as LOADING or MISCONF refuse writes): the renewals fail with an
  // error reply, which must not read as the lease being held elsewhere.
  ASSERT_TRUE(redis_.Admin({"ACL", "SETUSER", "default", "-eval"}).ok());
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the input: leases lapsing
    a.node->HeartbeatNow();
  }
  EXPECT_TRUE(a.ended.empty()) << "a room ended because Redis refused a command";
  auto v = a.node->Describe();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)["redis"], "down");
  ASSERT_TRUE(redis_.Admin({"ACL", "SETUSER", "default", "+eval"}).ok());
  ASSERT_TRUE(Eventually(a, [&] {
    auto owner = redis_.Admin({"GET", "tessera:room:clinic"});
    return owner.ok() && owner->str == "a";
  })) << "the lease was not taken again once Redis answered";
  EXPECT_TRUE(a.ended.empty());
}

}  // namespace
}  // namespace tessera::cluster
