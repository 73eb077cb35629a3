// The top-level `sip` block and a room's `sip` section: parsing and validation (private to the
// config parser).
#pragma once

#include <tessera/net/networks.h>

#include <string>
#include <vector>

#include "app/config.h"
#include "app/config_checker.h"

namespace tessera::app {

// Parses the top-level `sip` block into `out` and sets out.enabled. A null block (`sip:` alone)
// enables SIP with every default. Without `listen`, one UDP listener on 127.0.0.1:5060.
void ParseSip(Checker& c, const YAML::Node& n, SipConfig& out);

// Parses `g722_pcm_bits` of the map `n` (at `path`), 14 or 16, into `out`; absent: unchanged.
void ParseG722PcmBits(Checker& c, const YAML::Node& n, const std::string& path,
                      codec::G722Pcm& out);

// Parses rooms[i].sip (`path` is "rooms[i].sip"): numbers and PIN, each on its own.
void ParseRoomSip(Checker& c, const YAML::Node& n, const std::string& path, RoomSipConfig& out);

// Cross-checks the rooms' SIP numbers once every room is parsed: a number reaches one room only,
// and is not another room's name. `rooms_node` is the `rooms` list the rooms were parsed from.
void CheckRoomSipNumbers(Checker& c, const YAML::Node& rooms_node,
                         const std::vector<RoomConfig>& rooms);

}  // namespace tessera::app
