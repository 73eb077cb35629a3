// Parsing of the `audit` section. The files it names are read when the audit log opens (at
// start), so a missing key file is a start-up error naming it, as for control.keys_file.
#include "app/config_audit.h"

namespace tessera::app {

void ParseAudit(Checker& c, const YAML::Node& n, AuditConfig& out) {
  const std::string p = "audit";
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map with path and key_file");
    return;
  }
  c.OnlyKeys(n, p,
             {"path", "key_file", "key_id", "checkpoint_every", "checkpoint_interval_s", "syslog",
              "hash_names", "name_salt_file"});
  out.enabled = true;
  c.String(n, p, "path", out.path);
  if (out.path.empty()) c.Error(n, p + ".path", "is required (the audit log's file)");
  c.String(n, p, "key_file", out.key_file);
  if (out.key_file.empty()) {
    c.Error(n, p + ".key_file",
            "is required (an Ed25519 private key from tessera-audit keygen, or an HMAC key "
            "file): it signs the checkpoints");
  }
  c.String(n, p, "key_id", out.key_id);
  c.Unsigned(n, p, "checkpoint_every", out.checkpoint_every, 1, 100000);
  c.Unsigned(n, p, "checkpoint_interval_s", out.checkpoint_interval_s, 1, 86400);
  c.String(n, p, "syslog", out.syslog);
  if (!out.syslog.empty()) {
    // The shape only: the name is resolved when the log opens.
    const std::string& t = out.syslog;
    std::string port = "514";
    bool ok_host = true;
    if (t.starts_with('[')) {
      const size_t close = t.find(']');
      ok_host =
          close != std::string::npos && close > 1 && (close + 1 == t.size() || t[close + 1] == ':');
      if (ok_host && close + 1 < t.size()) port = t.substr(close + 2);
    } else if (const size_t colon = t.find(':'); colon != std::string::npos) {
      ok_host = colon > 0 && t.find(':', colon + 1) == std::string::npos;
      port = t.substr(colon + 1);
    }
    const bool ok_port = !port.empty() && port.size() <= 5 &&
                         port.find_first_not_of("0123456789") == std::string::npos &&
                         std::stoul(port) >= 1 && std::stoul(port) <= 65535;
    if (!ok_port || !ok_host) {
      c.Error(
          n["syslog"], p + ".syslog",
          "must be host:port (an IPv6 address in brackets, [::1]:514), got '" + out.syslog + "'");
    }
  }
  c.Bool(n, p, "hash_names", out.hash_names);
  c.String(n, p, "name_salt_file", out.name_salt_file);
  if (out.hash_names && out.name_salt_file.empty()) {
    c.Error(n, p + ".name_salt_file",
            "is required with hash_names: true (a file of at least 16 random bytes, kept "
            "private: e.g. openssl rand -hex 32)");
  }
}

}  // namespace tessera::app
