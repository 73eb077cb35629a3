#include "app/cluster_glue.h"

#include <spdlog/spdlog.h>

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

 private:
  cluster::ClusterNode& node_;
};

}  // namespace

std::unique_ptr<control::RoomPlacement> MakeRoomPlacement(cluster::ClusterNode& node) {
  return std::make_unique<NodePlacement>(node);
}

cluster::ClusterHooks MakeClusterHooks(session::RoomDirectory& rooms,
                                       control::ControlService& service,
                                       std::function<void(const nlohmann::json&)> events) {
  cluster::ClusterHooks h;
  h.local_rooms = [&rooms] {
    cluster::LocalRooms out;
    for (const session::RoomConfig& r : rooms.ListRooms()) {
      out.names.push_back(r.name);
      if (auto members = rooms.Participants(r.name); members.ok()) {
        out.participants += static_cast<uint32_t>(members->size());
      }
    }
    return out;
  };
  h.create_room = [&service](const nlohmann::json& spec) -> Status {
    auto created = service.CreateRoom(spec);
    return created.ok() ? Status::Ok() : created.status();
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
