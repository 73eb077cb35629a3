// Address membership in CIDR blocks (SIP trunk allow-lists, and any front end's source checks).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>
#include <vector>

namespace tessera::net {

// True when `address` (an IPv4 or IPv6 literal; an IPv4-mapped IPv6 address counts as its IPv4
// address) lies in one of `networks`: CIDR blocks ("10.0.0.0/8", "2001:db8::/32") or single
// addresses. IPv4 networks match IPv4 sources only and IPv6 networks IPv6 sources only, so
// "::/0" does not admit IPv4 callers. Bits past the prefix are ignored ("10.1.2.3/8" is
// 10.0.0.0/8). An address or network that does not parse matches nothing.
// Runs on: any thread (pure).
bool AddressInNetworks(const std::string& address, const std::vector<std::string>& networks);

// True when `network` is a CIDR block or an address that AddressInNetworks understands.
bool IsValidNetwork(const std::string& network);

// What per-source limits (connections, request rates) count by: an IPv4 address (also one that
// arrives IPv4-mapped on a dual-stack listener), or the /64 of an IPv6 address (one site, as one
// IPv4 address behind NAT is; a client cannot dodge a limit by walking its /64).
std::string ConnectionSourceKey(const boost::asio::ip::address& address);

}  // namespace tessera::net
