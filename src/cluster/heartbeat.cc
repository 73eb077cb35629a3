// Each heartbeat of a cluster node: its entry in the directory, the directory read back, its
// rooms' leases kept (or lost), and the rooms of dead or stopped nodes taken over.
#include <sys/resource.h>

#include "cluster/cluster_node_impl.h"

namespace tessera::cluster {
namespace {

// This process's CPU time in seconds (user + system), as the metrics' process_cpu_seconds_total.
double ProcessCpuSeconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

// A failed round trip: counted, logged when Redis goes away, the status passed on.
Status ClusterNode::Impl::Down(const Status& s) {
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

Status ClusterNode::Impl::WriteSpec(const std::string& room, const Owned& o) {
  if (o.spec.is_null()) return Status::Ok();
  const nlohmann::json record = {
      {"spec", o.spec}, {"region", o.region}, {"node", config_.node_id}, {"since", UnixMs()}};
  std::vector<std::vector<std::string>> cmds = {
      {"SET", SpecKey(room), record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)},
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
void ClusterNode::Impl::Forget(const std::string& room) {
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

void ClusterNode::Impl::GiveUp() {
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

void ClusterNode::Impl::Halt() {
  halted_ = true;
  timer_.cancel();
  work_.reset();
}

void ClusterNode::Impl::Tick() {
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

NodeRecord ClusterNode::Impl::SelfRecord(const LocalRooms& local) {
  NodeRecord n;
  n.id = config_.node_id;
  n.instance = instance_;
  n.api_url = config_.api_url;
  n.region = config_.region;
  n.backend = config_.backend;
  n.sip_address = config_.sip_address;
  n.rooms = static_cast<uint32_t>(local.names.size());
  n.participants = local.participants;
  const double cpu = ProcessCpuSeconds();
  const int64_t now = SteadyMs();
  if (last_cpu_ms_ > 0 && now > last_cpu_ms_) {
    n.cpu_percent = 100.0 * (cpu - last_cpu_s_) * 1000.0 / static_cast<double>(now - last_cpu_ms_);
  }
  last_cpu_s_ = cpu;
  last_cpu_ms_ = now;
  n.capacity_units = config_.capacity_units;
  n.used_units =
      static_cast<int64_t>(local.participants) + static_cast<int64_t>(config_.room_units) * n.rooms;
  n.draining = hooks_.draining && hooks_.draining();
  {
    // Not up yet: this beat is the first to reach Redis, and its settling time starts now.
    std::lock_guard lock(mu_);
    n.settling = !redis_up_ || SteadyMs() < takeover_after_ms_;
  }
  n.heartbeat_unix_ms = UnixMs();
  return n;
}

// One heartbeat: register, read the directory, keep the leases, take over orphans.
void ClusterNode::Impl::Beat() {
  const LocalRooms local = hooks_.local_rooms();
  const NodeRecord self = SelfRecord(local);
  auto r =
      redis_.Pipeline({{"EVAL", kRegisterScript, "1", NodeKey(self.id), SerializeNodeRecord(self),
                        instance_, std::to_string(config_.lease_ms)},
                       {"SADD", Key("nodes"), self.id},
                       {"SMEMBERS", Key("nodes")}});
  if (!r.ok()) {
    (void)Down(r.status());
    return;
  }
  // Another live process registered under this node id: two nodes with one id would take each
  // other's rooms and leases. This one stays out (its entry is the other's) until that one's
  // entry lapses; it keeps running what it runs, and says so loudly.
  const bool conflict = (*r)[0].type == RedisReply::Type::kInteger && (*r)[0].integer == 0;
  {
    std::lock_guard lock(mu_);
    if (conflict != id_conflict_) {
      if (conflict) {
        spdlog::error(
            "cluster: node id {} is in use by another live Tessera (its directory entry is "
            "another process's): this node stays out of the cluster until that entry lapses; "
            "give each node its own cluster.node_id",
            self.id);
      } else {
        spdlog::info("cluster: node id {} is free again: this node joins the directory", self.id);
      }
    }
    id_conflict_ = conflict;
  }
  GlobalMetrics().GetGauge("tessera_cluster_node_id_conflict").Set(conflict ? 1 : 0);
  if (conflict) return;
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
  // A share of another node's room runs here under the room's name, never leased here.
  shared_ = KeepShares();
  // By the rooms' own configs as well: a share KeepShares missed (Redis failing midway) must
  // still never be leased under its primary's name.
  const std::set<std::string> shares(local.shares.begin(), local.shares.end());
  LocalRooms leased = local;
  std::erase_if(leased.names, [this, &shares](const std::string& n) {
    return shared_.count(n) > 0 || shares.count(n) > 0;
  });
  KeepLeases(leased);
  KeepLinks();
  KeepDialOuts();
  if (!self.draining && SteadyMs() >= takeover_after_ms_) TakeOverOrphans();
  GlobalMetrics().GetGauge("tessera_cluster_rooms_leased").Set(static_cast<double>(owned_.size()));
}

void ClusterNode::Impl::ReadNodes(const RedisReply& members) {
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
      spdlog::warn("cluster: node entry {} is not a node record: ignored", members.elements[i].str);
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
    if (n.id == config_.node_id || now - s.changed_ms <= 2 * int64_t{config_.heartbeat_ms} + 500) {
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
void ClusterNode::Impl::KeepLeases(const LocalRooms& local) {
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
    auto set = redis_.Command(
        {"SET", RoomKey(rooms[i]), config_.node_id, "NX", "PX", std::to_string(config_.lease_ms)});
    if (!set.ok()) return (void)Down(set.status());
    if (set->ok_status()) {
      spdlog::info("cluster: room {} leased again (the directory had lost it)", rooms[i]);
      (void)WriteSpec(rooms[i], owned_[rooms[i]]);
    } else {
      LoseRoom(rooms[i]);
    }
  }
}

void ClusterNode::Impl::KeepDialOuts() {
  if (!hooks_.dial_outs) return;
  std::map<std::string, nlohmann::json> live = hooks_.dial_outs();
  for (auto& [room, o] : owned_) {
    // A room of the config file is never re-created elsewhere; one just taken over keeps the
    // calls it is dialling again until they show.
    if (!o.spec.is_object() || o.claimed_ms) continue;
    nlohmann::json now = live.count(room) ? live[room] : nlohmann::json::array();
    const nlohmann::json before = o.spec.value("dial_out", nlohmann::json::array());
    if (now == before) continue;
    if (now.empty()) {
      o.spec.erase("dial_out");
    } else {
      o.spec["dial_out"] = std::move(now);
    }
    (void)WriteSpec(room, o);
  }
}

// Another node holds the room's lease: it runs there, so it ends here.
void ClusterNode::Impl::LoseRoom(const std::string& room) {
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
    hooks_.on_event(
        {{"type", "room.lease_lost"}, {"room", room}, {"node", config_.node_id}, {"holder", who}});
  }
}

// Rooms with a spec whose lease lapsed (their node died or stopped). Every node walks them in
// the same order over the same directory, charging each to the node placement chooses, so the
// nodes agree on who takes which and a dead node's rooms spread; SET NX settles any race.
void ClusterNode::Impl::TakeOverOrphans() {
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
    // A node that does not take rooms over yet would leave its choice orphaned for its whole
    // settling time: the others choose among the rest.
    std::vector<NodeRecord> takers;
    for (const NodeRecord& n : nodes) {
      if (!n.settling || n.id == config_.node_id) takers.push_back(n);
    }
    const std::optional<NodeRecord> best = ChooseNode(takers, region);
    if (!best) continue;
    for (NodeRecord& n : nodes) {
      if (n.id == best->id) n.used_units += config_.room_units + SpecParticipants(record);
    }
    if (best->id == config_.node_id) TakeOver(room, record);
  }
}

int64_t ClusterNode::Impl::SpecParticipants(const nlohmann::json& record) {
  const auto spec = record.find("spec");
  if (spec == record.end() || !spec->is_object()) return 0;
  const auto p = spec->find("participants");
  return p != spec->end() && p->is_array() ? static_cast<int64_t>(p->size()) : 0;
}

void ClusterNode::Impl::TakeOver(const std::string& room, const nlohmann::json& record) {
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

}  // namespace tessera::cluster
