// What a node tells the directory about itself (its heartbeat), and where a new room goes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::cluster {

struct NodeRecord {
  std::string id;
  // A random value each process draws at start: two processes given one id differ in it.
  std::string instance;
  std::string api_url;
  std::string region;
  std::string backend;
  // Where SIP callers are sent (a 302's Contact): "host:port"; empty: no SIP here.
  std::string sip_address;
  uint32_t rooms = 0;
  uint32_t participants = 0;
  double cpu_percent = 0;  // the process's, of one core
  int64_t capacity_units = 0;
  int64_t used_units = 0;
  bool draining = false;
  // Just (re)joined the directory: it takes no room over for a lease and a heartbeat (live
  // nodes' leases may have lapsed meanwhile), so the others do not count on it for orphans.
  bool settling = false;
  int64_t heartbeat_unix_ms = 0;

  int64_t free_units() const { return capacity_units - used_units; }
};

// JSON text, as stored in Redis.
std::string SerializeNodeRecord(const NodeRecord& node);
// Another node's heartbeat as Redis holds it: nullopt for anything but a JSON object with a
// non-empty string id and api_url (missing numbers are 0). Fuzzed (tests/fuzz).
std::optional<NodeRecord> ParseNodeRecord(std::string_view json);

// The node a new room of `region` goes to: of the nodes in that region that do not drain, the
// one with the most free units; ties go to the smallest id (every node chooses alike).
// nullopt: no such node.
std::optional<NodeRecord> ChooseNode(const std::vector<NodeRecord>& nodes,
                                     const std::string& region);

}  // namespace tessera::cluster
