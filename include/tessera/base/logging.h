// Logging on spdlog. Control-plane code logs directly; data-plane code logs through a
// LogRateLimiter so a flood of bad packets costs a counter bump, not a log line each.
#pragma once

#include <spdlog/spdlog.h>
#include <tessera/base/status.h>

#include <cstdint>
#include <string_view>

namespace tessera {

// Sets the global level ("trace", "debug", "info", "warn", "error", "critical", "off") and a
// key=value friendly pattern. Returns InvalidArgument for an unknown level.
Status InitLogging(std::string_view level);

// Allows one event per interval and counts the ones it suppressed in between.
// Runs on: the single executor that owns it (not thread-safe).
class LogRateLimiter {
 public:
  explicit LogRateLimiter(int64_t interval_us = 1'000'000) : interval_us_(interval_us) {}
  // True when the caller should log now; suppressed() then tells how many were skipped since.
  bool Allow(int64_t now_us) {
    if (last_us_ >= 0 && now_us - last_us_ < interval_us_) {
      ++pending_;
      return false;
    }
    last_us_ = now_us;
    suppressed_ = pending_;
    pending_ = 0;
    return true;
  }
  uint64_t suppressed() const { return suppressed_; }

 private:
  int64_t interval_us_;
  int64_t last_us_ = -1;
  uint64_t pending_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace tessera
