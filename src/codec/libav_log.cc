#include <spdlog/spdlog.h>
#include <tessera/codec/libav_log.h>

#include <cstdarg>
#include <cstring>

extern "C" {
#include <libavutil/log.h>
}

namespace tessera::codec {
namespace {

void Callback(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > av_log_get_level()) return;
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
