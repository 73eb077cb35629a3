// The top-level `sip` block and a room's `sip` section: parsing and validation (private to the
// config parser), and the address-in-networks test the SIP user agent runs for trunks.
#pragma once

#include <string>
#include <vector>

#include "app/config.h"
#include "app/config_checker.h"

namespace tessera::app {

// Parses the top-level `sip` block into `out` and sets out.enabled. A null block (`sip:` alone)
// enables SIP with every default. Without `listen`, one UDP listener on 127.0.0.1:5060.
void ParseSip(Checker& c, const YAML::Node& n, SipConfig& out);

// Parses rooms[i].sip (`path` is "rooms[i].sip"): numbers and PIN, each on its own.
void ParseRoomSip(Checker& c, const YAML::Node& n, const std::string& path, RoomSipConfig& out);

// Cross-checks the rooms' SIP numbers once every room is parsed: a number reaches one room only,
// and is not another room's name. `rooms_node` is the `rooms` list the rooms were parsed from.
void CheckRoomSipNumbers(Checker& c, const YAML::Node& rooms_node,
                         const std::vector<RoomConfig>& rooms);

// True when `address` (an IPv4 or IPv6 literal; an IPv4-mapped IPv6 address counts as its IPv4
// address) lies in one of `networks`: CIDR blocks ("10.0.0.0/8", "2001:db8::/32") or single
// addresses. IPv4 networks match IPv4 sources only and IPv6 networks IPv6 sources only, so
// "::/0" does not admit IPv4 callers. Bits past the prefix are ignored ("10.1.2.3/8" is
// 10.0.0.0/8). An address or network that does not parse matches nothing.
// Runs on: any thread (pure).
bool AddressInNetworks(const std::string& address, const std::vector<std::string>& networks);

// True when `network` is a CIDR block or an address that AddressInNetworks understands.
bool IsValidNetwork(const std::string& network);

}  // namespace tessera::app
