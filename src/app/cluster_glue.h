// The cluster (cluster::ClusterNode) as the rest of the node sees it: the HTTP API's placement
// (control::RoomPlacement) and the hooks through which the cluster reads and changes the rooms.
#pragma once

#include <tessera/cluster/cluster_node.h>
#include <tessera/control/placement.h>
#include <tessera/control/service.h>
#include <tessera/session/room_directory.h>

#include <functional>
#include <memory>

namespace tessera::app {

// The API's placement over the node directory.
std::unique_ptr<control::RoomPlacement> MakeRoomPlacement(cluster::ClusterNode& node);

// The cluster's view of this node's rooms: it counts them, re-creates taken-over rooms through
// the service (the same checks as the API's) and ends rooms another node holds. `events` gets
// the cluster's events (the event stream and the audit trail); may be unset. Cascading: the
// shares here and the links of the rooms here, whose media goes to `media_address` (the node's
// server.bind_address).
cluster::ClusterHooks MakeClusterHooks(session::RoomDirectory& rooms,
                                       control::ControlService& service,
                                       const std::string& media_address,
                                       std::function<void(const nlohmann::json&)> events);

}  // namespace tessera::app
