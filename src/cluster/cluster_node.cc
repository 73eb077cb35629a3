#include <fstream>

#include "cluster/cluster_node_impl.h"

namespace tessera::cluster {

StatusOr<NodeRecord> ClusterNode::Impl::Place(const std::string& region) {
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

Status ClusterNode::Impl::Claim(const std::string& room, const std::string& region,
                                const nlohmann::json& spec) {
  if (!up()) return UnavailableError("the cluster directory (Redis) is unreachable");
  auto r = Run<int>([this, room, region, spec]() -> StatusOr<int> {
    auto set = redis_.Command(
        {"SET", RoomKey(room), config_.node_id, "NX", "PX", std::to_string(config_.lease_ms)});
    if (!set.ok()) return Down(set.status());
    if (!set->ok_status()) {
      auto owner = redis_.Command({"GET", RoomKey(room)});
      const std::string who = owner.ok() && !owner->nil() ? owner->str : "another node";
      return Status(StatusCode::kAlreadyExists, "room '" + room + "' already runs on node " + who);
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

void ClusterNode::Impl::Release(const std::string& room) {
  (void)Run<int>([this, room]() -> StatusOr<int> {
    Forget(room);
    return 0;
  });
}

StatusOr<std::optional<NodeRecord>> ClusterNode::Impl::Owner(const std::string& room) {
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

std::optional<std::string> ClusterNode::Impl::LocateSip(const std::string& user) {
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

StatusOr<nlohmann::json> ClusterNode::Impl::Describe() {
  return Run<nlohmann::json>([this]() -> StatusOr<nlohmann::json> {
    nlohmann::json out = {{"node", config_.node_id}};
    nlohmann::json nodes = nlohmann::json::array();
    {
      std::lock_guard lock(mu_);
      out["redis"] = redis_up_ ? "up" : "down";
      if (id_conflict_) out["node_id_conflict"] = true;
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

void ClusterNode::Impl::HeartbeatNow() {
  (void)Run<int>([this]() -> StatusOr<int> {
    Beat();
    return 0;
  });
}

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

StatusOr<NodeRecord> ClusterNode::PlaceShare(const std::string& room, uint32_t per_node) {
  if (!impl_) return NotStarted();
  return impl_->PlaceShare(room, per_node);
}

StatusOr<nlohmann::json> ClusterNode::ShareSpec(const std::string& room,
                                                const std::string& primary) {
  if (!impl_) return NotStarted();
  return impl_->ShareSpec(room, primary);
}

void ClusterNode::ShareChanged() {
  if (impl_) impl_->ShareChanged();
}

}  // namespace tessera::cluster
