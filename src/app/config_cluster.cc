#include "app/config_cluster.h"

#include <unistd.h>

#include <array>

namespace tessera::app {

void ParseCluster(Checker& c, const YAML::Node& n, cluster::ClusterConfig& out) {
  const std::string p = "cluster";
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map with redis (host:port)");
    return;
  }
  c.OnlyKeys(
      n, p,
      {"redis", "redis_password_file", "key_prefix", "node_id", "region", "api_url", "sip_address",
       "media_address", "lease_ms", "heartbeat_ms", "capacity_units", "room_units"});
  out.enabled = true;
  std::string redis = out.redis_host + ":" + std::to_string(out.redis_port);
  c.String(n, p, "redis", redis);
  const size_t colon = redis.rfind(':');
  const std::string port = colon == std::string::npos ? "" : redis.substr(colon + 1);
  uint64_t port_value = 0;
  if (colon == std::string::npos || colon == 0 || !Checker::ParseUnsigned(port, port_value) ||
      port_value < 1 || port_value > 65535) {
    c.Error(n["redis"], p + ".redis", "must be host:port, got '" + redis + "'");
  } else {
    out.redis_host = redis.substr(0, colon);
    out.redis_port = static_cast<uint16_t>(port_value);
  }
  c.String(n, p, "redis_password_file", out.redis_password_file);
  c.String(n, p, "key_prefix", out.key_prefix);
  c.String(n, p, "node_id", out.node_id);
  c.String(n, p, "region", out.region);
  if (out.region.empty()) c.Error(n["region"], p + ".region", "must not be empty");
  c.String(n, p, "api_url", out.api_url);
  if (!out.api_url.empty() && !out.api_url.starts_with("http://") &&
      !out.api_url.starts_with("https://")) {
    c.Error(n["api_url"], p + ".api_url",
            "must be http://host:port or https://host:port, got '" + out.api_url + "'");
  }
  c.String(n, p, "sip_address", out.sip_address);
  if (!out.sip_address.empty() &&
      (out.sip_address.find(':') == std::string::npos || out.sip_address.back() == ':')) {
    c.Error(
        n["sip_address"], p + ".sip_address",
        "must be host:port (where callers reach this node's SIP), got '" + out.sip_address + "'");
  }
  c.String(n, p, "media_address", out.media_address);
  c.Unsigned(n, p, "lease_ms", out.lease_ms, 1000, 600000);
  c.Unsigned(n, p, "heartbeat_ms", out.heartbeat_ms, 100, 60000);
  if (out.heartbeat_ms * 2 > out.lease_ms) {
    c.Error(n["heartbeat_ms"].IsDefined() ? n["heartbeat_ms"] : n, p + ".heartbeat_ms",
            "must be at most half of lease_ms (" + std::to_string(out.lease_ms) +
                "): a lease must survive one missed heartbeat");
  }
  c.Unsigned(n, p, "capacity_units", out.capacity_units, 0, 1000000);
  c.Unsigned(n, p, "room_units", out.room_units, 0, 1000);
  for (const char ch : out.node_id) {
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f) {
      c.Error(n["node_id"], p + ".node_id", "must not contain spaces or control characters");
      break;
    }
  }
}

void CompleteCluster(Checker& c, const YAML::Node& n, const control::ControlConfig& control,
                     const SipConfig& sip, cluster::ClusterConfig& out) {
  if (!out.enabled) return;
  if (out.sip_address.empty() && sip.enabled) {
    for (const SipListenConfig& l : sip.listen) {
      if (l.port == 0 || l.address == "0.0.0.0" || l.address == "::" || l.address.empty()) continue;
      const bool v6 = l.address.find(':') != std::string::npos;
      out.sip_address = (v6 ? "[" + l.address + "]" : l.address) + ":" + std::to_string(l.port);
      if (l.transport != "udp") out.sip_address += ";transport=" + l.transport;
      break;
    }
  }
  if (!control.enabled) {
    c.Error(n, "cluster",
            "needs the control block (enabled: true): nodes send clients to each other through "
            "the HTTP API");
    return;
  }
  if (out.api_url.empty()) {
    const std::string& host = control.listen_address;
    if (host == "0.0.0.0" || host == "::" || host.empty()) {
      c.Error(n, "cluster.api_url",
              "is required when control.listen_address is a wildcard (" + host +
                  "): the address clients reach this node's API at");
      return;
    }
    const bool v6 = host.find(':') != std::string::npos;
    out.api_url = std::string(control.tls_cert_file.empty() ? "http://" : "https://") +
                  (v6 ? "[" + host + "]" : host) + ":" + std::to_string(control.port);
  }
  if (out.node_id.empty()) {
    std::array<char, 256> name{};
    if (gethostname(name.data(), name.size() - 1) != 0) name[0] = '\0';
    out.node_id = std::string(name.data()) + "/" + control.listen_address + ":" +
                  std::to_string(control.port);
  }
}

}  // namespace tessera::app
