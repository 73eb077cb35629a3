// Logging on spdlog. Control-plane code logs directly; data-plane code logs through a
// LogRateLimiter so a flood of bad packets costs a counter bump, not a log line each.
#pragma once

#include <spdlog/spdlog.h>
#include <tessera/base/status.h>

#include <cstdint>
#include <string_view>

namespace tessera {

// How log lines are written to stderr (server.log_format, --log-format).
enum class LogFormat {
  kText,  // "2026-12-06T12:27:18.505+01:00 info [29580] message", local time: for people
  kJson,  // one JSON object a line (time, level, thread, logger, message): for log shippers
};

// "text" or "json"; InvalidArgument naming both for anything else.
StatusOr<LogFormat> ParseLogFormat(std::string_view name);

// Sets the global level ("trace", "debug", "info", "warn", "error", "critical", "off") and the
// format of every line. Returns InvalidArgument for an unknown level. Call once at start, before
// other threads log: it replaces the formatter of every registered logger.
Status InitLogging(std::string_view level, LogFormat format = LogFormat::kText);

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
