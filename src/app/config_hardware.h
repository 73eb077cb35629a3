// Parsing of the top-level `hardware` block and of a room's `video.hardware` backend order
// (private to the config parser).
#pragma once

#include <string>
#include <vector>

#include "app/config.h"
#include "app/config_checker.h"

namespace tessera::app {

void ParseHardware(Checker& c, const YAML::Node& n, HardwareConfig& out);
// "auto", or a list of cpu, cuda, qsv: no duplicates, cpu (if named) last, at least one.
void ParseBackendOrder(Checker& c, const YAML::Node& n, const std::string& path,
                       std::vector<codec::HwBackend>& out);
// A room may not pick its own backends while every room is required to run on one.
void CheckRoomHardware(Checker& c, const YAML::Node& room_node, const std::string& path,
                       const RoomConfig& room, const HardwareConfig& hardware);

}  // namespace tessera::app
