#include <tessera/recorder/recorder_config.h>
#include <tessera/srtp/srtp_suite.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio/ip/address.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace tessera::recorder {
namespace {

// Collects every error so that one run of the file shows them all.
struct Errors {
  std::vector<std::string> lines;
  void Add(const std::string& key, const std::string& what) { lines.push_back(key + ": " + what); }
};

void Str(const YAML::Node& n, const char* key, std::string& out, Errors& e) {
  const YAML::Node v = n[key];
  if (!v.IsDefined() || v.IsNull()) return;
  if (!v.IsScalar()) return e.Add(key, "must be a string");
  out = v.Scalar();
}

template <class T>
void Uint(const YAML::Node& n, const char* key, T& out, uint64_t min, uint64_t max, Errors& e) {
  const YAML::Node v = n[key];
  if (!v.IsDefined() || v.IsNull()) return;
  try {
    const auto x = v.as<int64_t>();
    if (x < static_cast<int64_t>(min) || x > static_cast<int64_t>(max)) {
      return e.Add(key, "must be " + std::to_string(min) + ".." + std::to_string(max));
    }
    out = static_cast<T>(x);
  } catch (const YAML::Exception&) {
    e.Add(key, "must be a whole number");
  }
}

void Bool(const YAML::Node& n, const char* key, bool& out, Errors& e) {
  const YAML::Node v = n[key];
  if (!v.IsDefined() || v.IsNull()) return;
  try {
    out = v.as<bool>();
  } catch (const YAML::Exception&) {
    e.Add(key, "must be true or false");
  }
}

bool IsAddress(const std::string& s) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(s, ec);
  return !ec;
}

}  // namespace

StatusOr<RecorderConfig> ParseRecorderConfig(std::string_view yaml, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& ex) {
    return InvalidArgumentError(std::string(source) + ":" + std::to_string(ex.mark.line + 1) +
                                ": not YAML: " + ex.msg);
  }
  if (!root.IsMap()) return InvalidArgumentError(std::string(source) + ": must be a YAML map");
  RecorderConfig c;
  Errors e;
  static const std::set<std::string> kKeys = {"listen_address",
                                              "port",
                                              "tls_cert_file",
                                              "tls_key_file",
                                              "allow_plain_http",
                                              "api_token_file",
                                              "mcu",
                                              "media",
                                              "key_file",
                                              "key_store_dir",
                                              "storage",
                                              "default_region",
                                              "retention_days",
                                              "container",
                                              "srtp_suite",
                                              "log_level",
                                              "sweep_interval_s",
                                              "audit",
                                              "max_retention_days"};
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>("");
    if (!kKeys.count(key)) e.Add(key, "unknown key (see docs/operations.md, \"Recorder\")");
  }
  Str(root, "listen_address", c.listen_address, e);
  if (!IsAddress(c.listen_address)) e.Add("listen_address", "must be an IP address");
  Uint(root, "port", c.port, 0, 65535, e);
  Str(root, "tls_cert_file", c.tls_cert_file, e);
  Str(root, "tls_key_file", c.tls_key_file, e);
  Bool(root, "allow_plain_http", c.allow_plain_http, e);
  Str(root, "api_token_file", c.api_token_file, e);
  if (c.api_token_file.empty()) e.Add("api_token_file", "is required (the API's bearer secret)");
  if (const YAML::Node m = root["mcu"]; m.IsDefined()) {
    if (!m.IsMap()) {
      e.Add("mcu", "must be a map with url and token_file");
    } else {
      Str(m, "url", c.mcu_url, e);
      Str(m, "token_file", c.mcu_token_file, e);
    }
  }
  if (c.mcu_url.rfind("http://", 0) != 0 && c.mcu_url.rfind("https://", 0) != 0) {
    e.Add("mcu.url", "must start with http:// or https://");
  }
  if (c.mcu_token_file.empty()) e.Add("mcu.token_file", "is required (the MCU API's token)");
  if (const YAML::Node m = root["media"]; m.IsDefined()) {
    if (!m.IsMap()) {
      e.Add("media", "must be a map with bind_address and advertise_address");
    } else {
      Str(m, "bind_address", c.media_bind_address, e);
      Str(m, "advertise_address", c.media_advertise_address, e);
    }
  }
  if (!IsAddress(c.media_bind_address)) e.Add("media.bind_address", "must be an IP address");
  if (!IsAddress(c.media_advertise_address)) {
    e.Add("media.advertise_address", "must be the IP address the MCU sends media to");
  }
  Str(root, "key_file", c.key_file, e);
  Str(root, "key_store_dir", c.key_store_dir, e);
  if (c.key_file.empty()) e.Add("key_file", "is required (tessera-recorder keygen writes one)");
  if (c.key_store_dir.empty()) e.Add("key_store_dir", "is required");
  if (const YAML::Node s = root["storage"]; s.IsDefined()) {
    if (!s.IsMap()) {
      e.Add("storage", "must map region names to directories");
    } else {
      for (const auto& kv : s) {
        const std::string region = kv.first.as<std::string>("");
        if (!kv.second.IsScalar() || kv.second.Scalar().empty()) {
          e.Add("storage." + region, "must be a directory");
          continue;
        }
        c.storage[region] = kv.second.Scalar();
      }
    }
  }
  if (c.storage.empty()) e.Add("storage", "is required: at least one region and its directory");
  Str(root, "default_region", c.default_region, e);
  if (!c.default_region.empty() && !c.storage.count(c.default_region)) {
    e.Add("default_region", "names no region of storage");
  }
  Uint(root, "retention_days", c.retention_days, 1, 36500, e);
  Uint(root, "max_retention_days", c.max_retention_days, 1, 36500, e);
  if (c.retention_days > c.max_retention_days) {
    e.Add("retention_days",
          "must not exceed max_retention_days (" + std::to_string(c.max_retention_days) + ")");
  }
  Uint(root, "sweep_interval_s", c.sweep_interval_s, 0, 30 * 86400, e);
  if (const YAML::Node a = root["audit"]; a.IsDefined() && !a.IsNull()) {
    if (!a.IsMap()) {
      e.Add("audit", "must be a map with path, key_file and key_id");
    } else {
      for (const auto& kv : a) {
        const std::string key = kv.first.as<std::string>("");
        if (key != "path" && key != "key_file" && key != "key_id") {
          e.Add("audit." + key, "unknown key (path, key_file, key_id)");
        }
      }
      Str(a, "path", c.audit.path, e);
      Str(a, "key_file", c.audit.key_file, e);
      Str(a, "key_id", c.audit.key_id, e);
      if (c.audit.path.empty()) e.Add("audit.path", "is required: the audit log file");
      if (c.audit.key_file.empty()) {
        e.Add("audit.key_file",
              "is required: the checkpoints' key (tessera-audit keygen writes an Ed25519 pair)");
      }
    }
  }
  Str(root, "container", c.container, e);
  if (c.container != "matroska" && c.container != "mp4") {
    e.Add("container", "must be matroska or mp4");
  }
  Str(root, "srtp_suite", c.srtp_suite, e);
  if (!srtp::SrtpSuiteFromName(c.srtp_suite)) {
    e.Add("srtp_suite",
          "must be AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32 or AEAD_AES_128_GCM");
  }
  Str(root, "log_level", c.log_level, e);
  if (!e.lines.empty()) {
    std::string text;
    for (const auto& l : e.lines)
      text += (text.empty() ? "" : "\n") + std::string(source) + ": " + l;
    return InvalidArgumentError(text);
  }
  return c;
}

StatusOr<RecorderConfig> LoadRecorderConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgumentError(path + ": cannot be read (give it with --config FILE)");
  std::stringstream text;
  text << in.rdbuf();
  return ParseRecorderConfig(text.str(), path);
}

StatusOr<std::string> ReadTokenFile(const std::string& path, const std::string& where) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(where + ": '" + path + "' cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) return InvalidArgumentError(where + ": '" + path + "' is empty");
  return s;
}

}  // namespace tessera::recorder
