#include <spdlog/sinks/stdout_color_sinks.h>
#include <tessera/base/logging.h>

#include <memory>
#include <string>

#include "base/json_log_formatter.h"

namespace tessera {

StatusOr<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return InvalidArgumentError("unknown log format '" + std::string(name) + "' (want text or json)");
}

Status InitLogging(std::string_view level, LogFormat format) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return InvalidArgumentError("unknown log level '" + std::string(level) +
                                "' (want trace, debug, info, warn, error, critical or off)");
  }
  auto logger = spdlog::get("tessera");
  if (!logger) logger = spdlog::stderr_color_mt("tessera");
  spdlog::set_default_logger(logger);
  switch (format) {
    case LogFormat::kText:
      spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%t] %v");
      break;
    case LogFormat::kJson:
      // The color sink stays: it colors only the range a pattern marks (%^..%$), and this
      // formatter marks none, so no escape codes reach a shipper even on a terminal.
      spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
      break;
  }
  spdlog::set_level(lvl);
  spdlog::flush_on(spdlog::level::info);
  return Status::Ok();
}

}  // namespace tessera
