// Parsing of the `control` section.
#include "app/config_control.h"

#include <boost/asio/ip/address.hpp>
#include <cmath>

namespace tessera::app {
namespace {

void Rate(Checker& c, const YAML::Node& n, const std::string& p, const char* key, double& out) {
  const YAML::Node v = n[key];
  if (!v.IsDefined() || v.IsNull()) return;
  double d = 0;
  try {
    d = v.as<double>();
  } catch (const YAML::Exception&) {
    c.Error(v, Checker::Join(p, key), "must be a number, got '" + Checker::Text(v) + "'");
    return;
  }
  if (!std::isfinite(d) || d <= 0 || d > 1e6) {
    c.Error(v, Checker::Join(p, key), "must be above 0 and at most 1000000");
    return;
  }
  out = d;
}

}  // namespace

void ParseControl(Checker& c, const YAML::Node& n, control::ControlConfig& out) {
  const std::string p = "control";
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map");
    return;
  }
  c.OnlyKeys(n, p,
             {"enabled",
              "listen_address",
              "port",
              "tls_cert_file",
              "tls_key_file",
              "allow_plain_http",
              "metrics_port",
              "max_header_bytes",
              "max_body_bytes",
              "max_connections",
              "max_connections_per_source",
              "request_timeout_s",
              "idle_timeout_s",
              "rate_per_second",
              "rate_burst",
              "auth_failure_per_second",
              "auth_failure_burst",
              "keys_file",
              "create_keys_file",
              "issuer",
              "audience",
              "max_token_lifetime_s",
              "drain_grace_s",
              "webhooks",
              "recorder"});
  out.enabled = true;  // a control block turns the API on unless it says enabled: false
  c.Bool(n, p, "enabled", out.enabled);
  c.String(n, p, "listen_address", out.listen_address);
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(out.listen_address, ec);
  if (ec) {
    c.Error(n["listen_address"], p + ".listen_address",
            "must be an IPv4 or IPv6 address, got '" + out.listen_address + "'");
  }
  c.Unsigned(n, p, "port", out.port, 0, 65535);
  c.String(n, p, "tls_cert_file", out.tls_cert_file);
  c.String(n, p, "tls_key_file", out.tls_key_file);
  if (out.tls_cert_file.empty() != out.tls_key_file.empty()) {
    c.Error(n, p + ".tls_cert_file", "tls_cert_file and tls_key_file go together");
  }
  c.Bool(n, p, "allow_plain_http", out.allow_plain_http);
  if (out.enabled && !ec && out.tls_cert_file.empty() && !address.is_loopback() &&
      !out.allow_plain_http) {
    c.Error(n["listen_address"], p + ".listen_address",
            "plain HTTP on " + out.listen_address +
                " would send tokens in the clear: give tls_cert_file and tls_key_file, listen "
                "on a loopback address, or set allow_plain_http: true");
  }
  c.Unsigned(n, p, "metrics_port", out.metrics_port, 0, 65535);
  c.Unsigned(n, p, "max_header_bytes", out.max_header_bytes, 1024, 1 << 20);
  c.Unsigned(n, p, "max_body_bytes", out.max_body_bytes, 1024, 64 << 20);
  c.Unsigned(n, p, "max_connections", out.max_connections, 1, 100000);
  c.Unsigned(n, p, "max_connections_per_source", out.max_connections_per_source, 1, 100000);
  c.Unsigned(n, p, "request_timeout_s", out.request_timeout_s, 1, 3600);
  c.Unsigned(n, p, "idle_timeout_s", out.idle_timeout_s, 1, 86400);
  Rate(c, n, p, "rate_per_second", out.rate_per_second);
  Rate(c, n, p, "rate_burst", out.rate_burst);
  Rate(c, n, p, "auth_failure_per_second", out.auth_failure_per_second);
  Rate(c, n, p, "auth_failure_burst", out.auth_failure_burst);
  c.String(n, p, "keys_file", out.keys_file);
  c.Bool(n, p, "create_keys_file", out.create_keys_file);
  c.String(n, p, "issuer", out.issuer);
  c.String(n, p, "audience", out.audience);
  c.Unsigned(n, p, "max_token_lifetime_s", out.max_token_lifetime_s, 10, 86400);
  c.Unsigned(n, p, "drain_grace_s", out.drain_grace_s, 0, 86400);
  if (const YAML::Node r = n["recorder"]; r.IsDefined()) {
    const std::string rp = p + ".recorder";
    if (!r.IsMap()) {
      c.Error(r, rp, "must be a map with url and token_file");
    } else {
      c.OnlyKeys(r, rp, {"url", "token_file", "ca_file"});
      c.String(r, rp, "url", out.recorder.url);
      c.String(r, rp, "token_file", out.recorder.token_file);
      c.String(r, rp, "ca_file", out.recorder.ca_file);
      if (!out.recorder.url.starts_with("http://") && !out.recorder.url.starts_with("https://")) {
        c.Error(r["url"], rp + ".url", "must start with http:// or https:// (the recorder's API)");
      }
      if (out.recorder.token_file.empty()) {
        c.Error(r, rp + ".token_file",
                "is required (the bearer token this node presents to the recorder)");
      }
    }
  }
  if (const YAML::Node w = n["webhooks"]; w.IsDefined()) {
    if (!w.IsSequence()) {
      c.Error(w, p + ".webhooks", "must be a list");
      return;
    }
    for (size_t i = 0; i < w.size(); ++i) {
      const std::string wp = p + ".webhooks[" + std::to_string(i) + "]";
      if (!w[i].IsMap()) {
        c.Error(w[i], wp, "must be a map with url and secret_file");
        continue;
      }
      c.OnlyKeys(w[i], wp, {"url", "secret_file"});
      control::WebhookConfig hook;
      c.String(w[i], wp, "url", hook.url);
      c.String(w[i], wp, "secret_file", hook.secret_file);
      if (!hook.url.starts_with("http://") && !hook.url.starts_with("https://")) {
        c.Error(w[i]["url"], wp + ".url", "must start with http:// or https://");
      }
      if (hook.secret_file.empty()) {
        c.Error(w[i], wp + ".secret_file", "is required (the HMAC key of the signature)");
      }
      out.webhooks.push_back(std::move(hook));
    }
  }
}

}  // namespace tessera::app
