// The API in a cluster (placement.h): requests on rooms that run on other nodes are sent there,
// new rooms are placed and leased before they are created.
#include <spdlog/spdlog.h>
#include <tessera/base/metrics.h>
#include <tessera/base/percent.h>
#include <tessera/control/api.h>
#include <tessera/control/problem.h>

#include <string>
#include <string_view>

namespace tessera::control {
namespace {

HttpResponse Redirect(const NodeLocation& to, const std::string& path_and_query,
                      const std::string& detail) {
  std::string base = to.api_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpResponse r = Problem(307, "elsewhere", "Temporary redirect", detail);
  r.headers.emplace_back("Location", base + path_and_query);
  GlobalMetrics().GetCounter("tessera_cluster_redirects_total").Add();
  return r;
}

HttpResponse DirectoryDown(const Status& s) {
  HttpResponse r = Problem(503, "cluster-unavailable", "Cluster directory unavailable",
                           "cannot tell where rooms run: " + s.message());
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

}  // namespace

std::optional<HttpResponse> Api::MakeShare(const HttpRequest& request, const std::string& room) {
  const std::string primary = QueryValue(request.query, "cascade");
  if (service_.HasRoom(room)) {
    if (service_.SharePrimary(room) == primary) return std::nullopt;  // it joins the share
    // The room here is not the share of that primary: a share of its previous primary (the
    // room moved; this one ends within a lease), or the room itself.
    HttpResponse r = Problem(503, "room-moving", "Room moving",
                             "room '" + room + "' runs here, but not as the share of node " +
                                 primary + " the request names: ask the room's node again");
    r.headers.emplace_back("Retry-After", "2");
    return r;
  }
  StatusOr<nlohmann::json> spec = options_.placement->ShareSpec(room, primary);
  if (!spec.ok()) {
    if (spec.status().code() == StatusCode::kUnavailable) return DirectoryDown(spec.status());
    return Problem(409, "not-cascaded", "No share of this room here",
                   "cascade=" + primary + ": " + spec.status().message());
  }
  StatusOr<nlohmann::json> made = service_.CreateShare(*spec, primary);
  if (!made.ok() && made.status().code() != StatusCode::kAlreadyExists) {
    spdlog::warn("room {}: no share of it could be made here: {}", room, made.status().message());
    return ProblemFromStatus(made.status());
  }
  options_.placement->ShareChanged();
  return std::nullopt;
}

std::optional<HttpResponse> Api::CascadeElsewhere(const HttpRequest& request,
                                                  const std::string& room) {
  const uint32_t per_node = service_.CascadePerNode(room);
  if (per_node == 0 || service_.OwnParticipants(room) < per_node) return std::nullopt;
  StatusOr<NodeLocation> to = options_.placement->PlaceShare(room, per_node);
  if (!to.ok()) {
    if (to.status().code() == StatusCode::kUnavailable) return DirectoryDown(to.status());
    HttpResponse r = Problem(503, "room-full", "Room full", to.status().message());
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }
  (void)request;
  return Redirect(*to,
                  "/v1/rooms/" + PercentEncodeSegment(room) + "/participants?cascade=" +
                      PercentEncodeSegment(options_.placement->self_id()),
                  "room '" + room + "' has " + std::to_string(per_node) +
                      " participants on this node: this one joins its share on node " + to->id);
}

std::optional<HttpResponse> Api::Elsewhere(const HttpRequest& request, const std::string& room) {
  if (!options_.placement) return std::nullopt;
  // A participant sent here by a cascaded room's primary joins this node's share of it.
  if (request.method == "POST" && request.path.ends_with("/participants") &&
      !QueryValue(request.query, "cascade").empty() &&
      QueryValue(request.query, "cascade") != options_.placement->self_id()) {
    return MakeShare(request, room);
  }
  if (service_.HasRoom(room)) return std::nullopt;
  StatusOr<std::optional<NodeLocation>> owner = options_.placement->Owner(room);
  if (!owner.ok()) return DirectoryDown(owner.status());
  if (!owner->has_value()) return std::nullopt;  // nowhere: answered here (404)
  const NodeLocation& at = **owner;
  if (at.api_url.empty()) {
    HttpResponse r = Problem(503, "room-moving", "Room moving",
                             "room '" + room + "' ran on node " + at.id +
                                 ", which stopped answering; it moves to another node within "
                                 "seconds: retry");
    r.headers.emplace_back("Retry-After", "2");
    return r;
  }
  const std::string target =
      request.path + (request.query.empty() ? std::string() : "?" + request.query);
  return Redirect(at, target, "room '" + room + "' runs on node " + at.id);
}

HttpResponse Api::CreatePlacedRoom(const HttpRequest& request, const nlohmann::json& body) {
  RoomPlacement& placement = *options_.placement;
  const auto name_it = body.find("name");
  const std::string name =
      name_it != body.end() && name_it->is_string() ? name_it->get<std::string>() : "";
  const auto region_it = body.find("region");
  const std::string region = region_it != body.end() && region_it->is_string()
                                 ? region_it->get<std::string>()
                                 : std::string("default");
  auto answer = [&](const StatusOr<nlohmann::json>& created) {
    if (!created.ok()) return ProblemFromStatus(created.status());
    HttpResponse r;
    r.status = 201;
    r.body = created->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    r.headers.emplace_back("Location", "/v1/rooms/" + PercentEncodeSegment(name));
    return r;
  };
  // Without a usable name the room's own checks answer (400), and a room already here its 409.
  if (name.empty() || name.find('/') != std::string::npos || service_.HasRoom(name)) {
    return answer(service_.CreateRoom(body));
  }
  // A client sent here by another node's placement creates it here; anyone else is placed.
  if (QueryValue(request.query, "node") != placement.self_id()) {
    StatusOr<NodeLocation> to = placement.Place(region);
    if (!to.ok()) {
      if (to.status().code() == StatusCode::kResourceExhausted) {
        HttpResponse r = Problem(503, "no-node", "No node for the region", to.status().message());
        r.headers.emplace_back("Retry-After", "5");
        return r;
      }
      if (to.status().code() == StatusCode::kUnavailable) return DirectoryDown(to.status());
      return ProblemFromStatus(to.status());
    }
    if (to->id != placement.self_id()) {
      return Redirect(*to, "/v1/rooms?node=" + PercentEncodeSegment(to->id),
                      "room '" + name + "' is placed on node " + to->id +
                          " (the most free budget in region " + region + ")");
    }
  }
  if (Status claimed = placement.Claim(name, region, body); !claimed.ok()) {
    if (claimed.code() == StatusCode::kUnavailable) return DirectoryDown(claimed);
    return ProblemFromStatus(claimed);
  }
  StatusOr<nlohmann::json> created = service_.CreateRoom(body);
  if (!created.ok()) placement.Release(name);
  return answer(created);
}

}  // namespace tessera::control
