// CIDR blocks and addresses: the trunk allow-lists' membership test.
#include <tessera/net/networks.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <optional>

namespace tessera::net {
namespace {

bool ParsePrefix(const std::string& bits, uint64_t& out) {
  if (bits.empty()) return false;
  out = 0;
  for (char ch : bits) {
    if (ch < '0' || ch > '9') return false;
    out = out * 10 + static_cast<uint64_t>(ch - '0');
  }
  return true;
}

// An address or CIDR block. IPv4 (and IPv4-mapped IPv6) in the first 4 bytes with v4 set.
struct Network {
  bool v4 = false;
  std::array<uint8_t, 16> bytes{};
  unsigned prefix = 0;
};

std::optional<Network> ParseAddress(const std::string& text) {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  Network n;
  n.v4 = a.is_v4() || a.to_v6().is_v4_mapped();
  n.prefix = n.v4 ? 32 : 128;
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), n.bytes.begin());
  } else {
    n.bytes = a.to_v6().to_bytes();
    if (n.v4) std::copy(n.bytes.begin() + 12, n.bytes.end(), n.bytes.begin());
  }
  return n;
}

std::optional<Network> ParseNetwork(const std::string& text) {
  const size_t slash = text.find('/');
  auto n = ParseAddress(text.substr(0, slash));
  if (!n || slash == std::string::npos) return n;
  uint64_t prefix = 0;
  const std::string bits = text.substr(slash + 1);
  if (bits.size() > 3 || !ParsePrefix(bits, prefix)) return std::nullopt;
  // An IPv4-mapped block (::ffff:10.0.0.0/104) is the IPv4 block it maps (10.0.0.0/8).
  if (n->v4 && text.find(':') != std::string::npos) {
    if (prefix < 96) return std::nullopt;
    prefix -= 96;
  }
  if (prefix > (n->v4 ? 32u : 128u)) return std::nullopt;
  n->prefix = static_cast<unsigned>(prefix);
  return n;
}

bool Contains(const Network& net, const Network& addr) {
  if (net.v4 != addr.v4) return false;
  const unsigned whole = net.prefix / 8;
  for (unsigned i = 0; i < whole; ++i) {
    if (net.bytes[i] != addr.bytes[i]) return false;
  }
  const unsigned rest = net.prefix % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (net.bytes[whole] & mask) == (addr.bytes[whole] & mask);
}

}  // namespace

bool IsValidNetwork(const std::string& network) { return ParseNetwork(network).has_value(); }

bool AddressInNetworks(const std::string& address, const std::vector<std::string>& networks) {
  const auto addr = ParseAddress(address);
  if (!addr) return false;
  for (const auto& text : networks) {
    const auto net = ParseNetwork(text);
    if (net && Contains(*net, *addr)) return true;
  }
  return false;
}

std::string ConnectionSourceKey(const boost::asio::ip::address& address) {
  if (!address.is_v6()) return address.to_string();
  const boost::asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  }
  boost::asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), static_cast<unsigned char>(0));
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace tessera::net
