// Parsing of the `webrtc` section: browsers over WHIP and WHEP.
#pragma once

#include <tessera/webrtc/webrtc_service.h>

#include "app/config_checker.h"

namespace tessera::app {

void ParseWebRtc(Checker& c, const YAML::Node& n, webrtc::WebRtcConfig& out);

}  // namespace tessera::app
