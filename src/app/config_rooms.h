// Parsing of the `rooms` section of the configuration (private to config.cc).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/config_checker.h"

namespace tessera::app {

void ParseRooms(Checker& c, const YAML::Node& n, std::vector<RoomConfig>& rooms);
// One room (a map) at `p` ("" for a room on its own, as the API sends it); participant names
// are collected into `participant_names` and must be new there.
void ParseRoom(Checker& c, const YAML::Node& r, const std::string& p, RoomConfig& room,
               std::set<std::string>& participant_names);
// One entry of a room's participants list.
void ParseRoomParticipantEntry(Checker& c, const YAML::Node& n, const std::string& p,
                               RoomParticipantConfig& rp);
// Shared with the participants section.
void ParseSrtp(Checker& c, const YAML::Node& n, const std::string& path, SrtpConfig& out);

}  // namespace tessera::app
