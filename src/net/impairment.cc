#include <tessera/net/impairment.h>

#include <string>

namespace tessera::net {

StatusOr<ImpairmentConfig> ParseImpairmentSpec(std::string_view spec) {
  ImpairmentConfig c;
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgumentError("impairment item '" + std::string(item) + "' is not key=value");
    }
    std::string key(item.substr(0, eq));
    std::string value(item.substr(eq + 1));
    char* end = nullptr;
    if (key == "seed" || key == "depth") {
      unsigned long long v = std::strtoull(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0') {
        return InvalidArgumentError("impairment " + key + " '" + value + "' is not an integer");
      }
      if (key == "seed") {
        c.seed = v;
      } else {
        if (v < 1 || v > 64) return InvalidArgumentError("impairment depth must be 1..64");
        c.reorder_depth = static_cast<int>(v);
      }
      continue;
    }
    double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !(v >= 0.0 && v <= 1.0)) {
      return InvalidArgumentError("impairment " + key + " '" + value +
                                  "' must be a probability in [0, 1]");
    }
    if (key == "drop") {
      c.drop = v;
    } else if (key == "duplicate") {
      c.duplicate = v;
    } else if (key == "reorder") {
      c.reorder = v;
    } else {
      return InvalidArgumentError("unknown impairment '" + key +
                                  "' (want drop, duplicate, reorder, depth, seed)");
    }
  }
  return c;
}

ImpairmentModel::ImpairmentModel(const ImpairmentConfig& config)
    : config_(config), rng_(config.seed) {}

std::vector<std::vector<uint8_t>> ImpairmentModel::Process(std::vector<uint8_t> datagram) {
  std::vector<std::vector<uint8_t>> out;
  ++stats_.in;
  // Draw every decision up front so each datagram consumes the same randomness.
  const double drop = uniform_(rng_);
  const double dup = uniform_(rng_);
  const double reorder = uniform_(rng_);
  if (drop < config_.drop) {
    ++stats_.dropped;
  } else if (reorder < config_.reorder) {
    ++stats_.reordered;
    held_.push_back({std::move(datagram), config_.reorder_depth});
    return out;  // a held datagram does not release older ones: depth counts later arrivals
  } else {
    out.push_back(datagram);
    if (dup < config_.duplicate) {
      ++stats_.duplicated;
      out.push_back(std::move(datagram));
    }
  }
  for (auto it = held_.begin(); it != held_.end();) {
    if (--it->remaining <= 0) {
      out.push_back(std::move(it->data));
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
  stats_.out += out.size();
  return out;
}

std::vector<std::vector<uint8_t>> ImpairmentModel::Flush() {
  std::vector<std::vector<uint8_t>> out;
  for (auto& h : held_) out.push_back(std::move(h.data));
  held_.clear();
  stats_.out += out.size();
  return out;
}

}  // namespace tessera::net
