// The `cluster` block: this node's place in a cluster of Tessera nodes that share one Redis
// (docs/architecture.md, "Cluster"). Absent: the node runs alone, as before.
#pragma once

#include <cstdint>
#include <string>

namespace tessera::cluster {

struct ClusterConfig {
  bool enabled = false;
  // Redis: host and port; with password_file, AUTH with the file's first line.
  std::string redis_host = "127.0.0.1";
  uint16_t redis_port = 6379;
  std::string redis_password_file;
  // Every key this cluster writes starts with it: several clusters may share one Redis.
  std::string key_prefix = "tessera:";
  // This node's name in the directory; empty: the host name and the control port.
  std::string node_id;
  // Rooms are placed on a node of the region they ask for (a room without one: "default").
  std::string region = "default";
  // Where other nodes send clients for the rooms this node runs (307 Location): this node's API
  // as clients reach it; empty: http(s)://control.listen_address:control.port.
  std::string api_url;
  // Where other nodes send SIP callers of the rooms this node runs (302 Contact), "host:port";
  // empty: the first sip.listen address with a fixed port, if any.
  std::string sip_address;
  // Where other nodes send a cascaded room's media for this node (its links and uplinks):
  // an address of this host they reach; empty: server.bind_address, which must then not be a
  // wildcard (filled in by the app).
  std::string media_address;
  // A node's entry and its rooms' leases live this long without a heartbeat; a dead node's rooms
  // move after it (plus one heartbeat).
  uint32_t lease_ms = 5000;
  uint32_t heartbeat_ms = 1000;
  // The node's budget in load units (a participant costs 1, a room room_units more for its
  // compose and encodes); 0: 22 per CPU core, from the capacity table (docs/performance.md:
  // a 2-core node holds four nine-party rooms: 4 x (9 + 2) = 44).
  uint32_t capacity_units = 0;
  uint32_t room_units = 2;
  // The hardware backend this node decodes and encodes with ("cpu", "cuda", "qsv"): told to the
  // directory for operators; filled in by the app.
  std::string backend = "cpu";
};

}  // namespace tessera::cluster
