// RoomPlacement: what the HTTP API asks of the cluster (the app implements it over the cluster
// module's node directory; control does not depend on cluster). Absent: the node runs alone.
//
// With it, the API (api.h) sends clients to the node that runs a room: a request on a room that
// is not here answers 307 with Location at that node's API (same path and query); a new room is
// created on the node with the most free budget in its region (307 to it, `?node=<id>` added so
// that it creates the room instead of placing it again), leased before it is created (no two
// nodes ever run one room) and released when it is deleted.
#pragma once

#include <tessera/base/status.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace tessera::control {

struct NodeLocation {
  std::string id;
  std::string api_url;  // "https://node2.example:8443"; empty: the node is dying (its room moves)
};

// Runs on: the API's thread; each call may block briefly on the directory.
class RoomPlacement {
 public:
  virtual ~RoomPlacement() = default;
  virtual const std::string& self_id() const = 0;
  // The node a new room of `region` is created on (self_id() for this one). Unavailable: the
  // directory is unreachable; ResourceExhausted: no node of the region takes rooms.
  virtual StatusOr<NodeLocation> Place(const std::string& region) = 0;
  // Leases the room to this node before it is created here. AlreadyExists: it runs elsewhere.
  virtual Status Claim(const std::string& room, const std::string& region,
                       const nlohmann::json& spec) = 0;
  // The room is gone from this node (deleted, or its creation failed).
  virtual void Release(const std::string& room) = 0;
  // Where a room that is not here runs; nullopt: nowhere (the API answers 404 as alone).
  virtual StatusOr<std::optional<NodeLocation>> Owner(const std::string& room) = 0;
  // GET /v1/cluster.
  virtual StatusOr<nlohmann::json> Describe() = 0;
  // Cascading (docs/architecture.md, "Cascading"): the node a cascaded room's next participant
  // joins on once this node, its primary, has per_node of its own; the body that created the
  // room, for a share of it here (FailedPrecondition unless `primary` runs it and it is
  // cascaded); and a share here changed (its entry is written now).
  virtual StatusOr<NodeLocation> PlaceShare(const std::string& room, uint32_t per_node) {
    (void)per_node;
    return UnavailableError("room '" + room + "': this node takes no part in cascading");
  }
  virtual StatusOr<nlohmann::json> ShareSpec(const std::string& room, const std::string& primary) {
    (void)primary;
    return UnavailableError("room '" + room + "': this node takes no part in cascading");
  }
  virtual void ShareChanged() {}
};

}  // namespace tessera::control
