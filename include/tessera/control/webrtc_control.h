// What the HTTP API asks of WebRTC: the WHIP and WHEP resources (RFC 9725 and the WHEP draft).
// The app adapts webrtc's WebRtcService to it, so control/ never depends on webrtc/.
#pragma once

#include <tessera/base/status.h>

#include <string>
#include <vector>

namespace tessera::control {

struct WebRtcOpenRequest {
  bool view = false;  // false: WHIP (publish); true: WHEP (view)
  std::string room;
  std::string offer_sdp;
  std::string name;  // the token's subject: the participant's name; empty: one is made up
  std::string source_address;
  // WHIP: the publisher's consent to being recorded (the join page's checkbox: ?consent=granted).
  std::string consent = "unknown";
};

struct WebRtcOpenAnswer {
  std::string id;  // the resource: /whip/{room}/{id} or /whep/{room}/{id}
  std::string answer_sdp;
  std::string etag;
};

struct WebRtcPatchAnswer {
  bool restarted = false;  // false: trickled candidates, taken (204)
  std::string fragment;    // restarted: the answer (application/trickle-ice-sdpfrag)
  std::string etag;        // restarted: the resource's new ETag
};

// A TURN server the browser may relay through (RFC 9725 4.6: a Link header rel="ice-server"),
// with short-lived credentials (the TURN REST API scheme).
struct WebRtcIceServer {
  std::string url;  // turn:host:port?transport=udp
  std::string username;
  std::string credential;
};

// Runs on: the API's thread; each call blocks until the rooms applied it.
// Errors: Unavailable (WebRTC not enabled or the node draining), NotFound (room or resource),
// InvalidArgument (not an offer Tessera can read), FailedPrecondition (nothing in common: the
// message says what the offer had and what Tessera serves), AlreadyExists (name taken),
// ResourceExhausted (room full).
class WebRtcControl {
 public:
  virtual ~WebRtcControl() = default;
  virtual StatusOr<WebRtcOpenAnswer> Open(const WebRtcOpenRequest& request) = 0;
  // DELETE of the resource: the participant leaves. NotFound for a resource of another room or
  // kind (view: a WHEP resource).
  virtual Status Close(bool view, const std::string& room, const std::string& id) = 0;
  // PATCH of the resource with a trickle ICE fragment: candidates, or an ICE restart. Errors:
  // NotFound (as Close), FailedPrecondition (if_match is not the ETag nor "*"), InvalidArgument
  // (not a fragment).
  virtual StatusOr<WebRtcPatchAnswer> Patch(bool view, const std::string& room,
                                            const std::string& id, const std::string& if_match,
                                            const std::string& fragment) = 0;
  // The TURN servers to hand a browser now, each with credentials of its own; none configured:
  // empty.
  virtual std::vector<WebRtcIceServer> IceServers() { return {}; }
};

}  // namespace tessera::control
