// The WHIP and WHEP resources (RFC 9725; the WHEP draft) and the join page: what the API serves
// for browsers, over a WebRtcControl.
#pragma once

#include <tessera/control/auth.h>
#include <tessera/control/http.h>
#include <tessera/control/webrtc_control.h>

#include <string>
#include <string_view>
#include <vector>

namespace tessera::control {

// CORS for pages served from elsewhere (the WHIP/WHEP specs ask servers to allow them): the
// resources may be called from any origin with a bearer token, never with cookies.
void AddCors(HttpResponse& r);
// The answer to a preflight OPTIONS on a WHIP/WHEP resource.
HttpResponse CorsPreflight(const std::vector<std::string>& methods);

// POST on /whip/{room} or /whep/{room} (resource false) or DELETE on .../{id} (resource true),
// for `who`, already authorised for the room. `webrtc` null: 503.
HttpResponse ServeWebRtc(WebRtcControl* webrtc, bool view, bool resource,
                         const HttpRequest& request, const Principal& who,
                         const std::vector<std::string>& params);

// GET /join/{room}: the page (text/html) that publishes and views through WHIP and WHEP.
HttpResponse ServeJoinPage(std::string_view page);

}  // namespace tessera::control
