#include "app/cluster_glue.h"

#include <spdlog/spdlog.h>
#include <tessera/session/cascade.h>

#include <map>
#include <memory>

namespace tessera::app {
namespace {

class NodePlacement final : public control::RoomPlacement {
 public:
  explicit NodePlacement(cluster::ClusterNode& node) : node_(node) {}
  const std::string& self_id() const override { return node_.id(); }
  StatusOr<control::NodeLocation> Place(const std::string& region) override {
    auto n = node_.Place(region);
    if (!n.ok()) return n.status();
    return control::NodeLocation{n->id, n->api_url};
  }
  Status Claim(const std::string& room, const std::string& region,
               const nlohmann::json& spec) override {
    return node_.Claim(room, region, spec);
  }
  void Release(const std::string& room) override { node_.Release(room); }
  StatusOr<std::optional<control::NodeLocation>> Owner(const std::string& room) override {
    auto n = node_.Owner(room);
    if (!n.ok()) return n.status();
    if (!n->has_value()) return std::optional<control::NodeLocation>();
    return std::optional<control::NodeLocation>(control::NodeLocation{(*n)->id, (*n)->api_url});
  }
  StatusOr<nlohmann::json> Describe() override { return node_.Describe(); }
  StatusOr<control::NodeLocation> PlaceShare(const std::string& room, uint32_t per_node) override {
    auto n = node_.PlaceShare(room, per_node);
    if (!n.ok()) return n.status();
    return control::NodeLocation{n->id, n->api_url};
  }
  StatusOr<nlohmann::json> ShareSpec(const std::string& room, const std::string& primary) override {
    return node_.ShareSpec(room, primary);
  }
  void ShareChanged() override { node_.ShareChanged(); }

 private:
  cluster::ClusterNode& node_;
};

}  // namespace

std::unique_ptr<control::RoomPlacement> MakeRoomPlacement(cluster::ClusterNode& node) {
  return std::make_unique<NodePlacement>(node);
}

namespace {

// A link or uplink of the room: by its name among the members the cluster joined (transport
// "cascade"), never a participant that only has the name.
std::optional<session::RoomMember> LinkNamed(session::RoomDirectory& rooms, const std::string& room,
                                             const std::string& name) {
  auto members = rooms.Participants(room);
  if (!members.ok()) return std::nullopt;
  for (const session::RoomMember& m : *members) {
    if (m.name == name && m.transport == "cascade") return m;
  }
  return std::nullopt;
}

std::string StringOf(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint16_t PortOf(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) return 0;
  const uint64_t v = it->get<uint64_t>();
  return v > 0 && v <= 65535 ? static_cast<uint16_t>(v) : 0;
}

// The cluster thread's own state of the links and uplinks (only it calls these hooks).
struct CascadeState {
  std::map<std::string, session::CascadeLayout> cells;  // "room\nnode" -> applied on the link
  std::map<std::string, std::string> targets;           // "room\nnode" -> where the link sends
  std::map<std::string, std::string> uplinks;           // room -> "uplink id\nthe link it sends to"
};

}  // namespace

cluster::ClusterHooks MakeClusterHooks(session::RoomDirectory& rooms,
                                       control::ControlService& service,
                                       const std::string& media_address,
                                       std::function<void(const nlohmann::json&)> events) {
  cluster::ClusterHooks h;
  auto state = std::make_shared<CascadeState>();
  h.shares = [&rooms, media_address] {
    std::vector<nlohmann::json> out;
    for (const session::RoomConfig& r : rooms.ListRooms()) {
      if (!r.share) continue;
      auto members = rooms.Participants(r.name);
      if (!members.ok()) continue;
      nlohmann::json share = {
          {"room", r.name}, {"primary", r.share->primary}, {"media_address", media_address}};
      uint32_t own = 0;
      for (const session::RoomMember& m : *members) {
        if (m.name == session::kUplinkName && m.transport == "cascade") {
          share["audio_port"] = m.audio_port;
          share["video_port"] = m.video_port;
        } else {
          ++own;
        }
      }
      share["participants"] = own;
      auto cells = rooms.ShareCells(r.name);
      share["layout"] = session::CascadeLayoutJson(cells.ok() ? *cells : session::CascadeLayout{});
      out.push_back(std::move(share));
    }
    return out;
  };
  h.link = [&rooms, media_address, state](const std::string& room, const std::string& node,
                                          const nlohmann::json& share) -> StatusOr<nlohmann::json> {
    const std::optional<session::RoomConfig> config = rooms.FindRoom(room);
    if (!config) return NotFoundError("no room '" + room + "' here");
    const std::string name = session::LinkName(node);
    const std::string address = StringOf(share, "media_address");
    const uint16_t audio_port = PortOf(share, "audio_port");
    const uint16_t video_port = PortOf(share, "video_port");
    if (address.empty() || !audio_port) {
      return InvalidArgumentError("the share's entry has no media address or uplink port");
    }
    const std::string key = room + '\n' + node;
    const std::string target =
        address + ':' + std::to_string(audio_port) + '/' + std::to_string(video_port);
    std::optional<session::RoomMember> link = LinkNamed(rooms, room, name);
    if (link && state->targets[key] != target) {
      // The share was made again (its node restarted, or it was deleted and re-made): its
      // uplink has new ports.
      session::RemoteUpdate to;
      to.address = address;
      to.audio_rtp_port = audio_port;
      to.video_rtp_port = video_port;
      TESSERA_RETURN_IF_ERROR(rooms.UpdateRemote(room, link->id, to));
      spdlog::info("room {}: the link to node {} sends to {} now", room, node, target);
      state->targets[key] = target;
    }
    if (!link) {
      session::JoinOptions options;
      options.transport = "cascade";
      auto joined = rooms.JoinRoom(
          room, session::LinkParticipant(*config, node, address, audio_port, video_port), options);
      if (!joined.ok()) return joined.status();
      spdlog::info("room {}: linked to its share on node {} ({}:{}/{})", room, node, address,
                   audio_port, video_port);
      link = LinkNamed(rooms, room, name);
      if (!link) return InternalError("the link to node " + node + " left at once");
      state->cells.erase(key);
      state->targets[key] = target;
    }
    const auto layout_json = share.find("layout");
    const session::CascadeLayout layout = session::CascadeLayoutFromJson(
        layout_json != share.end() ? *layout_json : nlohmann::json());
    session::CascadeLayout& applied = state->cells[key];
    if (!(applied == layout) || link->cascade_cells.size() != layout.cells.size()) {
      TESSERA_RETURN_IF_ERROR(rooms.SetLinkCells(room, link->id, layout));
      applied = layout;
    }
    return nlohmann::json{{"media_address", media_address},
                          {"audio_port", link->audio_port},
                          {"video_port", link->video_port}};
  };
  h.unlink = [&rooms, state](const std::string& room, const std::string& node) {
    state->cells.erase(room + '\n' + node);
    state->targets.erase(room + '\n' + node);
    if (auto link = LinkNamed(rooms, room, session::LinkName(node))) {
      (void)rooms.LeaveRoom(room, link->id);
    }
  };
  h.uplink = [&rooms, state](const std::string& room, const nlohmann::json& link) {
    std::optional<session::RoomMember> up = LinkNamed(rooms, room, session::kUplinkName);
    if (!up) return;
    // The uplink's id too: a share made again under the same name has a new uplink, on hold.
    const std::string key = std::to_string(up->id) + '\n' + link.dump();
    auto it = state->uplinks.find(room);
    if (it != state->uplinks.end() && it->second == key) return;
    session::RemoteUpdate to;
    to.address = StringOf(link, "media_address");
    to.audio_rtp_port = PortOf(link, "audio_port");
    to.video_rtp_port = PortOf(link, "video_port");
    if (to.address.empty() || !to.audio_rtp_port) return;
    if (Status s = rooms.UpdateRemote(room, up->id, to); !s.ok()) {
      spdlog::warn("room {}: the share's uplink could not be pointed at its primary: {}", room,
                   s.message());
      return;
    }
    spdlog::info("room {}: the share's uplink sends to its primary at {}:{}/{}", room, to.address,
                 to.audio_rtp_port, to.video_rtp_port);
    state->uplinks[room] = key;
  };
  h.end_share = [&service, state](const std::string& room) {
    state->uplinks.erase(room);
    if (Status s = service.DeleteRoom(room); !s.ok()) {
      spdlog::warn("cluster: the share of room {} could not be ended here: {}", room, s.message());
    }
  };
  h.local_rooms = [&rooms] {
    cluster::LocalRooms out;
    for (const session::RoomConfig& r : rooms.ListRooms()) {
      out.names.push_back(r.name);
      if (r.share) out.shares.push_back(r.name);
      if (auto members = rooms.Participants(r.name); members.ok()) {
        out.participants += static_cast<uint32_t>(members->size());
      }
    }
    return out;
  };
  h.create_room = [&service](const nlohmann::json& spec) -> Status {
    // The calls its node had dialled are dialled again from here once the room runs.
    nlohmann::json body = spec;
    nlohmann::json dial_out = nlohmann::json::array();
    if (const auto it = body.find("dial_out"); it != body.end() && it->is_array()) dial_out = *it;
    body.erase("dial_out");
    auto created = service.CreateRoom(body);
    if (!created.ok()) return created.status();
    const std::string room = StringOf(body, "name");
    for (const nlohmann::json& d : dial_out) {
      if (!d.is_object() || !d.contains("uri") || !d["uri"].is_string()) continue;
      nlohmann::json call = {{"room", room}, {"uri", d["uri"]}};
      if (d.contains("name") && d["name"].is_string()) call["name"] = d["name"];
      auto dialled = service.Dial(call);
      if (dialled.ok()) {
        spdlog::info(
            "cluster: room {}: {} dialled again (call {}): its call ended with the "
            "node that ran the room",
            room, d["uri"].get<std::string>(), dialled->value("call_id", ""));
      } else {
        spdlog::warn("cluster: room {}: {} could not be dialled again: {}", room,
                     d["uri"].get<std::string>(), dialled.status().message());
      }
    }
    return Status::Ok();
  };
  h.dial_outs = [&service] {
    std::map<std::string, nlohmann::json> out;
    auto calls = service.ListCalls();
    if (!calls.ok()) return out;
    const auto list = calls->find("calls");
    if (list == calls->end() || !list->is_array()) return out;
    for (const nlohmann::json& c : *list) {
      if (StringOf(c, "direction") != "out" || StringOf(c, "uri").empty()) continue;
      nlohmann::json& room = out[StringOf(c, "room")];
      if (!room.is_array()) room = nlohmann::json::array();
      room.push_back({{"uri", StringOf(c, "uri")}, {"name", StringOf(c, "participant")}});
    }
    return out;
  };
  h.end_room = [&service](const std::string& room) {
    if (Status s = service.DeleteRoom(room); !s.ok()) {
      spdlog::warn("cluster: room {} could not be ended here: {}", room, s.message());
    }
  };
  h.draining = [&rooms] { return rooms.draining(); };
  h.on_event = std::move(events);
  return h;
}

}  // namespace tessera::app
