// The plan of the load generator's API mode: participants it added to a room through Tessera's
// API (each on the node that took it, a cascaded room's primary or a share), one measured
// composite per node. The primary's composite is the room; each other node's copy of it (a share
// forwards the primary's composite to its participants) is a mirror room of the plan, with the
// same tiles. Every tile's group is the node its participant joined.
#pragma once

#include <tessera/base/status.h>

#include <cstdint>
#include <string>
#include <vector>

#include "loadgen/api_client.h"
#include "loadgen/load_plan.h"

namespace tessera::loadgen {

// One participant the load generator added.
struct ApiParticipant {
  std::string name;
  JoinResult joined;
  uint16_t receive_port = 0;  // its composite (video.remote_rtp_port) and RTCP for its camera
};

struct ApiPlanOptions {
  std::string room;
  std::string primary;  // origin of the node the room was asked of (http://host:port)
  ApiRoomVideo video;
  mixer::FitPolicy fit = mixer::FitPolicy::kCrop;
  int border_px = 0;
  int clip_width = 640;
  int clip_height = 360;
  rtp::Codec input_codec = rtp::Codec::kH264;
  std::string local_address = "127.0.0.1";  // where the load generator's sockets are bound
};

// "127.0.0.2:8081" for "http://127.0.0.2:8081": how a node is named in the results.
std::string NodeLabel(const std::string& origin);

// The body of POST /v1/rooms/<room>/participants for a video-only participant receiving
// `profile` on receive_port.
std::string ParticipantBody(const std::string& name, const std::string& codec,
                            const std::string& profile, uint16_t receive_port);

// The plan: room 0 "<room>@<primary>" holds every participant (tile: its place in tile_order,
// group: the node it joined) and decodes the composite of the first one that joined the
// primary; rooms 1.. mirror it, one per other node, each decoded from the first participant that
// joined there. Participants are listed taking the nodes in turn (the engine phases its senders
// in plan order). InvalidArgument when a participant is not in tile_order, or the layout is not a
// grid (only a grid's tiles can be read back from the order alone).
StatusOr<LoadPlan> PlanFromApi(const ApiPlanOptions& options,
                               const std::vector<std::string>& tile_order,
                               const std::vector<ApiParticipant>& participants);

}  // namespace tessera::loadgen
