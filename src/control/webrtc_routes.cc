#include "control/webrtc_routes.h"

#include <spdlog/spdlog.h>
#include <tessera/base/percent.h>
#include <tessera/control/problem.h>

#include <algorithm>
#include <cctype>

namespace tessera::control {
namespace {

// A Content-Type's media type, lower case, without parameters or spaces.
std::string MediaType(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  t.erase(std::remove_if(t.begin(), t.end(), [](unsigned char c) { return std::isspace(c); }),
          t.end());
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  return t;
}

bool IsSdp(const std::string& content_type) { return MediaType(content_type) == "application/sdp"; }

// What a refused offer answers: 406 when nothing in it can be served (the WHIP spec's "not
// acceptable"), 400 when it is not an offer Tessera can read, else as every API error.
HttpResponse OfferProblem(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return Problem(400, "bad-offer", "Offer refused", s.message());
    case StatusCode::kFailedPrecondition:
      return Problem(406, "offer-not-acceptable", "Offer not acceptable", s.message());
    case StatusCode::kResourceExhausted:
      return Problem(503, "room-full", "Room full", s.message());
    default:
      return ProblemFromStatus(s);
  }
}

bool IsTrickleFragment(const std::string& content_type) {
  return MediaType(content_type) == "application/trickle-ice-sdpfrag";
}

// PATCH on a WHIP/WHEP resource (RFC 9725 4.3): trickled candidates (204) or an ICE restart (200
// with the answer fragment and a new ETag). The client says which version it patches: If-Match
// with the ETag, or "*" for a restart.
HttpResponse PatchResource(WebRtcControl& webrtc, bool view, const HttpRequest& request,
                           const std::vector<std::string>& params) {
  if (!IsTrickleFragment(request.Header("content-type"))) {
    return Problem(415, "unsupported-media-type", "Unsupported media type",
                   "a PATCH carries application/trickle-ice-sdpfrag");
  }
  const std::string& if_match = request.Header("if-match");
  if (if_match.empty()) {
    return Problem(428, "precondition-required", "Precondition required",
                   "a PATCH says which version it changes: If-Match with the ETag, or * for an "
                   "ICE restart");
  }
  auto answer = webrtc.Patch(view, params[0], params[1], if_match, request.body);
  if (!answer.ok()) {
    switch (answer.status().code()) {
      case StatusCode::kFailedPrecondition:
        return Problem(412, "precondition-failed", "Precondition failed",
                       answer.status().message());
      case StatusCode::kInvalidArgument:
        return Problem(400, "bad-fragment", "Fragment refused", answer.status().message());
      default:
        return ProblemFromStatus(answer.status());
    }
  }
  HttpResponse r;
  if (!answer->restarted) {
    r.status = 204;
    r.content_type.clear();
    return r;
  }
  r.content_type = "application/trickle-ice-sdpfrag";
  r.body = answer->fragment;
  r.headers.emplace_back("ETag", answer->etag);
  return r;
}

}  // namespace

void AddCors(HttpResponse& r) {
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  r.headers.emplace_back("Access-Control-Expose-Headers", "Location, ETag, Link");
}

HttpResponse CorsPreflight(const std::vector<std::string>& methods) {
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  std::string allow;
  for (const std::string& m : methods) allow += (allow.empty() ? "" : ", ") + m;
  r.headers.emplace_back("Access-Control-Allow-Methods", allow);
  r.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
  r.headers.emplace_back("Access-Control-Max-Age", "600");
  r.headers.emplace_back("Allow", allow);
  return r;
}

void AddIceServerLinks(HttpResponse& r, const std::vector<WebRtcIceServer>& servers) {
  for (const WebRtcIceServer& s : servers) {
    r.headers.emplace_back("Link", "<" + s.url + ">; rel=\"ice-server\"; username=\"" + s.username +
                                       "\"; credential=\"" + s.credential +
                                       "\"; credential-type=\"password\"");
  }
}

HttpResponse ServeWebRtc(WebRtcControl* webrtc, bool view, bool resource,
                         const HttpRequest& request, const Principal& who,
                         const std::vector<std::string>& params,
                         const std::vector<std::string>& methods) {
  if (request.method == "OPTIONS") {
    HttpResponse r = CorsPreflight(methods);
    if (webrtc && !resource) AddIceServerLinks(r, webrtc->IceServers());
    return r;
  }
  if (!webrtc) {
    return Problem(503, "unavailable", "Unavailable", "WebRTC is not enabled on this node");
  }
  const std::string& room = params[0];
  const char* kind = view ? "whep" : "whip";
  if (resource && request.method == "PATCH") return PatchResource(*webrtc, view, request, params);
  if (resource) {
    Status s = webrtc->Close(view, room, params[1]);
    if (!s.ok()) return ProblemFromStatus(s);
    HttpResponse r;
    r.content_type.clear();
    return r;
  }
  if (!IsSdp(request.Header("content-type"))) {
    return Problem(415, "unsupported-media-type", "Unsupported media type",
                   "an offer is sent as application/sdp");
  }
  // A participant's or viewer's token names one person: without a subject, every offer would
  // be a new participant and one token could fill the room.
  if (who.subject.empty() && (who.role == Role::kParticipant || who.role == Role::kViewer)) {
    return Problem(403, "forbidden", "Forbidden",
                   "a participant's or viewer's token must name the participant (sub)");
  }
  // The join page's checkbox: ?consent=granted (or declined); nothing: unknown.
  std::string consent = QueryValue(request.query, "consent");
  if (consent.empty()) consent = "unknown";
  if (consent != "unknown" && consent != "granted" && consent != "declined") {
    return Problem(400, "bad-request", "Bad request",
                   "consent must be granted, declined or unknown");
  }
  WebRtcOpenRequest open;
  open.consent = consent;
  open.view = view;
  open.room = room;
  open.offer_sdp = request.body;
  open.name = who.subject;
  open.source_address = request.source_address;
  auto answer = webrtc->Open(open);
  if (!answer.ok()) {
    spdlog::info("api: {} offer for room {} from {} refused: {}", kind, room,
                 request.source_address, answer.status().message());
    return OfferProblem(answer.status());
  }
  HttpResponse r;
  r.status = 201;
  r.content_type = "application/sdp";
  r.body = answer->answer_sdp;
  r.headers.emplace_back(
      "Location", std::string("/") + kind + "/" + PercentEncodeSegment(room) + "/" + answer->id);
  r.headers.emplace_back("ETag", answer->etag);
  AddIceServerLinks(r, webrtc->IceServers());
  return r;
}

HttpResponse ServePage(std::string_view page) {
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::string(page);
  // The page holds no secret and loads nothing from elsewhere; the token stays in its fragment.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; script-src 'unsafe-inline'; style-src "
                         "'unsafe-inline'; media-src 'self' blob: mediastream:; img-src 'self' "
                         "data:; connect-src 'self'; frame-ancestors 'none'");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace tessera::control
