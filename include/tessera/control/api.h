// The HTTP API (the contract: docs/openapi.json): routes requests to the ControlService after
// per-source rate limits, bearer-token authentication, roles and room scope, and answers
// RFC 9457 problem details for every refusal. It knows nothing of sockets (http.h).
//
// Per request, in this order: /healthz and /readyz are answered at once (never limited, no
// token); the source's request bucket (429 + Retry-After); unknown path 404, wrong method 405
// with Allow; then, for the routes that need a token, the source's failed-authentication bucket
// (429 without verifying the token once it is empty), the token (401 with WWW-Authenticate; a
// refused token takes one from that bucket), the role (viewer: GET only; participant: nothing)
// and the token's room (403 insufficient_scope); then the body (400 unless a JSON object) and
// the service (its Status mapped by ProblemFromStatus).
//
// Metrics: tessera_api_requests_total{route,method,code} (route: the path's template, e.g.
// "/v1/rooms/{room}"; "unmatched" for unknown paths) and
// tessera_api_rate_limited_total{bucket="requests"|"auth_failures"}.
#pragma once

#include <tessera/control/auth.h>
#include <tessera/control/config.h>
#include <tessera/control/http.h>
#include <tessera/control/placement.h>
#include <tessera/control/recordings.h>
#include <tessera/control/service.h>
#include <tessera/control/webrtc_control.h>
#include <tessera/net/rate_limiter.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::control {

// One API request as the audit trail records it (the app turns it into audit events; control
// does not depend on the audit module).
struct ApiAuditRecord {
  std::string actor;   // the token's subject ("sub"); empty when no token was accepted
  std::string role;    // the token's role; empty likewise
  std::string source;  // the peer's address
  std::string method;
  std::string path;  // as requested, before '?'
  int status = 0;    // the answer's
  // Set when the request's token was missing or refused: why (the 401's reason).
  std::string auth_failure;
};

struct ApiOptions {
  // Per source address: every request but the health checks, and failed authentications.
  net::RateLimit requests{100, 200};
  net::RateLimit auth_failures{1, 10};
  // /readyz: 200 while true; unset: ready unless the directory drains.
  std::function<bool()> ready;
  // /metrics (Prometheus text); unset: GlobalMetrics().ToPrometheusText().
  std::function<std::string()> render_metrics;
  // /v1/openapi.json; empty: the compiled-in docs/openapi.json (OpenApiDocument()).
  std::string_view openapi_json;
  // Clocks, injectable for tests. now_us: monotonic microseconds (the rate limits); now_s: wall
  // clock seconds since the epoch (token expiry). Unset: steady_clock and system_clock.
  std::function<int64_t()> now_us;
  std::function<int64_t()> now_s;
  // GETs of rooms and participants within this many milliseconds of the same GET get the same
  // answer (their live figures are that old at most); any change through the API clears it.
  // 0: every read asks the rooms.
  int64_t live_cache_ms = 200;
  // WHIP and WHEP (/whip/{room}, /whep/{room}); null: they answer 503. Outlives the Api.
  WebRtcControl* webrtc = nullptr;
  // /v1/rooms/{room}/recordings and /v1/erasures; null: 409 (no recorder configured). Outlives
  // the Api.
  RecordingControl* recordings = nullptr;
  // The cluster (placement.h): rooms not here are redirected to their node, new rooms placed;
  // GET /v1/cluster. Null: this node runs alone. Outlives the Api.
  RoomPlacement* placement = nullptr;
  // GET /join/{room}; empty: 404.
  std::string_view join_page;
  // GET /console (the operator's page); empty: 404.
  std::string_view console_page;
  // Called once for every request but /healthz and /readyz, after it is answered, on the API's
  // thread: must not block (queue and return). Unset: nothing.
  std::function<void(const ApiAuditRecord&)> audit;
};

// The rate limits of the `control` block.
ApiOptions ApiOptionsFrom(const ControlConfig& config);

// The compiled-in OpenAPI 3.1 document (docs/openapi.json).
std::string_view OpenApiDocument();

// Runs on: the control io_context thread (the rate limiters are its own, unlocked); the service
// calls block briefly on the RoomDirectory.
class Api : public HttpHandler {
 public:
  // `auth` null: every request that needs a token is refused (401). `service` and `auth`
  // outlive the Api.
  Api(ControlService& service, Authenticator* auth, ApiOptions options);

  HttpResponse Handle(const HttpRequest& request) override;
  // ApiOptions::recordings, for a client that needs the server's io_context: before the server
  // starts.
  void SetRecordings(RecordingControl* recordings) { options_.recordings = recordings; }

  // A path template and what it takes; defined in api.cc (public so that its helpers name it).
  struct Route;

 private:
  // Everything but the metrics: limits, routing, authentication, authorisation.
  HttpResponse Dispatch(const HttpRequest& request, const Route* route,
                        const std::vector<std::string>& params);
  // A route that needs a token, for `who` (authorised for its role and path already);
  // `params` percent-decoded.
  HttpResponse Serve(const Route& route, const HttpRequest& request, const Principal& who,
                     const std::vector<std::string>& params);
  // Serve, with the reads of rooms and participants answered from live_cache_ when fresh.
  HttpResponse ServeCached(const Route& route, const HttpRequest& request, const Principal& who,
                           const std::vector<std::string>& params);
  // /v1/rooms/{room}/recordings (one: .../{id}).
  HttpResponse ServeRecordings(bool one, const std::string& method, const nlohmann::json& body,
                               const Principal& who, const std::vector<std::string>& params);
  // /v1/erasures (one: /v1/erasures/{id}); the admin role only, checked before.
  HttpResponse ServeErasures(bool one, const std::string& method, const nlohmann::json& body,
                             const Principal& who, const std::vector<std::string>& params);
  // With a placement: the 307 (or 503) for a request on a room that runs on another node;
  // nullopt when it is here or nowhere (cluster_routes.cc).
  std::optional<HttpResponse> Elsewhere(const HttpRequest& request, const std::string& room);
  // POST /v1/rooms/{room}/participants with a placement, on a cascaded room's primary that
  // has per_node participants of its own: the 307 to the node of its next share (or a 503);
  // nullopt: it joins here (cluster_routes.cc).
  std::optional<HttpResponse> CascadeElsewhere(const HttpRequest& request, const std::string& room);
  // POST /v1/rooms/{room}/participants?cascade=<primary> here: the share of the room made here
  // when it is not yet; an error answer when it cannot be (cluster_routes.cc).
  std::optional<HttpResponse> MakeShare(const HttpRequest& request, const std::string& room);
  // POST /v1/rooms with a placement: placed, leased, created (cluster_routes.cc).
  HttpResponse CreatePlacedRoom(const HttpRequest& request, const nlohmann::json& body);
  // A 429 for `bucket`, counted; Retry-After from the limiter.
  HttpResponse TooManyRequests(const net::SourceRateLimiter& limiter, const std::string& source,
                               int64_t now_us, const char* bucket);

  ControlService& service_;
  Authenticator* auth_;
  // What Dispatch learnt of the request being handled, for options_.audit: reset per request.
  std::optional<Principal> audit_who_;
  std::string audit_auth_failure_;
  ApiOptions options_;
  net::SourceRateLimiter requests_;
  net::SourceRateLimiter auth_failures_;
  struct CachedRead {
    int64_t at_us = 0;
    HttpResponse response;
  };
  // By path and room scope. Runs on: the API's thread only (no lock).
  std::map<std::string, CachedRead> live_cache_;
};

}  // namespace tessera::control
