// Structured logs for log shippers: each record as one JSON object on one line
// (server.log_format: json).
#pragma once

#include <spdlog/formatter.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>

namespace tessera {

// Appends `in` as the inside of a JSON string (without the quotes), so that any bytes a log call
// is given make valid JSON and valid UTF-8: '"' and '\' are escaped; control characters (below
// 0x20, and DEL) become \b \f \n \r \t or \u00XX; bytes that are not well-formed UTF-8 are replaced
// by U+FFFD, one per maximal ill-formed subsequence (Unicode's recommended practice). Well-formed
// UTF-8 is copied as it is. Allocates nothing beyond `out`'s growth: it runs for every log line.
void AppendJsonEscaped(std::string_view in, spdlog::memory_buf_t& out);

// Writes each record as
//   {"time":"2026-12-06T11:27:18.505Z","level":"info","thread":29580,"logger":"tessera",
//    "message":"..."}
// on one line, ended by '\n': time in UTC with milliseconds; level as spdlog names it (trace,
// debug, info, warning, error, critical); thread the OS thread id, as the text format's [%t].
// Runs on: whichever thread writes to its sink, under the sink's mutex; spdlog clones one
// formatter per sink, so the cached date below is never shared.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;

 private:
  void AppendTime(std::chrono::system_clock::time_point time, spdlog::memory_buf_t& dest);

  // "YYYY-MM-DDTHH:MM:SS" of the second of the last record: formatted once a second, not per line.
  int64_t cached_second_ = std::numeric_limits<int64_t>::min();
  char cached_date_[32] = {};
  size_t cached_date_size_ = 0;
};

}  // namespace tessera
