// Validation helpers shared by the config parsers: every error is collected with file, line, key
// path and reason.
#pragma once

#include <tessera/base/status.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::app {

// Collects every error with its location; yaml-cpp's Mark gives the line (0-based).
class Checker {
 public:
  explicit Checker(std::string_view source) : source_(source) {}

  void Error(const YAML::Node& node, const std::string& path, const std::string& reason) {
    std::ostringstream os;
    os << source_;
    if (node.IsDefined() && node.Mark().line >= 0) os << ':' << node.Mark().line + 1;
    // A section parsed on its own (a room the API sends) has an empty path prefix: "video.fps",
    // not ".video.fps".
    os << ": " << (path.starts_with('.') ? path.substr(1) : path) << ": " << reason;
    errors_.push_back(os.str());
  }

  // Reports keys of a map that the schema does not know (typos must not pass silently).
  void OnlyKeys(const YAML::Node& map, const std::string& path,
                const std::set<std::string>& allowed) {
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>("");
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        Error(kv.first, Join(path, key), "unknown key (known: " + list + ")");
      }
    }
  }

  template <typename T>
  void Unsigned(const YAML::Node& map, const std::string& path, const char* key, T& out,
                uint64_t min, uint64_t max) {
    const YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return;
    uint64_t v = 0;
    if (!n.IsScalar() || !ParseUnsigned(n.Scalar(), v)) {
      Error(n, Join(path, key), "must be an integer, got '" + Text(n) + "'");
      return;
    }
    if (v < min || v > max) {
      Error(n, Join(path, key),
            "must be in " + std::to_string(min) + ".." + std::to_string(max) + ", got " +
                std::to_string(v));
      return;
    }
    out = static_cast<T>(v);
  }

  void String(const YAML::Node& map, const std::string& path, const char* key, std::string& out) {
    const YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return;
    if (!n.IsScalar()) {
      Error(n, Join(path, key), "must be a string");
      return;
    }
    out = n.Scalar();
  }

  void Bool(const YAML::Node& map, const std::string& path, const char* key, bool& out) {
    const YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return;
    const std::string s = n.IsScalar() ? n.Scalar() : "";
    if (s == "true" || s == "yes" || s == "on") {
      out = true;
    } else if (s == "false" || s == "no" || s == "off") {
      out = false;
    } else {
      Error(n, Join(path, key), "must be true or false, got '" + Text(n) + "'");
    }
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  static std::string Text(const YAML::Node& n) {
    return n.IsScalar() ? n.Scalar() : "<not a value>";
  }
  static bool ParseUnsigned(const std::string& s, uint64_t& v) {
    if (s.empty() || s.size() > 18) return false;
    v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return true;
  }

  bool ok() const { return errors_.empty(); }
  Status ToStatus() const {
    std::string all;
    for (const auto& e : errors_) all += (all.empty() ? "" : "\n") + e;
    return InvalidArgumentError(all);
  }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

}  // namespace tessera::app
