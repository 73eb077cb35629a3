// Arbitrary bytes as another node's heartbeat read from Redis (ParseNodeRecord), and a
// placement over it. Besides not crashing: a record that parses has an id and an api_url, its
// JSON parses back to the same record, and a node chosen is one of the candidates.
#include <tessera/cluster/node_record.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tessera::cluster::NodeRecord;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::optional<NodeRecord> n = tessera::cluster::ParseNodeRecord(text);
  if (!n) return 0;
  if (n->id.empty() || n->api_url.empty()) abort();
  const std::optional<NodeRecord> again =
      tessera::cluster::ParseNodeRecord(tessera::cluster::SerializeNodeRecord(*n));
  if (!again || again->id != n->id || again->api_url != n->api_url ||
      again->used_units != n->used_units || again->capacity_units != n->capacity_units ||
      again->draining != n->draining) {
    abort();
  }
  NodeRecord other = *n;
  other.id += "-2";
  other.used_units = 0;
  const std::vector<NodeRecord> nodes = {*n, other};
  if (const auto chosen = tessera::cluster::ChooseNode(nodes, n->region)) {
    if (chosen->id != n->id && chosen->id != other.id) abort();
    if (chosen->draining) abort();
  }
  return 0;
}
