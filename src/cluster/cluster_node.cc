#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <tessera/base/metrics.h>
#include <tessera/cluster/cluster_node.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "cluster/redis.h"

namespace tessera::cluster {
namespace {

// The lease is ours: renew it. KEYS[1] room key; ARGV[1] node id, ARGV[2] lease ms.
constexpr const char* kRenewScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
// The lease is ours: give it up. KEYS[1] room key; ARGV[1] node id.
constexpr const char* kReleaseScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) else return 0 end";
// The room is gone for good: its lease (when ours) and its spec. KEYS: room key, spec key, rooms
// set; ARGV: node id, room name.
constexpr const char* kForgetScript =
    "local owner = redis.call('GET', KEYS[1]) "
    "if owner and owner ~= ARGV[1] then return 0 end "
    "redis.call('DEL', KEYS[1]) redis.call('DEL', KEYS[2]) "
    "redis.call('SREM', KEYS[3], ARGV[2]) return 1";

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// This process's CPU time in seconds (user + system), as the metrics' process_cpu_seconds_total.
double ProcessCpuSeconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

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

  StatusOr<NodeRecord> Place(const std::string& region) {
    std::lock_guard lock(mu_);
    if (!redis_up_) return UnavailableError("the cluster directory (Redis) is unreachable");
    std::vector<NodeRecord> nodes = nodes_;
    for (NodeRecord& n : nodes) {
      if (auto it = pending_units_.find(n.id); it != pending_units_.end()) {
        n.used_units += it->second;
      }
    }
    std::optional<NodeRecord> chosen = ChooseNode(nodes, region);
    if (!chosen) {
      return ResourceExhaustedError("no node of region '" + region +
                                    "' takes rooms now (none is up, or every one drains)");
    }
    // Until its next heartbeat says so, the chosen node counts the room: a burst of creates
    // spreads instead of piling onto the node that was emptiest a second ago.
    pending_units_[chosen->id] += config_.room_units;
    return *chosen;
  }

  Status Claim(const std::string& room, const std::string& region, const nlohmann::json& spec) {
    if (!up()) return UnavailableError("the cluster directory (Redis) is unreachable");
    auto r = Run<int>([this, room, region, spec]() -> StatusOr<int> {
      auto set = redis_.Command(
          {"SET", RoomKey(room), config_.node_id, "NX", "PX", std::to_string(config_.lease_ms)});
      if (!set.ok()) return Down(set.status());
      if (!set->ok_status()) {
        auto owner = redis_.Command({"GET", RoomKey(room)});
        const std::string who = owner.ok() && !owner->nil() ? owner->str : "another node";
        return Status(StatusCode::kAlreadyExists,
                      "room '" + room + "' already runs on node " + who);
      }
      Owned& o = owned_[room];
      o.spec = spec;
      o.region = region;
      o.claimed_ms = SteadyMs();
      if (Status s = WriteSpec(room, o); !s.ok()) {
        // Without its spec the room could not move: not leased at all, then.
        owned_.erase(room);
        (void)redis_.Command({"EVAL", kReleaseScript, "1", RoomKey(room), config_.node_id});
        return s;
      }
      return 0;
    });
    return r.ok() ? Status::Ok() : r.status();
  }

  void Release(const std::string& room) {
    (void)Run<int>([this, room]() -> StatusOr<int> {
      Forget(room);
      return 0;
    });
  }

  StatusOr<std::optional<NodeRecord>> Owner(const std::string& room) {
    if (!up()) return UnavailableError("the cluster directory (Redis) is unreachable");
    return Run<std::optional<NodeRecord>>([this, room]() -> StatusOr<std::optional<NodeRecord>> {
      auto owner = redis_.Command({"GET", RoomKey(room)});
      if (!owner.ok()) return Down(owner.status());
      if (owner->nil() || owner->str == config_.node_id) return std::optional<NodeRecord>();
      // The node as this one last saw it alive (a heartbeat that changed within two beats, by
      // this node's own clock); else it is dead or cut off and its room moves within the lease:
      // no api_url, nowhere to send clients.
      std::lock_guard lock(mu_);
      for (const NodeRecord& n : nodes_) {
        if (n.id == owner->str) return std::optional<NodeRecord>(n);
      }
      NodeRecord dying;
      dying.id = owner->str;
      return std::optional<NodeRecord>(dying);
    });
  }

  std::optional<std::string> LocateSip(const std::string& user) {
    if (!up()) return std::nullopt;
    auto r = Run<std::string>([this, user]() -> StatusOr<std::string> {
      auto owner = redis_.Command({"GET", RoomKey(user)});
      if (!owner.ok()) return Down(owner.status());
      if (owner->nil()) {
        auto room = redis_.Command({"GET", Key("sipnum:" + user)});
        if (!room.ok()) return Down(room.status());
        if (room->nil()) return std::string();
        owner = redis_.Command({"GET", RoomKey(room->str)});
        if (!owner.ok()) return Down(owner.status());
        if (owner->nil()) return std::string();
      }
      if (owner->str == config_.node_id) return std::string();
      std::lock_guard lock(mu_);
      for (const NodeRecord& n : nodes_) {
        if (n.id == owner->str) return n.sip_address;
      }
      return std::string();  // dead or unknown: nowhere to send the caller
    });
    if (!r.ok() || r->empty()) return std::nullopt;
    return *r;
  }

  StatusOr<nlohmann::json> Describe() {
    return Run<nlohmann::json>([this]() -> StatusOr<nlohmann::json> {
      nlohmann::json out = {{"node", config_.node_id}};
      nlohmann::json nodes = nlohmann::json::array();
      {
        std::lock_guard lock(mu_);
        out["redis"] = redis_up_ ? "up" : "down";
        for (const NodeRecord& n : nodes_) {
          nodes.push_back(nlohmann::json::parse(SerializeNodeRecord(n)));
        }
      }
      out["nodes"] = std::move(nodes);
      nlohmann::json rooms = nlohmann::json::array();
      auto names = redis_.Command({"SMEMBERS", Key("rooms")});
      if (names.ok() && names->type == RedisReply::Type::kArray) {
        std::vector<std::vector<std::string>> gets;
        for (const RedisReply& e : names->elements) gets.push_back({"GET", RoomKey(e.str)});
        auto owners = redis_.Pipeline(gets);
        for (size_t i = 0; owners.ok() && i < owners->size(); ++i) {
          const RedisReply& owner = (*owners)[i];
          rooms.push_back({{"name", names->elements[i].str},
                           {"node", owner.nil() ? nlohmann::json() : nlohmann::json(owner.str)}});
        }
      }
      out["rooms"] = std::move(rooms);
      return out;
    });
  }

  void HeartbeatNow() {
    (void)Run<int>([this]() -> StatusOr<int> {
      Beat();
      return 0;
    });
  }

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
  Status Down(const Status& s) {
    GlobalMetrics().GetCounter("tessera_cluster_redis_errors_total").Add();
    bool was_up;
    {
      std::lock_guard lock(mu_);
      was_up = redis_up_;
      redis_up_ = false;
    }
    GlobalMetrics().GetGauge("tessera_cluster_redis_up").Set(0);
    if (was_up) {
      spdlog::warn("cluster: {}: rooms run on; no new rooms until it answers", s.message());
    }
    return s;
  }

  Status WriteSpec(const std::string& room, const Owned& o) {
    if (o.spec.is_null()) return Status::Ok();
    const nlohmann::json record = {
        {"spec", o.spec}, {"region", o.region}, {"node", config_.node_id}, {"since", UnixMs()}};
    std::vector<std::vector<std::string>> cmds = {
        {"SET", SpecKey(room),
         record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)},
        {"SADD", Key("rooms"), room}};
    // Its SIP numbers, for a caller who dials one on another node (a 302 here). A number whose
    // room is gone finds no lease: harmless.
    if (const auto sip = o.spec.find("sip"); sip != o.spec.end() && sip->is_object()) {
      if (const auto numbers = sip->find("numbers"); numbers != sip->end() && numbers->is_array()) {
        for (const nlohmann::json& n : *numbers) {
          if (n.is_string()) cmds.push_back({"SET", Key("sipnum:" + n.get<std::string>()), room});
        }
      }
    }
    auto r = redis_.Pipeline(cmds);
    return r.ok() ? Status::Ok() : Down(r.status());
  }

  // Until Redis confirms it, a forgotten room is forgotten again every heartbeat: a room
  // deleted while Redis was away must not come back from its spec.
  void Forget(const std::string& room) {
    owned_.erase(room);
    auto r = redis_.Command({"EVAL", kForgetScript, "3", RoomKey(room), SpecKey(room), Key("rooms"),
                             config_.node_id, room});
    if (r.ok()) {
      to_forget_.erase(room);
    } else {
      to_forget_.insert(room);
      (void)Down(r.status());
    }
  }

  void GiveUp() {
    std::vector<std::vector<std::string>> cmds;
    for (const auto& [room, o] : owned_) {
      cmds.push_back({"EVAL", kReleaseScript, "1", RoomKey(room), config_.node_id});
    }
    cmds.push_back({"DEL", NodeKey(config_.node_id)});
    cmds.push_back({"SREM", Key("nodes"), config_.node_id});
    if (auto r = redis_.Pipeline(cmds); r.ok()) {
      spdlog::info("cluster: node {} left the directory; its {} room(s) move to other nodes",
                   config_.node_id, owned_.size());
    }
    owned_.clear();
  }

  void Halt() {
    halted_ = true;
    timer_.cancel();
    work_.reset();
  }

  void Tick() {
    if (halted_) return;
    try {
      Beat();
    } catch (const std::exception& e) {
      // Nothing in a heartbeat throws by design; should something, the node goes on.
      spdlog::error("cluster: heartbeat failed: {}", e.what());
    }
    if (halted_) return;
    timer_.expires_after(std::chrono::milliseconds(config_.heartbeat_ms));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && !halted_) Tick();
    });
  }

  NodeRecord SelfRecord(const LocalRooms& local) {
    NodeRecord n;
    n.id = config_.node_id;
    n.api_url = config_.api_url;
    n.region = config_.region;
    n.backend = config_.backend;
    n.sip_address = config_.sip_address;
    n.rooms = static_cast<uint32_t>(local.names.size());
    n.participants = local.participants;
    const double cpu = ProcessCpuSeconds();
    const int64_t now = SteadyMs();
    if (last_cpu_ms_ > 0 && now > last_cpu_ms_) {
      n.cpu_percent =
          100.0 * (cpu - last_cpu_s_) * 1000.0 / static_cast<double>(now - last_cpu_ms_);
    }
    last_cpu_s_ = cpu;
    last_cpu_ms_ = now;
    n.capacity_units = config_.capacity_units;
    n.used_units = static_cast<int64_t>(local.participants) +
                   static_cast<int64_t>(config_.room_units) * n.rooms;
    n.draining = hooks_.draining && hooks_.draining();
    n.heartbeat_unix_ms = UnixMs();
    return n;
  }

  // One heartbeat: register, read the directory, keep the leases, take over orphans.
  void Beat() {
    const LocalRooms local = hooks_.local_rooms();
    const NodeRecord self = SelfRecord(local);
    auto r = redis_.Pipeline({{"SET", NodeKey(self.id), SerializeNodeRecord(self), "PX",
                               std::to_string(config_.lease_ms)},
                              {"SADD", Key("nodes"), self.id},
                              {"SMEMBERS", Key("nodes")}});
    if (!r.ok()) {
      (void)Down(r.status());
      return;
    }
    bool was_up;
    {
      std::lock_guard lock(mu_);
      was_up = redis_up_;
      redis_up_ = true;
    }
    GlobalMetrics().GetGauge("tessera_cluster_redis_up").Set(1);
    if (!was_up) {
      spdlog::info("cluster: node {} ({}, region {}) in the directory at {}:{}", self.id,
                   self.api_url, self.region, config_.redis_host, config_.redis_port);
      // After a start, or Redis back after an outage, every lease may have lapsed while their
      // nodes live: they get a lease's time to renew before anything is taken over.
      takeover_after_ms_ = SteadyMs() + config_.lease_ms + config_.heartbeat_ms;
    }
    for (const std::string& room : std::set<std::string>(to_forget_)) Forget(room);
    ReadNodes((*r)[2]);
    KeepLeases(local);
    if (!self.draining && SteadyMs() >= takeover_after_ms_) TakeOverOrphans();
    GlobalMetrics()
        .GetGauge("tessera_cluster_rooms_leased")
        .Set(static_cast<double>(owned_.size()));
  }

  void ReadNodes(const RedisReply& members) {
    if (members.type != RedisReply::Type::kArray) return;
    std::vector<std::vector<std::string>> gets;
    for (const RedisReply& m : members.elements) gets.push_back({"GET", NodeKey(m.str)});
    auto entries = redis_.Pipeline(gets);
    if (!entries.ok()) {
      (void)Down(entries.status());
      return;
    }
    std::vector<NodeRecord> nodes;
    for (size_t i = 0; i < entries->size(); ++i) {
      const RedisReply& e = (*entries)[i];
      if (e.nil()) {
        // Its entry expired: a dead node. Dropped from the set by whoever sees it first.
        (void)redis_.Command({"SREM", Key("nodes"), members.elements[i].str});
        continue;
      }
      if (std::optional<NodeRecord> n = ParseNodeRecord(e.str)) {
        nodes.push_back(std::move(*n));
      } else {
        spdlog::warn("cluster: node entry {} is not a node record: ignored",
                     members.elements[i].str);
      }
    }
    // Alive: its heartbeat changed within two of ours, by this node's clock (never comparing
    // clocks across machines). A dead node's entry lives on until its lease ends; it gets no
    // rooms and no clients meanwhile.
    const int64_t now = SteadyMs();
    std::vector<NodeRecord> alive;
    std::map<std::string, Seen> seen;
    for (NodeRecord& n : nodes) {
      Seen s{n.heartbeat_unix_ms, now};
      if (auto old = seen_.find(n.id);
          old != seen_.end() && old->second.heartbeat == n.heartbeat_unix_ms) {
        s.changed_ms = old->second.changed_ms;
      }
      seen[n.id] = s;
      if (n.id == config_.node_id ||
          now - s.changed_ms <= 2 * int64_t{config_.heartbeat_ms} + 500) {
        alive.push_back(std::move(n));
      }
    }
    std::lock_guard lock(mu_);
    for (const NodeRecord& n : alive) {
      auto old = seen_.find(n.id);
      if (old == seen_.end() || old->second.heartbeat != n.heartbeat_unix_ms) {
        pending_units_.erase(n.id);  // its own count has the rooms placed on it by now
      }
    }
    seen_ = std::move(seen);
    nodes_ = std::move(alive);
  }

  // Leases the rooms that run here (a room of the config file on its first heartbeat), renews
  // them, and drops those that ended here.
  void KeepLeases(const LocalRooms& local) {
    const std::set<std::string> here(local.names.begin(), local.names.end());
    const int64_t now = SteadyMs();
    for (auto it = owned_.begin(); it != owned_.end();) {
      const bool creating = it->second.claimed_ms && now - it->second.claimed_ms < 30000;
      if (here.count(it->first) || creating) {
        ++it;
        continue;
      }
      const std::string room = (it++)->first;
      Forget(room);  // ended here (DELETE, the console): gone from the cluster too
    }
    for (const std::string& room : here) {
      if (owned_.count(room)) {
        owned_[room].claimed_ms = 0;
        continue;
      }
      auto set = redis_.Command(
          {"SET", RoomKey(room), config_.node_id, "NX", "PX", std::to_string(config_.lease_ms)});
      if (!set.ok()) return (void)Down(set.status());
      if (!set->ok_status()) {
        auto owner = redis_.Command({"GET", RoomKey(room)});
        if (!owner.ok()) return (void)Down(owner.status());
        if (owner->nil()) continue;  // it lapsed between the two: again next heartbeat
        // Held under this node's own id (a restart within the lease): it is ours.
        if (owner->str != config_.node_id) {
          LoseRoom(room);
          continue;
        }
      }
      owned_[room] = Owned{};
    }
    if (owned_.empty()) return;
    std::vector<std::string> rooms;
    std::vector<std::vector<std::string>> renew;
    for (const auto& [room, o] : owned_) {
      rooms.push_back(room);
      renew.push_back({"EVAL", kRenewScript, "1", RoomKey(room), config_.node_id,
                       std::to_string(config_.lease_ms)});
    }
    auto renewed = redis_.Pipeline(renew);
    if (!renewed.ok()) return (void)Down(renewed.status());
    for (size_t i = 0; i < rooms.size(); ++i) {
      if ((*renewed)[i].type == RedisReply::Type::kInteger && (*renewed)[i].integer == 1) continue;
      // Not ours any more: gone (Redis restarted empty, or we were away past the lease), or
      // taken by another node.
      auto set = redis_.Command({"SET", RoomKey(rooms[i]), config_.node_id, "NX", "PX",
                                 std::to_string(config_.lease_ms)});
      if (!set.ok()) return (void)Down(set.status());
      if (set->ok_status()) {
        spdlog::info("cluster: room {} leased again (the directory had lost it)", rooms[i]);
        (void)WriteSpec(rooms[i], owned_[rooms[i]]);
      } else {
        LoseRoom(rooms[i]);
      }
    }
  }

  // Another node holds the room's lease: it runs there, so it ends here.
  void LoseRoom(const std::string& room) {
    auto owner = redis_.Command({"GET", RoomKey(room)});
    if (!owner.ok()) return (void)Down(owner.status());
    // Only a lease another node holds ends a room here; a lapsed one is taken again next beat.
    if (owner->nil() || owner->str == config_.node_id) return;
    const std::string& who = owner->str;
    spdlog::error("cluster: room {} runs on node {}: ended on this node", room, who);
    GlobalMetrics().GetCounter("tessera_cluster_leases_lost_total").Add();
    owned_.erase(room);
    hooks_.end_room(room);
    if (hooks_.on_event) {
      hooks_.on_event({{"type", "room.lease_lost"},
                       {"room", room},
                       {"node", config_.node_id},
                       {"holder", who}});
    }
  }

  // Rooms with a spec whose lease lapsed (their node died or stopped). Every node walks them in
  // the same order over the same directory, charging each to the node placement chooses, so the
  // nodes agree on who takes which and a dead node's rooms spread; SET NX settles any race.
  void TakeOverOrphans() {
    auto names = redis_.Command({"SMEMBERS", Key("rooms")});
    if (!names.ok()) return (void)Down(names.status());
    if (names->type != RedisReply::Type::kArray) return;
    std::vector<std::string> candidates;
    for (const RedisReply& e : names->elements) {
      if (!owned_.count(e.str)) candidates.push_back(e.str);
    }
    if (candidates.empty()) return;
    std::sort(candidates.begin(), candidates.end());
    std::vector<std::vector<std::string>> gets;
    for (const std::string& room : candidates) gets.push_back({"GET", RoomKey(room)});
    auto owners = redis_.Pipeline(gets);
    if (!owners.ok()) return (void)Down(owners.status());
    std::vector<NodeRecord> nodes;
    {
      std::lock_guard lock(mu_);
      nodes = nodes_;
    }
    const int64_t now = SteadyMs();
    for (size_t i = 0; i < candidates.size(); ++i) {
      const std::string& room = candidates[i];
      const RedisReply& owner = (*owners)[i];
      if (!owner.nil() && owner.str != config_.node_id) continue;
      if (!owner.nil()) {
        // Leased to this node's previous life (it was killed and restarted within the lease):
        // not running here, so free for whoever placement chooses.
        (void)redis_.Command({"EVAL", kReleaseScript, "1", RoomKey(room), config_.node_id});
      }
      if (auto f = failed_.find(room); f != failed_.end() && now < f->second) continue;
      auto raw = redis_.Command({"GET", SpecKey(room)});
      if (!raw.ok()) return (void)Down(raw.status());
      const nlohmann::json record =
          raw->nil() ? nlohmann::json() : nlohmann::json::parse(raw->str, nullptr, false);
      if (!record.is_object() || !record.contains("spec")) {
        (void)redis_.Command({"SREM", Key("rooms"), room});
        continue;
      }
      const std::string region = record.value("region", "default");
      const std::optional<NodeRecord> best = ChooseNode(nodes, region);
      if (!best) continue;
      for (NodeRecord& n : nodes) {
        if (n.id == best->id) n.used_units += config_.room_units + SpecParticipants(record);
      }
      if (best->id == config_.node_id) TakeOver(room, record);
    }
  }

  static int64_t SpecParticipants(const nlohmann::json& record) {
    const auto spec = record.find("spec");
    if (spec == record.end() || !spec->is_object()) return 0;
    const auto p = spec->find("participants");
    return p != spec->end() && p->is_array() ? static_cast<int64_t>(p->size()) : 0;
  }

  void TakeOver(const std::string& room, const nlohmann::json& record) {
    auto set = redis_.Command(
        {"SET", RoomKey(room), config_.node_id, "NX", "PX", std::to_string(config_.lease_ms)});
    if (!set.ok() || !set->ok_status()) return;  // another node was quicker
    const std::string from = record.value("node", "");
    const int64_t since = record.value("since", int64_t{0});
    Owned& o = owned_[room];
    o.spec = record["spec"];
    o.region = record.value("region", "default");
    o.claimed_ms = SteadyMs();
    const Status created = hooks_.create_room(o.spec);
    if (!created.ok()) {
      spdlog::error("cluster: room {} (from node {}) could not be re-created here: {}", room, from,
                    created.message());
      owned_.erase(room);
      (void)redis_.Command({"EVAL", kReleaseScript, "1", RoomKey(room), config_.node_id});
      failed_[room] = SteadyMs() + 30000;  // another node may take it meanwhile
      return;
    }
    failed_.erase(room);
    (void)WriteSpec(room, o);
    GlobalMetrics().GetCounter("tessera_cluster_takeovers_total").Add();
    spdlog::warn("cluster: room {} taken over from node {} (its lease had expired)", room, from);
    if (hooks_.on_event) {
      hooks_.on_event({{"type", "room.moved"},
                       {"room", room},
                       {"from", from},
                       {"to", config_.node_id},
                       {"leased_since_unix_ms", since}});
    }
  }

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
  bool halted_ = false;
  std::atomic<bool> stopped_{false};
  double last_cpu_s_ = 0;
  int64_t last_cpu_ms_ = 0;
  // Shared with the API's thread.
  std::mutex mu_;
  bool redis_up_ = false;
  std::vector<NodeRecord> nodes_;
  std::map<std::string, int64_t> pending_units_;
};

ClusterNode::ClusterNode(ClusterConfig config, ClusterHooks hooks)
    : config_(std::move(config)), hooks_(std::move(hooks)) {
  if (config_.capacity_units == 0) {
    config_.capacity_units = 22 * std::max(1u, std::thread::hardware_concurrency());
  }
  if (config_.region.empty()) config_.region = "default";
}

ClusterNode::~ClusterNode() { Stop(); }

void ClusterNode::SetApiPort(uint16_t port) {
  for (std::string* s : {&config_.api_url, &config_.node_id}) {
    if (s->ends_with(":0")) *s = s->substr(0, s->size() - 1) + std::to_string(port);
  }
}

Status ClusterNode::Start() {
  std::string password;
  if (!config_.redis_password_file.empty()) {
    std::ifstream f(config_.redis_password_file);
    if (!f || !std::getline(f, password) || password.empty()) {
      return InvalidArgumentError("cluster.redis_password_file: cannot read a password from " +
                                  config_.redis_password_file);
    }
  }
  impl_ = std::make_unique<Impl>(config_, hooks_, std::move(password));
  impl_->Start();
  spdlog::info("cluster: node {} (region {}, {} load units) joins the directory at {}:{}",
               config_.node_id, config_.region, config_.capacity_units, config_.redis_host,
               config_.redis_port);
  return Status::Ok();
}

void ClusterNode::Stop() {
  // impl_ stays until the destructor: the API may still call in until it stops.
  if (impl_) impl_->Stop();
}

namespace {
Status NotStarted() { return FailedPreconditionError("the cluster node is not running"); }
}  // namespace

StatusOr<NodeRecord> ClusterNode::Place(const std::string& region) {
  if (!impl_) return NotStarted();
  return impl_->Place(region.empty() ? "default" : region);
}

Status ClusterNode::Claim(const std::string& room, const std::string& region,
                          const nlohmann::json& spec) {
  if (!impl_) return NotStarted();
  return impl_->Claim(room, region.empty() ? "default" : region, spec);
}

void ClusterNode::Release(const std::string& room) {
  if (impl_) impl_->Release(room);
}

StatusOr<std::optional<NodeRecord>> ClusterNode::Owner(const std::string& room) {
  if (!impl_) return NotStarted();
  return impl_->Owner(room);
}

std::optional<std::string> ClusterNode::LocateSip(const std::string& user) {
  if (!impl_) return std::nullopt;
  return impl_->LocateSip(user);
}

StatusOr<nlohmann::json> ClusterNode::Describe() {
  if (!impl_) return NotStarted();
  return impl_->Describe();
}

void ClusterNode::HeartbeatNow() {
  if (impl_) impl_->HeartbeatNow();
}

}  // namespace tessera::cluster
