// The HTTP API's routing, limits, authentication and authorisation; the operations are the
// ControlService's.
#include <spdlog/spdlog.h>
#include <tessera/base/metrics.h>
#include <tessera/base/percent.h>
#include <tessera/control/api.h>
#include <tessera/control/problem.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "control/api_util.h"
#include "control/webrtc_routes.h"

namespace tessera::control {

enum class RouteId {
  kHealthz,
  kReadyz,
  kOpenApi,
  kMetrics,
  kRooms,
  kRoom,
  kParticipants,
  kParticipant,
  kRecordings,
  kRecording,
  kErasures,
  kErasure,
  kCalls,
  kCall,
  kWhip,
  kWhipResource,
  kWhep,
  kWhepResource,
  kJoin,
  kConsole,
  kCluster,
};

struct Api::Route {
  RouteId id;
  const char* path;  // the template: the metrics' route label
  std::vector<std::string> methods;
  bool limited;  // false: health checks, never rate limited
};

namespace {

const std::vector<Api::Route>& Routes() {
  static const std::vector<Api::Route> kRoutes = {
      {RouteId::kHealthz, "/healthz", {"GET"}, false},
      {RouteId::kReadyz, "/readyz", {"GET"}, false},
      {RouteId::kOpenApi, "/v1/openapi.json", {"GET"}, true},
      {RouteId::kMetrics, "/metrics", {"GET"}, true},
      {RouteId::kRooms, "/v1/rooms", {"GET", "POST"}, true},
      {RouteId::kRoom, "/v1/rooms/{room}", {"GET", "PATCH", "DELETE"}, true},
      {RouteId::kParticipants, "/v1/rooms/{room}/participants", {"GET", "POST"}, true},
      {RouteId::kParticipant,
       "/v1/rooms/{room}/participants/{id}",
       {"GET", "PATCH", "DELETE"},
       true},
      {RouteId::kRecordings, "/v1/rooms/{room}/recordings", {"GET", "POST"}, true},
      {RouteId::kRecording, "/v1/rooms/{room}/recordings/{id}", {"GET", "DELETE"}, true},
      {RouteId::kErasures, "/v1/erasures", {"POST"}, true},
      {RouteId::kErasure, "/v1/erasures/{id}", {"GET"}, true},
      {RouteId::kCalls, "/v1/sip/calls", {"GET", "POST"}, true},
      {RouteId::kCall, "/v1/sip/calls/{call_id}", {"DELETE"}, true},
      {RouteId::kWhip, "/whip/{room}", {"POST", "OPTIONS"}, true},
      {RouteId::kWhipResource, "/whip/{room}/{id}", {"PATCH", "DELETE", "OPTIONS"}, true},
      {RouteId::kWhep, "/whep/{room}", {"POST", "OPTIONS"}, true},
      {RouteId::kWhepResource, "/whep/{room}/{id}", {"PATCH", "DELETE", "OPTIONS"}, true},
      {RouteId::kJoin, "/join/{room}", {"GET"}, true},
      {RouteId::kConsole, "/console", {"GET"}, true},
      {RouteId::kCluster, "/v1/cluster", {"GET"}, true},
  };
  return kRoutes;
}

bool IsWebRtcRoute(RouteId id) {
  return id == RouteId::kWhip || id == RouteId::kWhipResource || id == RouteId::kWhep ||
         id == RouteId::kWhepResource;
}

// "/a/b/c" -> {"a","b","c"}; "/" -> {""}. Empty segments are kept (they match no template).
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  for (;;) {
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// The route whose template the path matches, and its parameters (raw, not yet decoded).
const Api::Route* Match(const std::string& path, std::vector<std::string>& params) {
  const std::vector<std::string_view> got = Segments(path);
  for (const Api::Route& r : Routes()) {
    const std::vector<std::string_view> want = Segments(r.path);
    if (want.size() != got.size()) continue;
    std::vector<std::string> p;
    bool ok = true;
    for (size_t i = 0; i < want.size() && ok; ++i) {
      if (!want[i].empty() && want[i].front() == '{') {
        ok = !got[i].empty();
        p.emplace_back(got[i]);
      } else {
        ok = want[i] == got[i];
      }
    }
    if (ok) {
      params = std::move(p);
      return &r;
    }
  }
  return nullptr;
}

// The {id} of a participant: a decimal uint32.
std::optional<uint32_t> ParseId(const std::string& s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

// The metrics' method label: the methods HTTP defines, else "other" (a client picks the method:
// it must not pick the label's values).
const char* MethodLabel(const std::string& method) {
  static const char* const kKnown[] = {"GET",    "HEAD",    "POST",  "PUT",    "PATCH",
                                       "DELETE", "OPTIONS", "TRACE", "CONNECT"};
  for (const char* m : kKnown) {
    if (method == m) return m;
  }
  return "other";
}

}  // namespace

ApiOptions ApiOptionsFrom(const ControlConfig& config) {
  ApiOptions o;
  o.requests = {config.rate_per_second, config.rate_burst};
  o.auth_failures = {config.auth_failure_per_second, config.auth_failure_burst};
  return o;
}

Api::Api(ControlService& service, Authenticator* auth, ApiOptions options)
    : service_(service),
      auth_(auth),
      options_(std::move(options)),
      requests_(options_.requests),
      auth_failures_(options_.auth_failures) {
  MetricsRegistry& m = GlobalMetrics();
  m.Describe("tessera_api_requests_total",
             "HTTP API requests answered, by route template, method and status code");
  m.Describe("tessera_api_request_duration_seconds",
             "Time from routing an API request to its answer, by route template");
  m.Describe("tessera_api_rate_limited_total",
             "API requests answered 429, by the bucket that was empty (requests, auth_failures)");
  m.Describe("tessera_api_auth_failures_total", "Bearer tokens refused, by reason");
  m.Describe("tessera_api_connections_refused_total",
             "API connections refused over the per-source or total cap");
  m.Describe("tessera_api_timeouts_total",
             "API connections closed for a request not arriving in time or idling");
  m.Describe("tessera_webhook_deliveries_total", "Webhook events delivered, failed or dropped");
  m.Describe("tessera_cluster_redirects_total",
             "API requests answered 307: the room runs on, or is placed on, another node");
  if (!options_.now_us) {
    options_.now_us = [] {
      return std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
  if (!options_.now_s) {
    options_.now_s = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (options_.openapi_json.empty()) options_.openapi_json = OpenApiDocument();
}

HttpResponse Api::Handle(const HttpRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> params;
  const Route* route = Match(request.path, params);
  audit_who_.reset();
  audit_auth_failure_.clear();
  HttpResponse response;
  try {
    response = Dispatch(request, route, params);
    if (route && IsWebRtcRoute(route->id)) AddCors(response);
  } catch (const std::exception& e) {
    // Nothing below throws by design; should something, the client gets a 500, never a crash.
    spdlog::error("api: {} {}: {}", MethodLabel(request.method), route ? route->path : "unmatched",
                  e.what());
    response = Problem(500, "internal", "Internal error", "the request could not be answered");
  }
  GlobalMetrics()
      .GetCounter("tessera_api_requests_total", {{"route", route ? route->path : "unmatched"},
                                                 {"method", MethodLabel(request.method)},
                                                 {"code", std::to_string(response.status)}})
      .Add();
  // From routing to the answer: what the handlers and the rooms cost (the server's own reading
  // and writing are not in it).
  GlobalMetrics()
      .GetHistogram("tessera_api_request_duration_seconds",
                    {{"route", route ? route->path : "unmatched"}}, kDurationBucketsSeconds)
      .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  // Health checks come every few seconds from load balancers, carry no token and change nothing:
  // left out of the audit trail.
  const bool health = route && (route->id == RouteId::kHealthz || route->id == RouteId::kReadyz);
  if (options_.audit && !health) {
    ApiAuditRecord record;
    if (audit_who_) {
      record.actor = audit_who_->subject;
      record.role = RoleName(audit_who_->role);
    }
    record.source = request.source_address;
    record.method = request.method;
    record.path = request.path;
    record.status = response.status;
    record.auth_failure = std::move(audit_auth_failure_);
    options_.audit(record);
  }
  return response;
}

HttpResponse Api::TooManyRequests(const net::SourceRateLimiter& limiter, const std::string& source,
                                  int64_t now_us, const char* bucket) {
  GlobalMetrics().GetCounter("tessera_api_rate_limited_total", {{"bucket", bucket}}).Add();
  // Whole seconds, at least one; a limit that never refills says an hour.
  const double wait = limiter.RetryAfterSeconds(source, now_us);
  const double capped = std::isfinite(wait) ? std::min(wait, 3600.0) : 3600.0;
  const int64_t seconds = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(capped)));
  HttpResponse r = Problem(429, "too-many-requests", "Too many requests",
                           std::string(std::string_view(bucket) == "requests"
                                           ? "too many requests from this address"
                                           : "too many failed authentications from this address") +
                               "; retry in " + std::to_string(seconds) + " s");
  r.headers.emplace_back("Retry-After", std::to_string(seconds));
  return r;
}

HttpResponse Api::Dispatch(const HttpRequest& request, const Route* route,
                           const std::vector<std::string>& raw_params) {
  // Limits count by the /64 of an IPv6 peer: walking its addresses gains a client nothing.
  const std::string& source =
      request.source_key.empty() ? request.source_address : request.source_key;
  const int64_t now_us = options_.now_us();
  if ((!route || route->limited) && !requests_.Allow(source, now_us)) {
    return TooManyRequests(requests_, source, now_us, "requests");
  }
  if (!route) return Problem(404, "not-found", "Not found", "no resource at " + request.path);
  if (std::find(route->methods.begin(), route->methods.end(), request.method) ==
      route->methods.end()) {
    std::string allow;
    for (const std::string& m : route->methods) allow += (allow.empty() ? "" : ", ") + m;
    HttpResponse r = Problem(405, "method-not-allowed", "Method not allowed",
                             "the methods of " + std::string(route->path) + " are " + allow);
    r.headers.emplace_back("Allow", std::move(allow));
    return r;
  }
  std::vector<std::string> params;
  for (const std::string& p : raw_params) {
    std::optional<std::string> decoded = PercentDecode(p);
    if (!decoded) return BadRequest("a broken percent-escape in the path");
    params.push_back(std::move(*decoded));
  }

  // No token needed: health checks and this API's description.
  switch (route->id) {
    case RouteId::kHealthz:
      return Json(200, {{"status", "ok"}});
    case RouteId::kReadyz: {
      const bool ready = options_.ready ? options_.ready() : !service_.draining();
      return ready ? Json(200, {{"status", "ready"}}) : Json(503, {{"status", "draining"}});
    }
    case RouteId::kOpenApi: {
      HttpResponse r;
      r.body = std::string(options_.openapi_json);
      return r;
    }
    case RouteId::kJoin:
      // The page holds no secret: its token comes in the URL's fragment, which no request carries.
      if (options_.join_page.empty()) {
        return Problem(404, "not-found", "Not found", "WebRTC is not enabled on this node");
      }
      return ServePage(options_.join_page);
    case RouteId::kConsole:
      // The operator's page: its token too stays in the fragment.
      if (options_.console_page.empty()) {
        return Problem(404, "not-found", "Not found", "no console on this node");
      }
      return ServePage(options_.console_page);
    default:  // the rest need a token
      break;
  }
  // A browser's preflight carries no token; an OPTIONS with one (RFC 9725 4.6) also learns the
  // TURN servers it may use.
  if (IsWebRtcRoute(route->id) && request.method == "OPTIONS" &&
      request.Header("authorization").empty()) {
    return CorsPreflight(route->methods);
  }

  // Everything else needs a token. A source that failed too often is not even verified.
  if (auth_failures_.RetryAfterSeconds(source, now_us) > 0) {
    return TooManyRequests(auth_failures_, source, now_us, "auth_failures");
  }
  const std::string& authorization = request.Header("authorization");
  if (authorization.empty()) {
    audit_auth_failure_ = "no bearer token";
    return Unauthorized(false, "");
  }
  StatusOr<Principal> who =
      auth_ ? auth_->Authenticate(authorization, options_.now_s())
            : StatusOr<Principal>(UnauthenticatedError("no token is accepted on this node"));
  if (!who.ok()) {
    if (who.status().code() != StatusCode::kUnauthenticated) {
      return ProblemFromStatus(who.status());
    }
    (void)auth_failures_.Allow(source, now_us);  // takes one token: the failure is counted
    audit_auth_failure_ = who.status().message();
    return Unauthorized(true, who.status().message());
  }
  audit_who_ = *who;
  if (IsWebRtcRoute(route->id)) {
    // A browser joins with a participant's token (or an operator's); a viewer's token may watch.
    const bool view = route->id == RouteId::kWhep || route->id == RouteId::kWhepResource;
    if (who->role == Role::kViewer && !view) {
      return Forbidden("the viewer role may only watch (WHEP)");
    }
    if (!who->MayAccessRoom(params[0])) return ForbiddenRoom(*who);
    if (std::optional<HttpResponse> moved = Elsewhere(request, params[0])) return *moved;
    live_cache_.clear();
    return ServeWebRtc(options_.webrtc, view,
                       route->id == RouteId::kWhipResource || route->id == RouteId::kWhepResource,
                       request, *who, params, route->methods);
  }
  if (who->role == Role::kParticipant) {
    return Forbidden("the participant role has no access to this API");
  }
  if (request.method != "GET" && who->role > Role::kOperator) {
    return Forbidden(std::string("the ") + RoleName(who->role) + " role may only read");
  }
  // Erasure reaches every room's recordings and names a person: an admin's, of no one room.
  if (route->id == RouteId::kErasures || route->id == RouteId::kErasure) {
    if (who->role != Role::kAdmin) {
      return Forbidden(std::string("erasure is for the admin role only, not ") +
                       RoleName(who->role));
    }
    if (!who->room.empty()) return ForbiddenRoom(*who);
  }
  const bool has_room = route->id == RouteId::kRoom || route->id == RouteId::kParticipants ||
                        route->id == RouteId::kParticipant || route->id == RouteId::kRecordings ||
                        route->id == RouteId::kRecording;
  if (has_room && !who->MayAccessRoom(params[0])) return ForbiddenRoom(*who);
  if (has_room) {
    if (std::optional<HttpResponse> moved = Elsewhere(request, params[0])) return *moved;
  }
  return ServeCached(*route, request, *who, params);
}

HttpResponse Api::ServeCached(const Route& route, const HttpRequest& request, const Principal& who,
                              const std::vector<std::string>& params) {
  const bool live_read = request.method == "GET" &&
                         (route.id == RouteId::kRooms || route.id == RouteId::kRoom ||
                          route.id == RouteId::kParticipants || route.id == RouteId::kParticipant);
  if (!live_read || options_.live_cache_ms <= 0) {
    HttpResponse r = Serve(route, request, who, params);
    // Anything that may have changed a room: the next read asks the rooms again.
    if (request.method != "GET" && request.method != "HEAD") live_cache_.clear();
    return r;
  }
  // The same read (path and room scope) within live_cache_ms gets the same answer: reading a
  // room's live figures asks every leg on its own thread, and a busy node must not pay that
  // a hundred times a second for one dashboard.
  const int64_t now_us = options_.now_us();
  const std::string key = request.path + '\n' + who.room;
  if (auto it = live_cache_.find(key);
      it != live_cache_.end() && now_us - it->second.at_us < options_.live_cache_ms * 1000) {
    return it->second.response;
  }
  HttpResponse r = Serve(route, request, who, params);
  if (r.status == 200) {
    if (live_cache_.size() >= 1024) live_cache_.clear();  // bounded: paths come from clients
    live_cache_[key] = {now_us, r};
  }
  return r;
}

HttpResponse Api::Serve(const Route& route, const HttpRequest& request, const Principal& who,
                        const std::vector<std::string>& params) {
  const std::string& method = request.method;
  nlohmann::json body;
  if (method == "POST" || method == "PATCH") {
    if (std::optional<HttpResponse> bad = ParseBody(request, body)) return *bad;
  }
  switch (route.id) {
    case RouteId::kMetrics: {
      // The figures name every room and participant: not for a token confined to one room.
      if (!who.room.empty()) return ForbiddenRoom(who);
      HttpResponse r;
      r.content_type = "text/plain; version=0.0.4";
      r.body =
          options_.render_metrics ? options_.render_metrics() : GlobalMetrics().ToPrometheusText();
      return r;
    }
    case RouteId::kRooms: {
      if (method == "GET") {
        auto rooms = service_.ListRooms();
        if (rooms.ok() && !who.room.empty()) {
          (*rooms)["rooms"] = OnlyWhere((*rooms)["rooms"], "name", who.room);
        }
        return Answer(rooms);
      }
      if (!who.room.empty() && StringField(body, "name") != who.room) return ForbiddenRoom(who);
      if (options_.placement) return CreatePlacedRoom(request, body);
      auto created = service_.CreateRoom(body);
      HttpResponse r = Answer(created, 201);
      if (created.ok()) {
        r.headers.emplace_back("Location",
                               "/v1/rooms/" + PercentEncodeSegment(StringField(*created, "name")));
      }
      return r;
    }
    case RouteId::kRoom: {
      const std::string& room = params[0];
      if (method == "GET") return Answer(service_.GetRoom(room));
      if (method == "PATCH") return Answer(service_.UpdateRoom(room, body));
      const Status deleted = service_.DeleteRoom(room);
      if (deleted.ok() && options_.placement) options_.placement->Release(room);
      return Answer(deleted);
    }
    case RouteId::kParticipants: {
      const std::string& room = params[0];
      if (method == "GET") return Answer(service_.ListParticipants(room));
      if (options_.placement) {
        if (std::optional<HttpResponse> r = CascadeElsewhere(request, room)) return *r;
      }
      auto added = service_.AddParticipant(room, body);
      if (added.ok() && options_.placement && service_.IsShare(room)) {
        options_.placement->ShareChanged();
      }
      HttpResponse r = Answer(added, 201);
      if (added.ok() && added->contains("id")) {
        r.headers.emplace_back("Location", "/v1/rooms/" + PercentEncodeSegment(room) +
                                               "/participants/" + (*added)["id"].dump());
      }
      return r;
    }
    case RouteId::kParticipant: {
      const std::string& room = params[0];
      const std::optional<uint32_t> id = ParseId(params[1]);
      if (!id) {
        return Problem(404, "not-found", "Not found",
                       "room '" + room + "' has no participant '" + params[1] + "'");
      }
      if (method == "GET") return Answer(service_.GetParticipant(room, *id));
      if (method == "PATCH") return Answer(service_.UpdateParticipant(room, *id, body));
      return Answer(service_.RemoveParticipant(room, *id));
    }
    case RouteId::kCluster: {
      // Every node and room of the cluster: not for a token confined to one room.
      if (!who.room.empty()) return ForbiddenRoom(who);
      if (!options_.placement) {
        return Problem(404, "not-found", "Not found",
                       "this node runs alone (no cluster block in its config)");
      }
      return Answer(options_.placement->Describe());
    }
    case RouteId::kRecordings:
    case RouteId::kRecording:
      return ServeRecordings(route.id == RouteId::kRecording, method, body, who, params);
    case RouteId::kErasures:
    case RouteId::kErasure:
      return ServeErasures(route.id == RouteId::kErasure, method, body, who, params);
    case RouteId::kCalls: {
      if (method == "GET") {
        auto calls = service_.ListCalls();
        if (calls.ok() && !who.room.empty()) {
          (*calls)["calls"] = OnlyWhere((*calls)["calls"], "room", who.room);
        }
        return Answer(calls);
      }
      if (!who.room.empty() && StringField(body, "room") != who.room) return ForbiddenRoom(who);
      // In a cluster, a room that runs on another node dials from there (307, the same body).
      if (const std::string room = StringField(body, "room"); !room.empty()) {
        if (std::optional<HttpResponse> moved = Elsewhere(request, room)) return *moved;
      }
      return Answer(service_.Dial(body), 201);
    }
    case RouteId::kCall: {
      const std::string& call_id = params[0];
      if (!who.room.empty()) {
        // A room-scoped token hangs up only its room's calls; others' are not its to know of.
        auto calls = service_.ListCalls();
        if (!calls.ok()) return ProblemFromStatus(calls.status());
        const nlohmann::json mine = OnlyWhere((*calls)["calls"], "call_id", call_id);
        if (mine.empty()) return Problem(404, "not-found", "Not found", "no call " + call_id);
        if (StringField(mine[0], "room") != who.room) return ForbiddenRoom(who);
      }
      return Answer(service_.Hangup(call_id));
    }
    case RouteId::kHealthz:
    case RouteId::kReadyz:
    case RouteId::kOpenApi:
    case RouteId::kWhip:
    case RouteId::kWhipResource:
    case RouteId::kWhep:
    case RouteId::kWhepResource:
    case RouteId::kJoin:
    case RouteId::kConsole:
      break;
  }
  return Problem(500, "internal", "Internal error", "no handler for " + std::string(route.path));
}

}  // namespace tessera::control
