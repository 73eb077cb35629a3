// ClusterNode: this node in the cluster's directory on Redis (docs/architecture.md, "Cluster").
//
// What lives in Redis (every key under cluster.key_prefix):
//   node:<id>   this node's heartbeat (NodeRecord JSON), expiring after lease_ms
//   nodes       the set of node ids (an id whose node:<id> expired is dropped by whoever sees it)
//   room:<name> the id of the node that runs the room, expiring after lease_ms unless renewed:
//               a node runs a room only while it holds this lease
//   spec:<name> the API body that created the room, its region and its last node: what another
//               node re-creates it from when its node dies
//   rooms       the set of room names with a spec
//   shares:<room>        the nodes holding a share of a cascaded room
//   share:<room>:<node>  that share's uplink ports, members and cells, expiring after lease_ms
//   link:<room>:<node>   the primary's link ports for that share, expiring after lease_ms
//
// Each heartbeat (heartbeat_ms) the node writes its entry, reads everyone's, renews the leases
// of its rooms (a lease another node holds now ends the room here), and takes over rooms whose
// lease expired if it is the node placement would choose for them. Redis unreachable: rooms run
// on, new rooms are refused (nothing can be leased), and on its return the node re-registers and
// re-leases its rooms (and rewrites their specs should Redis have lost them).
//
// Runs on: its own thread (all Redis I/O, never a media thread or the API's); the public methods
// from any other thread, each blocking at most about twice the Redis timeout.
#pragma once

#include <tessera/base/status.h>
#include <tessera/cluster/config.h>
#include <tessera/cluster/node_record.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tessera::cluster {

// What runs on this node now.
struct LocalRooms {
  std::vector<std::string> names;
  uint32_t participants = 0;
  // Those of `names` that are shares of other nodes' cascaded rooms: never leased here.
  std::vector<std::string> shares;
};

struct ClusterHooks {
  // This node's rooms and participants (for its load and its leases). Required.
  std::function<LocalRooms()> local_rooms;
  // Creates a room from the body that created it first (a dead node's room, taken over).
  // Required.
  std::function<Status(const nlohmann::json& spec)> create_room;
  // Ends a room here whose lease another node holds now. Required.
  std::function<void(const std::string& room)> end_room;
  // Whether the node drains (no new rooms are placed on it, it takes over none).
  std::function<bool()> draining;
  // The cluster's events for the event stream and the audit trail: room.moved (taken over from
  // a node that died or stopped), room.lease_lost (ended here: another node holds it).
  std::function<void(const nlohmann::json& event)> on_event;

  // The calls this node dialled out (POST /v1/sip/calls) that are live now, by room: each
  // {"uri", "name"}. Kept in the room's spec ("dial_out"), so that the node that takes the room
  // over dials them again (create_room gets them in the spec). Unset: none.
  std::function<std::map<std::string, nlohmann::json>()> dial_outs;

  // Cascading (docs/architecture.md, "Cascading"); unset: this node takes no part in it.
  // This node's shares of other nodes' rooms: one object each, {"room", "primary",
  // "media_address", "audio_port", "video_port" (its uplink's), "participants" (its own),
  // "layout": {"width", "height", "cells": [{"name", "x", "y", "width", "height"}]}}.
  std::function<std::vector<nlohmann::json>()> shares;
  // On a room's primary: the share of node `node` (the object above) is linked: its link
  // participant joined (once) and shows the share's cells. Returns the link's {"media_address",
  // "audio_port", "video_port"}; an error is logged and retried next heartbeat.
  std::function<StatusOr<nlohmann::json>(const std::string& room, const std::string& node,
                                         const nlohmann::json& share)>
      link;
  // On a room's primary: the share of `node` is gone (its lease lapsed): its link leaves.
  std::function<void(const std::string& room, const std::string& node)> unlink;
  // On a share: the primary's link for it is `link` (the object `link` returned): the uplink
  // sends there (idempotent).
  std::function<void(const std::string& room, const nlohmann::json& link)> uplink;
  // On a share: the room no longer runs on its primary (deleted, or moved): the share ends.
  std::function<void(const std::string& room)> end_share;
};

class ClusterNode {
 public:
  ClusterNode(ClusterConfig config, ClusterHooks hooks);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // The API's real port where the config asked for port 0 (api_url and a derived node_id end
  // in ":0" until then). Before Start.
  void SetApiPort(uint16_t port);
  // Reads the password file, starts the thread and the first heartbeat. Redis down is not an
  // error (it is retried every heartbeat and logged); a missing password file is.
  Status Start();
  // Gives up this node's leases (other nodes take its rooms at their next heartbeat, not after
  // the lease) and its entry; the thread ends.
  void Stop();

  const std::string& id() const { return config_.node_id; }
  const std::string& api_url() const { return config_.api_url; }

  // Where a new room of `region` (empty: "default") goes: this node or another. Unavailable:
  // the directory is unreachable; ResourceExhausted: no node of that region takes rooms.
  StatusOr<NodeRecord> Place(const std::string& region);
  // Leases `room` to this node before it is created here; `spec` (the create body) is kept for
  // a takeover. AlreadyExists: another node runs it (named); Unavailable: Redis unreachable.
  Status Claim(const std::string& room, const std::string& region, const nlohmann::json& spec);
  // The room ended here (or its creation failed): its lease and spec are dropped.
  void Release(const std::string& room);
  // The node that runs a room this node does not: nullopt when no node holds it (or this one
  // does). A holder whose entry expired comes back with an empty api_url (it is dying: its room
  // moves within a lease). Unavailable: Redis unreachable.
  StatusOr<std::optional<NodeRecord>> Owner(const std::string& room);
  // A SIP caller's Request-URI user (a room's name or one of its SIP numbers) of a room another
  // node runs: that node's sip_address, for a 302. nullopt: nowhere else, that node has no SIP,
  // or the directory is unreachable (the caller then gets this node's 404).
  std::optional<std::string> LocateSip(const std::string& user);
  // Cascading. The node a cascaded room's next participant joins on, the room's primary being
  // full: a share of the room with fewer than per_node participants, else the node of the
  // room's region with the most free budget that holds no share of it. ResourceExhausted: none.
  StatusOr<NodeRecord> PlaceShare(const std::string& room, uint32_t per_node);
  // The body that created `room`, for a share of it here; FailedPrecondition unless `primary`
  // holds the room's lease and the room is cascaded.
  StatusOr<nlohmann::json> ShareSpec(const std::string& room, const std::string& primary);
  // A share here changed (a participant joined or left): its entry is written now, so that
  // the primary's next placement counts it.
  void ShareChanged();
  // GET /v1/cluster: {"node": id, "redis": "up"|"down", "nodes": [NodeRecord...],
  // "rooms": [{"name", "node"}...]}.
  StatusOr<nlohmann::json> Describe();

  // Runs one heartbeat now and waits for it (tests).
  void HeartbeatNow();

  class Impl;

 private:
  ClusterConfig config_;
  ClusterHooks hooks_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::cluster
