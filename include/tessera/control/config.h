// The control plane's configuration: the top-level `control` block of the YAML (docs/operations.md,
// "HTTP API"). Only what the file says; the app fills it and hands it to the control module.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::control {

struct WebhookConfig {
  std::string url;          // http:// or https://
  std::string secret_file;  // HMAC-SHA256 key (the file's bytes, trailing newline stripped)
};

// The recorder tier (recordings.h). No url: this node cannot record through the API.
struct RecorderConfig {
  std::string url;         // http(s)://host:port of tessera-recorder's API
  std::string token_file;  // the bearer token this node presents to it
  std::string ca_file;     // its certificate's CA; empty: the system's
};

struct ControlConfig {
  bool enabled = false;
  std::string listen_address = "127.0.0.1";
  uint16_t port = 8080;
  // Both set: HTTPS only (TLS 1.2+), reloaded on SIGHUP. Neither: plain HTTP, allowed only on a
  // loopback listen_address unless allow_plain_http.
  std::string tls_cert_file;
  std::string tls_key_file;
  bool allow_plain_http = false;
  // Non-zero: /metrics also on this port of listen_address, plain HTTP, without a token.
  uint16_t metrics_port = 0;

  // Limits: a slow or oversized client gets 408/413/431 and costs nothing else.
  uint32_t max_header_bytes = 8192;
  uint32_t max_body_bytes = 1 << 20;
  uint32_t max_connections = 256;
  uint32_t max_connections_per_source = 16;
  uint32_t request_timeout_s = 10;  // a request's header and body must arrive within this
  uint32_t idle_timeout_s = 60;     // a keep-alive connection with no request is closed

  // Per source address token buckets: 429 with Retry-After when empty.
  double rate_per_second = 100;
  double rate_burst = 200;
  double auth_failure_per_second = 1;  // failed authentications
  double auth_failure_burst = 10;

  // JWT verification keys (jwt.h's key file); reloaded on SIGHUP.
  std::string keys_file;
  // The default config only: a missing keys_file is created with one fresh HS256 key (0600).
  bool create_keys_file = false;
  std::string issuer = "tessera";       // "iss" every token must carry; empty: not checked
  std::string audience = "tessera";     // "aud" every token must carry; empty: not checked
  uint32_t max_token_lifetime_s = 300;  // exp - iat above this is refused

  // SIGTERM: rooms go on this long with readyz 503 and no new rooms or joins, then end. Below
  // the orchestrator's stop timeout (Kubernetes: 30 s), or it kills the node mid-drain.
  uint32_t drain_grace_s = 20;

  std::vector<WebhookConfig> webhooks;
  RecorderConfig recorder;
};

}  // namespace tessera::control
