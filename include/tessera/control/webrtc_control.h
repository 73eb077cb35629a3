// What the HTTP API asks of WebRTC: the WHIP and WHEP resources (RFC 9725 and the WHEP draft).
// The app adapts webrtc's WebRtcService to it, so control/ never depends on webrtc/.
#pragma once

#include <tessera/base/status.h>

#include <string>

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
};

}  // namespace tessera::control
