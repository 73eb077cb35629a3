#include <spdlog/spdlog.h>
#include <tessera/codec/libav_log.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstring>
#include <mutex>

extern "C" {
#include <libavutil/log.h>
}

namespace tessera::codec {
namespace {

// At most kBurst lines, refilled at kPerSecond: a broken stream or a failed device makes FFmpeg
// log per frame, and the log must stay readable (and cheap) while Tessera copes with it.
constexpr double kPerSecond = 20;
constexpr double kBurst = 50;

// True when this line may be logged; `suppressed` is set to the lines dropped since the last one
// logged (to say so once).
bool Admit(uint64_t& suppressed) {
  static std::mutex mu;
  static double tokens = kBurst;
  static auto last = std::chrono::steady_clock::now();
  static uint64_t dropped = 0;
  std::lock_guard lock(mu);
  const auto now = std::chrono::steady_clock::now();
  tokens =
      std::min(kBurst, tokens + kPerSecond * std::chrono::duration<double>(now - last).count());
  last = now;
  if (tokens < 1) {
    ++dropped;
    return false;
  }
  tokens -= 1;
  suppressed = dropped;
  dropped = 0;
  return true;
}

void Callback(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > av_log_get_level()) return;
  uint64_t suppressed = 0;
  if (level <= AV_LOG_WARNING && !Admit(suppressed)) return;
  if (suppressed > 0) spdlog::warn("ffmpeg: {} messages suppressed (rate limit)", suppressed);
  char line[1024];
  int print_prefix = 1;
  va_list copy;
  va_copy(copy, vl);
  av_log_format_line2(avcl, level, fmt, copy, line, sizeof(line), &print_prefix);
  va_end(copy);
  size_t n = std::strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
  if (n == 0) return;
  if (level <= AV_LOG_ERROR) {
    spdlog::error("ffmpeg: {}", line);
  } else if (level <= AV_LOG_WARNING) {
    spdlog::warn("ffmpeg: {}", line);
  } else {
    spdlog::debug("ffmpeg: {}", line);
  }
}

}  // namespace

void RouteLibavLogsToSpdlog() {
  av_log_set_level(spdlog::should_log(spdlog::level::debug) ? AV_LOG_VERBOSE : AV_LOG_WARNING);
  av_log_set_callback(Callback);
}

}  // namespace tessera::codec
