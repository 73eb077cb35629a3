// ClusterNode::Impl, shared by its two halves: cluster_node.cc (the thread and the calls other
// threads make: placement, claims, lookups) and heartbeat.cc (each heartbeat: the node's entry,
// its leases, takeovers). Private to the cluster module.
#pragma once

#include <spdlog/spdlog.h>
#include <tessera/base/metrics.h>
#include <tessera/cluster/cluster_node.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/redis.h"

namespace tessera::cluster {

// The lease is ours: renew it. KEYS[1] room key; ARGV[1] node id, ARGV[2] lease ms.
inline constexpr const char* kRenewScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
// The node's directory entry, written only while no other process holds it under this node id:
// KEYS[1] node key; ARGV[1] the record, ARGV[2] its instance, ARGV[3] the lease in ms. 1 when
// written, 0 when the entry there is another instance's (a second node given the same id).
inline constexpr const char* kRegisterScript =
    "local v = redis.call('GET', KEYS[1]) "
    "if v then "
    "  local ok, rec = pcall(cjson.decode, v) "
    "  if ok and type(rec) == 'table' and type(rec.instance) == 'string' and "
    "     rec.instance ~= '' and rec.instance ~= ARGV[2] then return 0 end "
    "end "
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3]) return 1";
// The lease is ours: give it up. KEYS[1] room key; ARGV[1] node id.
inline constexpr const char* kReleaseScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) else return 0 end";
// The room is gone for good: its lease (when ours) and its spec. KEYS: room key, spec key, rooms
// set; ARGV: node id, room name.
inline constexpr const char* kForgetScript =
    "local owner = redis.call('GET', KEYS[1]) "
    "if owner and owner ~= ARGV[1] then return 0 end "
    "redis.call('DEL', KEYS[1]) redis.call('DEL', KEYS[2]) "
    "redis.call('SREM', KEYS[3], ARGV[2]) return 1";

inline int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// 16 random hex digits.
inline std::string NewInstance() {
  std::random_device rd;
  const uint64_t v = (uint64_t{rd()} << 32) | rd();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) out[static_cast<size_t>(i)] = kHex[(v >> (4 * i)) & 0xF];
  return out;
}

class ClusterNode::Impl {
 public:
  Impl(const ClusterConfig& config, ClusterHooks hooks, std::string password)
      : config_(config),
        hooks_(std::move(hooks)),
        redis_timeout_ms_(static_cast<int>(std::clamp<uint32_t>(config.lease_ms / 5, 100, 1000))),
        redis_(config.redis_host, config.redis_port, std::move(password), redis_timeout_ms_),
        timer_(io_) {
    MetricsRegistry& m = GlobalMetrics();
    m.Describe("tessera_cluster_redis_up", "1 while the cluster's Redis answers, else 0");
    m.Describe("tessera_cluster_redis_errors_total", "Redis round trips that failed");
    m.Describe("tessera_cluster_rooms_leased", "Rooms whose lease this node holds");
    m.Describe("tessera_cluster_takeovers_total",
               "Rooms this node re-created after their node died or stopped");
    m.Describe("tessera_cluster_leases_lost_total",
               "Rooms ended here because another node holds their lease");
    m.Describe("tessera_cluster_node_id_conflict",
               "1 while another live process holds this node's id (this one stays out)");
  }

  void Start() {
    thread_ = std::thread([this] { io_.run(); });
    boost::asio::post(io_, [this] { Tick(); });
  }

  // Gives the leases up and ends the thread. The API may still call in (it stops after the
  // cluster): from now on every call answers Unavailable at once.
  void Stop() {
    if (!thread_.joinable()) return;
    stopped_ = true;
    // After whatever is queued; the join waits for it (bounded by the Redis timeouts).
    boost::asio::post(io_, [this] {
      Halt();
      GiveUp();
    });
    thread_.join();
  }

  // Runs fn on the cluster thread and waits for it, at most about two Redis timeouts;
  // Unavailable when it does not answer in time (the task is then dropped, not run late).
  template <typename T>
  StatusOr<T> Run(std::function<StatusOr<T>()> fn) {
    if (stopped_) return UnavailableError("the cluster node has stopped");
    auto task = std::make_shared<std::packaged_task<StatusOr<T>()>>(std::move(fn));
    auto abandoned = std::make_shared<std::atomic<bool>>(false);
    std::future<StatusOr<T>> done = task->get_future();
    boost::asio::post(io_, [task, abandoned] {
      if (!abandoned->load()) (*task)();
    });
    if (done.wait_for(std::chrono::milliseconds(2 * redis_timeout_ms_ + 500)) !=
        std::future_status::ready) {
      abandoned->store(true);
      return UnavailableError("the cluster directory did not answer in time");
    }
    return done.get();
  }

  // Fails fast (the API must not wait on a Redis that is known to be away: the heartbeat alone
  // reconnects).
  bool up() {
    std::lock_guard lock(mu_);
    return redis_up_;
  }

  StatusOr<NodeRecord> Place(const std::string& region);

  Status Claim(const std::string& room, const std::string& region, const nlohmann::json& spec);

  void Release(const std::string& room);

  StatusOr<std::optional<NodeRecord>> Owner(const std::string& room);

  std::optional<std::string> LocateSip(const std::string& user);

  StatusOr<nlohmann::json> Describe();

  void HeartbeatNow();

  // Cascading (cascade.cc).
  StatusOr<NodeRecord> PlaceShare(const std::string& room, uint32_t per_node);
  StatusOr<nlohmann::json> ShareSpec(const std::string& room, const std::string& primary);
  void ShareChanged();

 private:
  struct Owned {
    nlohmann::json spec;  // null: a room of the config file (never taken over elsewhere)
    std::string region;
    int64_t claimed_ms = 0;  // leased before it exists here: not yet in local_rooms
  };

  std::string Key(const std::string& k) const { return config_.key_prefix + k; }
  std::string RoomKey(const std::string& room) const { return Key("room:" + room); }
  std::string SpecKey(const std::string& room) const { return Key("spec:" + room); }
  std::string NodeKey(const std::string& id) const { return Key("node:" + id); }

  // A failed round trip: counted, logged when Redis goes away, the status passed on.
  Status Down(const Status& s);
  Status WriteSpec(const std::string& room, const Owned& o);
  // Until Redis confirms it, a forgotten room is forgotten again every heartbeat: a room
  // deleted while Redis was away must not come back from its spec.
  void Forget(const std::string& room);
  void GiveUp();
  void Halt();
  void Tick();
  NodeRecord SelfRecord(const LocalRooms& local);
  // One heartbeat: register, read the directory, keep the leases, take over orphans.
  void Beat();
  void ReadNodes(const RedisReply& members);
  // Leases the rooms that run here (a room of the config file on its first heartbeat), renews
  // them, and drops those that ended here.
  void KeepLeases(const LocalRooms& local);
  // Another node holds the room's lease: it runs there, so it ends here.
  void LoseRoom(const std::string& room);
  // Rooms with a spec whose lease lapsed (their node died or stopped). Every node walks them in
  // the same order over the same directory, charging each to the node placement chooses, so the
  // nodes agree on who takes which and a dead node's rooms spread; SET NX settles any race.
  void TakeOverOrphans();
  static int64_t SpecParticipants(const nlohmann::json& record);
  std::string SharesKey(const std::string& room) const { return Key("shares:" + room); }
  std::string ShareKey(const std::string& room, const std::string& node) const {
    return Key("share:" + room + ":" + node);
  }
  std::string LinkKey(const std::string& room, const std::string& node) const {
    return Key("link:" + room + ":" + node);
  }
  // This node's shares: their entries written, their links followed, those whose room left
  // its primary ended. Returns the rooms shared here (never leased here).
  std::set<std::string> KeepShares();
  // The cascaded rooms leased here: each share linked, each lapsed share unlinked.
  void KeepLinks();
  // The live dial-outs of each room leased here, in its spec when they changed.
  void KeepDialOuts();
  void TakeOver(const std::string& room, const nlohmann::json& record);

  struct Seen {
    int64_t heartbeat = 0;   // the node's own heartbeat_unix_ms
    int64_t changed_ms = 0;  // this node's steady clock when that last changed
  };

  const ClusterConfig& config_;
  ClusterHooks hooks_;
  const int redis_timeout_ms_;
  RedisConnection redis_;  // the cluster thread's only
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  boost::asio::steady_timer timer_;
  std::thread thread_;
  // The cluster thread's only.
  std::map<std::string, Owned> owned_;
  std::map<std::string, int64_t> failed_;  // room -> steady ms before which it is not retried
  std::set<std::string> to_forget_;        // deleted here, not yet confirmed by Redis
  std::map<std::string, Seen> seen_;       // each node's last heartbeat, as seen from here
  int64_t takeover_after_ms_ = 0;
  // Cascading, the cluster thread's only: the links made here (room -> share nodes), and since
  // when each share here has found its room off its primary.
  std::map<std::string, std::set<std::string>> links_;
  std::map<std::string, int64_t> orphan_share_since_;
  std::set<std::string> shared_;  // the rooms shared here, as of the last heartbeat
  // This process's instance (NodeRecord::instance), and whether another live process holds the
  // node id: then this one stays out of the directory and touches no lease.
  const std::string instance_ = NewInstance();
  bool halted_ = false;
  std::atomic<bool> stopped_{false};
  double last_cpu_s_ = 0;
  int64_t last_cpu_ms_ = 0;
  // Shared with the API's thread.
  std::mutex mu_;
  bool redis_up_ = false;
  bool id_conflict_ = false;
  std::vector<NodeRecord> nodes_;
  std::map<std::string, int64_t> pending_units_;
};

}  // namespace tessera::cluster
