// The recorder process's configuration (tessera-recorder run --config FILE; docs/operations.md,
// "Recorder"). Only what the file says; RecorderService and the process use it.
#pragma once

#include <tessera/base/status.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace tessera::recorder {

// The recorder host's own audit log (audit/audit_log.h): recordings started, stopped, deleted and
// erasures asked for. No path: none (a warning at start).
struct RecorderAuditConfig {
  std::string path;      // the log file (created 0600)
  std::string key_file;  // the checkpoints' key: Ed25519 private key (PEM) or HMAC key file
  std::string key_id;    // empty: the key's fingerprint
};

struct RecorderConfig {
  // The recorder's own API (POST/DELETE/GET /v1/recordings).
  std::string listen_address = "127.0.0.1";
  uint16_t port = 8090;
  std::string tls_cert_file;  // both set: HTTPS; neither: plain HTTP (loopback only unless
  std::string tls_key_file;   // allow_plain_http)
  bool allow_plain_http = false;
  // A static bearer secret (the file's bytes, trailing newlines stripped): the recorder's API is
  // called by one orchestrator, not by people with roles.
  std::string api_token_file;

  // The MCU's participants API and the token the recorder joins with (operator role or above).
  std::string mcu_url = "http://127.0.0.1:8080";
  std::string mcu_token_file;

  // Media: where the recorder's UDP ports are bound, and the address the MCU sends to.
  std::string media_bind_address = "0.0.0.0";
  std::string media_advertise_address = "127.0.0.1";

  std::string key_file;       // the key-encryption keys (key_ring.h)
  std::string key_store_dir;  // one wrapped data key per recording (key_store.h)
  // Recordings' directories by region ("eu" -> "/var/lib/tessera/recordings/eu").
  std::map<std::string, std::string> storage;
  std::string default_region;  // used when a request names none; empty: the first
  // Days a recording is kept when its start names none (the MCU sends a room's or a request's
  // retention_days, 1..36500); a longer one asked for is cut to max_retention_days.
  uint32_t retention_days = 30;
  uint32_t max_retention_days = 36500;
  // The running service deletes expired recordings at start and then this often; 0: never (run
  // `tessera-recorder sweep` from cron instead).
  uint32_t sweep_interval_s = 3600;
  RecorderAuditConfig audit;
  std::string container = "matroska";  // or "mp4" (fragmented)
  std::string srtp_suite = "AES_CM_128_HMAC_SHA1_80";
  std::string log_level = "info";
};

// Parses the YAML text. InvalidArgument naming the key and what to do (every error, one a line).
StatusOr<RecorderConfig> ParseRecorderConfig(std::string_view yaml, std::string_view source);
StatusOr<RecorderConfig> LoadRecorderConfig(const std::string& path);
// The file's bytes without trailing newlines (a token). Errors name `where` and the file.
StatusOr<std::string> ReadTokenFile(const std::string& path, const std::string& where);

}  // namespace tessera::recorder
