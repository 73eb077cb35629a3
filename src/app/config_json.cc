// Rooms and participants the HTTP API receives as JSON, checked by the same code and with the
// same messages as the YAML file's: the JSON is turned into the YAML tree it stands for.
#include <tessera/base/status.h>

#include <nlohmann/json.hpp>
#include <set>

#include "app/config.h"
#include "app/config_checker.h"
#include "app/config_hardware.h"
#include "app/config_rooms.h"

namespace tessera::app {
namespace {

constexpr size_t kMaxDepth = 32;

YAML::Node ToYaml(const nlohmann::json& j, size_t depth) {
  if (depth > kMaxDepth) throw std::invalid_argument("nested deeper than 32 levels");
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      YAML::Node n(YAML::NodeType::Map);
      for (const auto& [k, v] : j.items()) n[k] = ToYaml(v, depth + 1);
      return n;
    }
    case nlohmann::json::value_t::array: {
      YAML::Node n(YAML::NodeType::Sequence);
      for (const auto& v : j) n.push_back(ToYaml(v, depth + 1));
      return n;
    }
    case nlohmann::json::value_t::string:
      return YAML::Node(j.get<std::string>());
    case nlohmann::json::value_t::boolean:
      return YAML::Node(j.get<bool>() ? "true" : "false");
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return YAML::Node(j.dump());
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
    case nlohmann::json::value_t::binary:
      break;
  }
  return YAML::Node(YAML::NodeType::Null);
}

StatusOr<YAML::Node> ToYamlObject(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgumentError("body: must be a JSON object");
  try {
    return ToYaml(j, 0);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("body: ") + e.what());
  }
}

// What only the operator's YAML may say: paths on the server (a recording, a font, an SDP file
// for a player). Over the API they would let a token holder write or read where the service
// user can, or reach other hosts through libavformat's URL protocols.
void RefuseServerPaths(Checker& c, const YAML::Node& body, const RoomConfig& room) {
  const std::string reason =
      "is a path on the server: only the YAML configuration may set it, not the API";
  if (room.video) {
    for (const char* key : {"record", "font"}) {
      if (body["video"][key].IsDefined())
        c.Error(body["video"][key], std::string("video.") + key, reason);
    }
  }
  for (size_t k = 0; k < room.participants.size(); ++k) {
    const YAML::Node v = body["participants"][k]["video"];
    if (v.IsDefined() && v.IsMap() && v["sdp_file"].IsDefined()) {
      c.Error(v["sdp_file"], "participants[" + std::to_string(k) + "].video.sdp_file", reason);
    }
  }
}

}  // namespace

StatusOr<RoomConfig> RoomConfigFromJson(const nlohmann::json& j, const HardwareConfig& hardware) {
  auto node = ToYamlObject(j);
  if (!node.ok()) return node.status();
  Checker c("body");
  RoomConfig room;
  try {
    std::set<std::string> names;
    ParseRoom(c, *node, "", room, names);
    RefuseServerPaths(c, *node, room);
    // Names and SIP numbers of the other rooms: the directory checks them (409, not 422).
    CheckRoomHardware(c, *node, "", room, hardware);
  } catch (const YAML::Exception& e) {
    c.Error(YAML::Node(), "<body>", e.what());
  }
  if (!c.ok()) return c.ToStatus();
  return room;
}

StatusOr<RoomParticipantConfig> RoomParticipantFromJson(const nlohmann::json& j) {
  auto node = ToYamlObject(j);
  if (!node.ok()) return node.status();
  Checker c("body");
  RoomParticipantConfig rp;
  try {
    ParseRoomParticipantEntry(c, *node, "", rp);
    if (rp.video && !rp.video->sdp_file.empty()) {
      c.Error((*node)["video"]["sdp_file"], "video.sdp_file",
              "is a path on the server: only the YAML configuration may set it, not the API");
    }
  } catch (const YAML::Exception& e) {
    c.Error(YAML::Node(), "<body>", e.what());
  }
  if (!c.ok()) return c.ToStatus();
  return rp;
}

}  // namespace tessera::app
