// Parsing of the `rooms` section of the configuration (private to config.cc).
#pragma once

#include <vector>

#include "app/config.h"
#include "app/config_checker.h"

namespace tessera::app {

void ParseRooms(Checker& c, const YAML::Node& n, std::vector<RoomConfig>& rooms);
// Shared with the participants section.
void ParseSrtp(Checker& c, const YAML::Node& n, const std::string& path, SrtpConfig& out);

}  // namespace tessera::app
