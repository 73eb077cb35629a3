#include <tessera/net/impairment.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

namespace tessera::net {
namespace {

constexpr int64_t kMaxRateBps = 1'000'000'000'000;  // 1 Tbit/s: far above any loopback test
constexpr int64_t kMaxMs = 3'600'000;               // an hour, for queue_ms, delay_ms, jitter_ms

// "500k" -> 500000: bits per second with an optional k, M or G suffix; 0 means unlimited.
StatusOr<int64_t> ParseRate(const std::string& value) {
  char* end = nullptr;
  double v = std::strtod(value.c_str(), &end);
  double scale = 1.0;
  if (end != value.c_str() && *end != '\0' && end[1] == '\0') {  // one trailing suffix
    scale = *end == 'k' ? 1e3 : *end == 'M' ? 1e6 : *end == 'G' ? 1e9 : 1.0;
    if (scale != 1.0) ++end;
  }
  v *= scale;
  if (value.empty() || end == value.c_str() || *end != '\0' || !std::isfinite(v) || v < 0.0 ||
      v > static_cast<double>(kMaxRateBps)) {
    return InvalidArgumentError("impairment rate '" + value +
                                "' must be bits per second, optionally with k, M or G (0 = "
                                "unlimited)");
  }
  int64_t bps = std::llround(v);
  if (v > 0.0 && bps < 1) {
    return InvalidArgumentError("impairment rate '" + value + "' is below 1 bit/s");
  }
  return bps;
}

StatusOr<int64_t> ParseMs(const std::string& key, const std::string& value) {
  char* end = nullptr;
  long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || v < 0 || v > kMaxMs) {
    return InvalidArgumentError("impairment " + key + " '" + value +
                                "' must be whole milliseconds in [0, " + std::to_string(kMaxMs) +
                                "]");
  }
  return static_cast<int64_t>(v);
}

}  // namespace

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
    if (key == "rate") {
      auto rate = ParseRate(value);
      if (!rate.ok()) return rate.status();
      c.rate_bps = *rate;
      continue;
    }
    if (key == "queue_ms" || key == "delay_ms" || key == "jitter_ms") {
      auto ms = ParseMs(key, value);
      if (!ms.ok()) return ms.status();
      (key == "queue_ms" ? c.queue_ms : key == "delay_ms" ? c.delay_ms : c.jitter_ms) = *ms;
      continue;
    }
    if (key != "drop" && key != "duplicate" && key != "reorder") {
      return InvalidArgumentError(
          "unknown impairment '" + key +
          "' (want drop, duplicate, reorder, depth, seed, rate, queue_ms, delay_ms, jitter_ms)");
    }
    double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !(v >= 0.0 && v <= 1.0)) {
      return InvalidArgumentError("impairment " + key + " '" + value +
                                  "' must be a probability in [0, 1]");
    }
    (key == "drop" ? c.drop : key == "duplicate" ? c.duplicate : c.reorder) = v;
  }
  return c;
}

ImpairmentModel::ImpairmentModel(const ImpairmentConfig& config)
    : config_(config), rng_(config.seed), jitter_rng_(config.seed ^ 0x9e3779b97f4a7c15ULL) {}

void ImpairmentModel::SetConfig(const ImpairmentConfig& config) {
  const uint64_t seed = config_.seed;
  config_ = config;
  config_.seed = seed;
}

void ImpairmentModel::Push(std::vector<uint8_t> datagram, int64_t now_us) {
  now_us_ = std::max(now_us_, now_us);
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
    return;  // a held datagram does not release older ones: depth counts later arrivals
  } else {
    if (dup < config_.duplicate) {
      ++stats_.duplicated;
      Enqueue(datagram, now_us_);
    }
    Enqueue(std::move(datagram), now_us_);
  }
  for (auto it = held_.begin(); it != held_.end();) {
    if (--it->remaining <= 0) {
      Enqueue(std::move(it->data), now_us_);
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
}

void ImpairmentModel::Enqueue(std::vector<uint8_t> datagram, int64_t now_us) {
  int64_t departure = now_us;
  if (config_.rate_bps > 0) {
    // Nanoseconds, so that serialization times do not accumulate rounding.
    const int64_t now_ns = now_us * 1000;
    const int64_t start_ns = std::max(now_ns, link_free_ns_);
    if (start_ns - now_ns > config_.queue_ms * 1'000'000) {
      ++stats_.rate_dropped;  // drop-tail: the queue already holds queue_ms of data
      return;
    }
    // size * 8 * 1e9 fits in int64_t for any datagram (< 2^16 bytes) and rate >= 1.
    link_free_ns_ =
        start_ns + static_cast<int64_t>(datagram.size()) * 8 * 1'000'000'000 / config_.rate_bps;
    departure = (link_free_ns_ + 999) / 1000;  // leaves once fully serialized
  }
  departure += config_.delay_ms * 1000;
  if (config_.jitter_ms > 0) {
    departure += std::uniform_int_distribution<int64_t>(0, config_.jitter_ms * 1000)(jitter_rng_);
  }
  if (departure > now_us) ++stats_.delayed;
  queue_.emplace(departure, std::move(datagram));
}

std::vector<std::vector<uint8_t>> ImpairmentModel::Pop(int64_t now_us) {
  now_us_ = std::max(now_us_, now_us);
  std::vector<std::vector<uint8_t>> out;
  auto end = queue_.upper_bound(now_us_);
  for (auto it = queue_.begin(); it != end; ++it) out.push_back(std::move(it->second));
  queue_.erase(queue_.begin(), end);
  stats_.out += out.size();
  return out;
}

std::optional<int64_t> ImpairmentModel::NextDepartureUs() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first;
}

std::vector<std::vector<uint8_t>> ImpairmentModel::Process(std::vector<uint8_t> datagram) {
  Push(std::move(datagram), now_us_);
  return Pop(now_us_);
}

std::vector<std::vector<uint8_t>> ImpairmentModel::Flush() {
  std::vector<std::vector<uint8_t>> out;
  for (auto& [departure, data] : queue_) out.push_back(std::move(data));
  queue_.clear();
  for (auto& h : held_) out.push_back(std::move(h.data));
  held_.clear();
  stats_.out += out.size();
  return out;
}

}  // namespace tessera::net
