// Cascading in the directory (docs/architecture.md, "Cascading"): where a cascaded room's next
// participant goes, the shares' entries, and the links the primary keeps to them.
#include "cluster/cluster_node_impl.h"

namespace tessera::cluster {
namespace {

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Typed reads of another node's entry: a field of another type reads as absent (nlohmann's
// value() would throw, and one bad entry must not stop a heartbeat).
std::string Str(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint64_t Count(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

nlohmann::json ParseObject(const RedisReply& r) {
  if (r.nil()) return nlohmann::json();
  nlohmann::json j = nlohmann::json::parse(r.str, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : nlohmann::json();
}

}  // namespace

StatusOr<NodeRecord> ClusterNode::Impl::PlaceShare(const std::string& room, uint32_t per_node) {
  if (!up()) return UnavailableError("the cluster directory (Redis) is unreachable");
  return Run<NodeRecord>([this, room, per_node]() -> StatusOr<NodeRecord> {
    const auto owned = owned_.find(room);
    if (owned == owned_.end()) {
      return FailedPreconditionError("room '" + room + "' is not leased to this node");
    }
    auto members = redis_.Command({"SMEMBERS", SharesKey(room)});
    if (!members.ok()) return Down(members.status());
    std::vector<std::string> holders;
    if (members->type == RedisReply::Type::kArray) {
      for (const RedisReply& m : members->elements) holders.push_back(m.str);
    }
    std::sort(holders.begin(), holders.end());
    std::vector<NodeRecord> nodes;
    {
      std::lock_guard lock(mu_);
      nodes = nodes_;
      for (NodeRecord& n : nodes) {
        if (auto it = pending_units_.find(n.id); it != pending_units_.end()) {
          n.used_units += it->second;
        }
      }
    }
    const auto alive = [&nodes](const std::string& id) -> const NodeRecord* {
      for (const NodeRecord& n : nodes) {
        if (n.id == id && !n.draining) return &n;
      }
      return nullptr;
    };
    std::set<std::string> taken;
    for (const std::string& node : holders) {
      auto entry = redis_.Command({"GET", ShareKey(room, node)});
      if (!entry.ok()) return Down(entry.status());
      const nlohmann::json share = ParseObject(*entry);
      if (!share.is_object()) continue;
      // A node sharing the room for another primary (the room moved, its share not yet
      // ended) takes no new share of it.
      taken.insert(node);
      if (Str(share, "primary") != config_.node_id) continue;
      const NodeRecord* n = alive(node);
      if (n && Count(share, "participants") < per_node) return *n;
    }
    // A new share: the room's region, not this node, not a node already sharing it.
    std::vector<NodeRecord> candidates;
    for (const NodeRecord& n : nodes) {
      if (n.id != config_.node_id && !taken.count(n.id)) candidates.push_back(n);
    }
    std::optional<NodeRecord> chosen = ChooseNode(candidates, owned->second.region);
    if (!chosen || chosen->free_units() <= 0) {
      return ResourceExhaustedError(
          "room '" + room + "' has " + std::to_string(per_node) + " participants on each of its " +
          std::to_string(taken.size() + 1) + " node(s), and no other node of region " +
          owned->second.region + " has room for a share of it");
    }
    {
      std::lock_guard lock(mu_);
      pending_units_[chosen->id] += config_.room_units;
    }
    return *chosen;
  });
}

StatusOr<nlohmann::json> ClusterNode::Impl::ShareSpec(const std::string& room,
                                                      const std::string& primary) {
  if (!up()) return UnavailableError("the cluster directory (Redis) is unreachable");
  return Run<nlohmann::json>([this, room, primary]() -> StatusOr<nlohmann::json> {
    auto r = redis_.Pipeline({{"GET", RoomKey(room)}, {"GET", SpecKey(room)}});
    if (!r.ok()) return Down(r.status());
    const RedisReply& owner = (*r)[0];
    if (owner.nil() || owner.str != primary) {
      return FailedPreconditionError("room '" + room + "' does not run on node " + primary +
                                     (owner.nil() ? std::string(" (it runs nowhere)")
                                                  : " (it runs on node " + owner.str + ")"));
    }
    const nlohmann::json record = ParseObject((*r)[1]);
    const auto spec = record.find("spec");
    if (spec == record.end() || !spec->is_object() || !spec->contains("cascade")) {
      return FailedPreconditionError("room '" + room + "' is not cascaded");
    }
    nlohmann::json out = *spec;
    const std::string region = Str(record, "region");
    out["region"] = region.empty() ? std::string("default") : region;
    return out;
  });
}

void ClusterNode::Impl::ShareChanged() {
  if (!up() || !hooks_.shares) return;
  (void)Run<int>([this]() -> StatusOr<int> {
    shared_ = KeepShares();
    return 0;
  });
}

std::set<std::string> ClusterNode::Impl::KeepShares() {
  std::set<std::string> rooms;
  if (!hooks_.shares) return rooms;
  const int64_t now = SteadyMs();
  const std::string lease = std::to_string(config_.lease_ms);
  for (const nlohmann::json& share : hooks_.shares()) {
    const std::string room = Str(share, "room");
    const std::string primary = Str(share, "primary");
    if (room.empty()) continue;
    rooms.insert(room);
    auto r = redis_.Pipeline({{"SET", ShareKey(room, config_.node_id), Dump(share), "PX", lease},
                              {"SADD", SharesKey(room), config_.node_id},
                              {"GET", LinkKey(room, config_.node_id)},
                              {"GET", RoomKey(room)}});
    if (!r.ok()) {
      (void)Down(r.status());
      return rooms;
    }
    const nlohmann::json link = ParseObject((*r)[2]);
    if (link.is_object() && hooks_.uplink) {
      try {
        hooks_.uplink(room, link);
      } catch (const std::exception& e) {  // nothing in it throws by design; the beat goes on
        spdlog::warn("cluster: room {}: the link entry for this share is unusable: {}", room,
                     e.what());
      }
    }
    const RedisReply& owner = (*r)[3];
    if (!owner.nil() && owner.str == primary) {
      orphan_share_since_.erase(room);
      continue;
    }
    // The room left its primary (deleted, or its node died and it moved): after a lease (a
    // primary restarting within it keeps its shares) the share ends.
    const int64_t since = orphan_share_since_.try_emplace(room, now).first->second;
    if (now - since < int64_t{config_.lease_ms}) continue;
    spdlog::warn("cluster: room {} no longer runs on node {}: its share here ends", room, primary);
    orphan_share_since_.erase(room);
    (void)redis_.Pipeline(
        {{"DEL", ShareKey(room, config_.node_id)}, {"SREM", SharesKey(room), config_.node_id}});
    if (hooks_.end_share) hooks_.end_share(room);
    if (hooks_.on_event) {
      hooks_.on_event({{"type", "room.share_ended"},
                       {"room", room},
                       {"node", config_.node_id},
                       {"primary", primary}});
    }
  }
  std::erase_if(orphan_share_since_, [&rooms](const auto& e) { return !rooms.count(e.first); });
  return rooms;
}

void ClusterNode::Impl::KeepLinks() {
  std::erase_if(links_, [this](const auto& e) { return !owned_.count(e.first); });
  if (!hooks_.link) return;
  const std::string lease = std::to_string(config_.lease_ms);
  for (const auto& [room, o] : owned_) {
    if (o.claimed_ms || !o.spec.is_object() || !o.spec.contains("cascade")) continue;
    auto members = redis_.Command({"SMEMBERS", SharesKey(room)});
    if (!members.ok()) return (void)Down(members.status());
    std::set<std::string> linked;
    if (members->type == RedisReply::Type::kArray) {
      std::vector<std::string> nodes;
      for (const RedisReply& m : members->elements) nodes.push_back(m.str);
      std::sort(nodes.begin(), nodes.end());
      for (const std::string& node : nodes) {
        auto entry = redis_.Command({"GET", ShareKey(room, node)});
        if (!entry.ok()) return (void)Down(entry.status());
        if (entry->nil()) {
          (void)redis_.Command({"SREM", SharesKey(room), node});
          continue;
        }
        const nlohmann::json share = ParseObject(*entry);
        if (!share.is_object() || Str(share, "primary") != config_.node_id) continue;
        StatusOr<nlohmann::json> link = InternalError("the link hook threw");
        try {
          link = hooks_.link(room, node, share);
        } catch (const std::exception& e) {  // nothing in it throws by design; the beat goes on
          link = InternalError(std::string("the share's entry is unusable: ") + e.what());
        }
        if (!link.ok()) {
          spdlog::warn("cluster: room {}: the share on node {} could not be linked: {}", room, node,
                       link.status().message());
          // Retried next heartbeat; a link that works stays meanwhile.
          if (links_[room].count(node)) linked.insert(node);
          continue;
        }
        linked.insert(node);
        auto set = redis_.Command({"SET", LinkKey(room, node), Dump(*link), "PX", lease});
        if (!set.ok()) return (void)Down(set.status());
      }
    }
    std::set<std::string>& before = links_[room];
    for (const std::string& node : before) {
      if (linked.count(node)) continue;
      spdlog::warn("cluster: room {}: the share on node {} is gone (its entry lapsed)", room, node);
      if (hooks_.unlink) hooks_.unlink(room, node);
    }
    before = std::move(linked);
  }
}

}  // namespace tessera::cluster
