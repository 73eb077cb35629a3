#include "loadgen/api_plan.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace tessera::loadgen {

std::string NodeLabel(const std::string& origin) {
  constexpr std::string_view kScheme = "http://";
  return origin.starts_with(kScheme) ? origin.substr(kScheme.size()) : origin;
}

std::string ParticipantBody(const std::string& name, const std::string& codec,
                            const std::string& profile, uint16_t receive_port) {
  const nlohmann::json body = {
      {"name", name},
      {"video", {{"codec", codec}, {"profile", profile}, {"remote_rtp_port", receive_port}}}};
  return body.dump();
}

StatusOr<LoadPlan> PlanFromApi(const ApiPlanOptions& o, const std::vector<std::string>& tile_order,
                               const std::vector<ApiParticipant>& participants) {
  if (o.video.layout != "grid") {
    return InvalidArgumentError("the room's layout is " + o.video.layout +
                                ": the API mode reads the tiles of a grid only");
  }
  const auto composite_codec = rtp::CodecFromName(o.video.codec);
  if (!composite_codec) return InvalidArgumentError("unknown composite codec " + o.video.codec);
  LoadPlan plan;
  plan.server_address = o.local_address;

  // The nodes, the primary first, then in order of first join.
  std::vector<std::string> nodes = {o.primary};
  for (const auto& p : participants) {
    if (std::find(nodes.begin(), nodes.end(), p.joined.node) == nodes.end()) {
      nodes.push_back(p.joined.node);
    }
  }

  PlannedRoom room;
  room.name = o.room + "@" + NodeLabel(o.primary);
  room.layout.spec.kind = mixer::LayoutKind::kAutoGrid;
  room.layout.spec.fit = o.fit;
  room.layout.spec.border_px = o.border_px;
  // Every tile shows a clip_width x clip_height picture: a cell of a share's square grid keeps
  // the picture's aspect ratio, so the primary crops it as it would the picture itself.
  for (size_t t = 0; t < tile_order.size(); ++t) {
    room.layout.inputs.push_back(
        {static_cast<uint32_t>(t + 1), o.clip_width, o.clip_height, std::string()});
    room.tile_groups.push_back("");
  }
  // The engine spreads its senders' phases over the frame period in plan order: taking the
  // nodes in turn gives each node's inputs phases over the whole period, so the latency by
  // joining node is not one node's inputs landing just before the compose tick and another's
  // just after it.
  std::vector<size_t> rank(participants.size());
  std::vector<size_t> node_of(participants.size());
  std::vector<size_t> per_node(nodes.size(), 0);
  for (size_t i = 0; i < participants.size(); ++i) {
    node_of[i] = static_cast<size_t>(
        std::find(nodes.begin(), nodes.end(), participants[i].joined.node) - nodes.begin());
    rank[i] = per_node[node_of[i]]++;
  }
  std::vector<size_t> in_turn(participants.size());
  for (size_t i = 0; i < in_turn.size(); ++i) in_turn[i] = i;
  std::stable_sort(in_turn.begin(), in_turn.end(), [&](size_t a, size_t b) {
    return std::make_pair(rank[a], node_of[a]) < std::make_pair(rank[b], node_of[b]);
  });
  std::vector<bool> viewer_at(nodes.size(), false);
  for (const size_t i : in_turn) {
    const ApiParticipant& ap = participants[i];
    const auto at = std::find(tile_order.begin(), tile_order.end(), ap.name);
    if (at == tile_order.end()) {
      return InvalidArgumentError("participant " + ap.name + " is not a tile of the composite");
    }
    const size_t node = node_of[i];
    PlannedParticipant p;
    p.name = ap.name;
    p.tile = static_cast<int>(at - tile_order.begin());
    room.tile_groups[static_cast<size_t>(p.tile)] = NodeLabel(ap.joined.node);
    p.sends_video = true;
    p.video_codec = o.input_codec;
    p.video_payload_type = o.input_codec == rtp::Codec::kVp8 ? 97 : 96;
    p.server_video_port = ap.joined.video_port;
    p.receive_video_port = ap.receive_port;
    p.server_address = ap.joined.host;
    p.composite_codec = *composite_codec;
    p.composite_payload_type = *composite_codec == rtp::Codec::kVp8 ? 97 : 96;
    p.composite_fps = o.video.fps;
    if (!viewer_at[node]) {
      viewer_at[node] = true;
      p.decode = true;
      p.decode_room = static_cast<int>(node);
    }
    room.participants.push_back(std::move(p));
  }
  // Tiles of participants the load generator did not add: no groups.
  for (auto& g : room.tile_groups) {
    if (g.empty()) g = "others";
  }
  plan.rooms.push_back(std::move(room));
  for (size_t n = 1; n < nodes.size(); ++n) {
    PlannedRoom mirror;
    mirror.name = o.room + "@" + NodeLabel(nodes[n]);
    mirror.layout = plan.rooms[0].layout;
    mirror.tile_groups = plan.rooms[0].tile_groups;
    mirror.mirror_of = 0;
    plan.rooms.push_back(std::move(mirror));
  }
  return plan;
}

}  // namespace tessera::loadgen
