#include <tessera/cluster/node_record.h>

#include <limits>
#include <nlohmann/json.hpp>

namespace tessera::cluster {
namespace {

template <typename T>
T Number(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return T{};
  const double v = it->get<double>();
  // Out of the type's range (or NaN): 0, never undefined behaviour in the cast.
  if (!(v >= static_cast<double>(std::numeric_limits<T>::lowest()) &&
        v < static_cast<double>(std::numeric_limits<T>::max()))) {
    return T{};
  }
  return static_cast<T>(v);
}

std::string Text(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string SerializeNodeRecord(const NodeRecord& n) {
  const nlohmann::json j = {{"id", n.id},
                            {"instance", n.instance},
                            {"api_url", n.api_url},
                            {"region", n.region},
                            {"backend", n.backend},
                            {"sip_address", n.sip_address},
                            {"rooms", n.rooms},
                            {"participants", n.participants},
                            {"cpu_percent", n.cpu_percent},
                            {"capacity_units", n.capacity_units},
                            {"used_units", n.used_units},
                            {"draining", n.draining},
                            {"settling", n.settling},
                            {"heartbeat_unix_ms", n.heartbeat_unix_ms}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<NodeRecord> ParseNodeRecord(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  NodeRecord n;
  n.id = Text(j, "id");
  n.api_url = Text(j, "api_url");
  if (n.id.empty() || n.api_url.empty()) return std::nullopt;
  n.instance = Text(j, "instance");
  n.region = Text(j, "region");
  n.backend = Text(j, "backend");
  n.sip_address = Text(j, "sip_address");
  n.rooms = Number<uint32_t>(j, "rooms");
  n.participants = Number<uint32_t>(j, "participants");
  n.cpu_percent = Number<double>(j, "cpu_percent");
  n.capacity_units = Number<int64_t>(j, "capacity_units");
  n.used_units = Number<int64_t>(j, "used_units");
  const auto d = j.find("draining");
  n.draining = d != j.end() && d->is_boolean() && d->get<bool>();
  const auto settling = j.find("settling");
  n.settling = settling != j.end() && settling->is_boolean() && settling->get<bool>();
  n.heartbeat_unix_ms = Number<int64_t>(j, "heartbeat_unix_ms");
  return n;
}

std::optional<NodeRecord> ChooseNode(const std::vector<NodeRecord>& nodes,
                                     const std::string& region) {
  const NodeRecord* best = nullptr;
  for (const NodeRecord& n : nodes) {
    if (n.draining || n.region != region) continue;
    if (!best || n.free_units() > best->free_units() ||
        (n.free_units() == best->free_units() && n.id < best->id)) {
      best = &n;
    }
  }
  if (!best) return std::nullopt;
  return *best;
}

}  // namespace tessera::cluster
