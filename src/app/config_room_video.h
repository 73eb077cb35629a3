// Parsing of a room's `video` section and of a room participant's `video` (private to the
// config parser).
#pragma once

#include "app/config.h"
#include "app/config_checker.h"

namespace tessera::app {

void ParseRoomVideo(Checker& c, const YAML::Node& n, const std::string& path, RoomVideoConfig& v);
void ParseParticipantVideo(Checker& c, const YAML::Node& n, const std::string& path,
                           RoomParticipantVideoConfig& v);
// Cross-checks a room once parsed: profiles named by participants and the recorder exist, and
// the initial layout is known.
void CheckRoomVideo(Checker& c, const YAML::Node& room_node, const std::string& path,
                    const RoomConfig& room);

}  // namespace tessera::app
