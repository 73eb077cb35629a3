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

// POST on /whip/{room} or /whep/{room} (resource false), PATCH or DELETE on .../{id} (resource
// true), or an OPTIONS with a token (the preflight with the TURN servers' Link headers), for
// `who`, already authorised for the room. `methods`: the route's. `webrtc` null: 503.
HttpResponse ServeWebRtc(WebRtcControl* webrtc, bool view, bool resource,
                         const HttpRequest& request, const Principal& who,
                         const std::vector<std::string>& params,
                         const std::vector<std::string>& methods);

// One Link header per TURN server (RFC 9725 4.6): rel="ice-server" with its credentials.
void AddIceServerLinks(HttpResponse& r, const std::vector<WebRtcIceServer>& servers);

// GET /join/{room} (the page that publishes and views through WHIP and WHEP) and GET /console
// (the operator's page): a compiled-in page, text/html, loading nothing from elsewhere.
HttpResponse ServePage(std::string_view page);

}  // namespace tessera::control
