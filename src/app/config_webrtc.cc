// Parsing of the `webrtc` section.
#include "app/config_webrtc.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>

namespace tessera::app {
namespace {

void Address(Checker& c, const YAML::Node& n, const std::string& p, const char* key,
             const std::string& value) {
  if (value.empty()) return;
  boost::system::error_code ec;
  boost::asio::ip::make_address(value, ec);
  if (ec) {
    c.Error(n[key], Checker::Join(p, key), "must be an IPv4 or IPv6 address, got '" + value + "'");
  }
}

// webrtc.turn: {urls: [turn:host:port?transport=udp, ...], secret_file, ttl_s}.
void ParseTurn(Checker& c, const YAML::Node& n, webrtc::TurnConfig& out) {
  const std::string p = "webrtc.turn";
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map");
    return;
  }
  c.OnlyKeys(n, p, {"urls", "secret_file", "ttl_s"});
  const YAML::Node urls = n["urls"];
  if (!urls.IsSequence() || urls.size() == 0) {
    c.Error(urls, p + ".urls", "must list the TURN servers' URLs (turn:host:port?transport=udp)");
  } else {
    for (size_t i = 0; i < urls.size(); ++i) {
      const std::string at = p + ".urls[" + std::to_string(i) + "]";
      const std::string u = urls[i].IsScalar() ? urls[i].Scalar() : "";
      const bool scheme = u.starts_with("turn:") || u.starts_with("turns:") ||
                          u.starts_with("stun:") || u.starts_with("stuns:");
      // It goes into a Link header between < and >, and into the browser's configuration:
      // printable ASCII only, and none of the header's own delimiters.
      const bool clean =
          u.find_first_of("<>\",;") == std::string::npos &&
          std::all_of(u.begin(), u.end(), [](unsigned char ch) { return ch > 0x20 && ch < 0x7f; });
      if (!scheme || !clean || u.size() > 256) {
        c.Error(urls[i], at, "must be a turn:, turns:, stun: or stuns: URL, got '" + u + "'");
      } else {
        out.urls.push_back(u);
      }
    }
  }
  c.String(n, p, "secret_file", out.secret_file);
  if (out.secret_file.empty()) {
    c.Error(n["secret_file"], p + ".secret_file",
            "must name the file holding the secret the TURN server shares (static-auth-secret)");
  }
  c.Unsigned(n, p, "ttl_s", out.ttl_s, 60, 7 * 24 * 3600);
}

}  // namespace

void ParseWebRtc(Checker& c, const YAML::Node& n, webrtc::WebRtcConfig& out) {
  const std::string p = "webrtc";
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map");
    return;
  }
  c.OnlyKeys(n, p,
             {"enabled", "bind_address", "udp_port", "tcp", "tcp_port", "announced_address",
              "certificate_file", "key_file", "turn"});
  out.enabled = true;  // a webrtc block turns it on unless it says enabled: false
  c.Bool(n, p, "enabled", out.enabled);
  c.String(n, p, "bind_address", out.bind_address);
  Address(c, n, p, "bind_address", out.bind_address);
  if (out.bind_address.empty()) c.Error(n["bind_address"], p + ".bind_address", "must be given");
  c.Unsigned(n, p, "udp_port", out.udp_port, 0, 65535);
  c.Bool(n, p, "tcp", out.tcp);
  if (n["tcp_port"].IsDefined() && !n["tcp_port"].IsNull()) {
    uint16_t tcp_port = 0;
    c.Unsigned(n, p, "tcp_port", tcp_port, 0, 65535);
    out.tcp_port = tcp_port;
  }
  c.String(n, p, "announced_address", out.announced_address);
  Address(c, n, p, "announced_address", out.announced_address);
  boost::system::error_code ec;
  const auto bind = boost::asio::ip::make_address(out.bind_address, ec);
  if (!ec && bind.is_unspecified() && out.announced_address.empty()) {
    c.Error(n["bind_address"], p + ".announced_address",
            "bind_address " + out.bind_address +
                " is no address a browser can reach: give announced_address (the address "
                "browsers are told)");
  }
  c.String(n, p, "certificate_file", out.certificate_file);
  c.String(n, p, "key_file", out.key_file);
  if (out.certificate_file.empty() != out.key_file.empty()) {
    c.Error(n, p + ".certificate_file", "certificate_file and key_file go together");
  }
  if (const YAML::Node t = n["turn"]; t.IsDefined() && !t.IsNull()) ParseTurn(c, t, out.turn);
}

}  // namespace tessera::app
