// Parsing of custom video layouts.
#include "app/config_layouts.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <system_error>

namespace tessera::app {
namespace {

constexpr size_t kMaxRegions = 25;
constexpr int kMaxZ = 100;
// Decimal fractions such as 0.1 + 0.9 may sum to a hair above 1.
constexpr double kSlack = 1e-9;

// A leading '+' is accepted as YAML allows it; from_chars does not.
const char* SkipPlus(const std::string& s) { return s.data() + (s.starts_with('+') ? 1 : 0); }

// A finite decimal number ("0.25", "1", "2.5e-1"); not inf or nan.
bool ParseDouble(const std::string& s, double& v) {
  const char* begin = SkipPlus(s);
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(begin, end, v);
  return ec == std::errc() && ptr == end && begin != end && std::isfinite(v);
}

bool ParseInt(const std::string& s, int64_t& v) {
  const char* begin = SkipPlus(s);
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(begin, end, v);
  return ec == std::errc() && ptr == end && begin != end;
}

bool Present(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

// A required fraction of the canvas: in 0..1, or in (0, 1] when `positive`.
std::optional<double> Fraction(Checker& c, const YAML::Node& map, const std::string& path,
                               const char* key, bool positive) {
  const YAML::Node n = map[key];
  const std::string p = Checker::Join(path, key);
  if (!Present(n)) {
    c.Error(map, p, "is required (a fraction of the canvas, 0..1)");
    return std::nullopt;
  }
  double v = 0;
  if (!n.IsScalar() || !ParseDouble(n.Scalar(), v)) {
    c.Error(n, p, "must be a number, got '" + Checker::Text(n) + "'");
    return std::nullopt;
  }
  if (positive ? !(v > 0 && v <= 1) : !(v >= 0 && v <= 1)) {
    c.Error(
        n, p,
        std::string(positive ? "must be > 0 and <= 1" : "must be in 0..1") + ", got " + n.Scalar());
    return std::nullopt;
  }
  return v;
}

void ParseRegion(Checker& c, const YAML::Node& n, const std::string& p,
                 mixer::CustomRegion& region) {
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map with x, y, width and height");
    return;
  }
  c.OnlyKeys(n, p, {"x", "y", "width", "height", "z", "slot", "role", "fit"});
  const auto x = Fraction(c, n, p, "x", false);
  const auto y = Fraction(c, n, p, "y", false);
  const auto width = Fraction(c, n, p, "width", true);
  const auto height = Fraction(c, n, p, "height", true);
  if (x && width && *x + *width > 1 + kSlack) {
    c.Error(n["width"], p + ".width",
            "x + width must be <= 1, got " + n["x"].Scalar() + " + " + n["width"].Scalar());
  }
  if (y && height && *y + *height > 1 + kSlack) {
    c.Error(n["height"], p + ".height",
            "y + height must be <= 1, got " + n["y"].Scalar() + " + " + n["height"].Scalar());
  }
  region.x = x.value_or(0);
  region.y = y.value_or(0);
  region.width = width.value_or(0);
  region.height = height.value_or(0);

  if (const YAML::Node z = n["z"]; Present(z)) {
    int64_t v = 0;
    if (!z.IsScalar() || !ParseInt(z.Scalar(), v)) {
      c.Error(z, p + ".z", "must be an integer, got '" + Checker::Text(z) + "'");
    } else if (v < -kMaxZ || v > kMaxZ) {
      c.Error(z, p + ".z", "must be in -100..100, got " + z.Scalar());
    } else {
      region.z = static_cast<int>(v);
    }
  }

  std::string slot = "join_order";
  c.String(n, p, "slot", slot);
  bool slot_known = true;
  if (slot == "join_order") {
    region.rule = mixer::SlotRule::kJoinOrder;
  } else if (slot == "role") {
    region.rule = mixer::SlotRule::kRole;
  } else if (slot == "pinned") {
    region.rule = mixer::SlotRule::kPinned;
  } else if (slot == "speaker") {
    region.rule = mixer::SlotRule::kSpeaker;
  } else {
    c.Error(n["slot"], p + ".slot",
            "must be join_order, role, pinned or speaker, got '" + slot + "'");
    slot_known = false;
  }
  c.String(n, p, "role", region.role);
  if (slot == "role" && region.role.empty()) {
    c.Error(n, p + ".role", "is required when slot is role");
  } else if (slot_known && slot != "role" && Present(n["role"])) {
    c.Error(n["role"], p + ".role", "is only used with slot: role");
  }

  if (Present(n["fit"])) {
    std::string fit;
    c.String(n, p, "fit", fit);
    if (fit == "crop") {
      region.fit = mixer::FitPolicy::kCrop;
    } else if (fit == "letterbox") {
      region.fit = mixer::FitPolicy::kLetterbox;
    } else {
      c.Error(n["fit"], p + ".fit",
              "must be crop or letterbox, got '" + Checker::Text(n["fit"]) + "'");
    }
  }
}

}  // namespace

void ParseCustomLayouts(Checker& c, const YAML::Node& n, const std::string& path,
                        std::vector<mixer::CustomLayout>& out) {
  if (!n.IsSequence()) {
    c.Error(n, path, "must be a list");
    return;
  }
  const std::set<std::string> built_in = {"grid", "speaker", "presentation", "pip"};
  std::set<std::string> names;
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    const YAML::Node l = n[i];
    if (!l.IsMap()) {
      c.Error(l, p, "must be a map with name and regions");
      continue;
    }
    c.OnlyKeys(l, p, {"name", "regions"});
    mixer::CustomLayout layout;
    c.String(l, p, "name", layout.name);
    if (layout.name.empty()) {
      c.Error(l, p + ".name", "is required");
    } else if (built_in.count(layout.name)) {
      c.Error(l["name"], p + ".name",
              "'" + layout.name + "' is a built-in layout (grid, speaker, presentation, pip)");
    } else if (!names.insert(layout.name).second) {
      c.Error(l["name"], p + ".name", "duplicate layout name '" + layout.name + "'");
    }
    const YAML::Node rs = l["regions"];
    if (!Present(rs) || !rs.IsSequence()) {
      c.Error(Present(rs) ? rs : l, p + ".regions", "must be a list of regions");
    } else if (rs.size() < 1 || rs.size() > kMaxRegions) {
      c.Error(rs, p + ".regions",
              "must have 1.." + std::to_string(kMaxRegions) + " regions, got " +
                  std::to_string(rs.size()));
    } else {
      for (size_t k = 0; k < rs.size(); ++k) {
        mixer::CustomRegion region;
        ParseRegion(c, rs[k], p + ".regions[" + std::to_string(k) + "]", region);
        layout.regions.push_back(std::move(region));
      }
    }
    out.push_back(std::move(layout));
  }
}

}  // namespace tessera::app
