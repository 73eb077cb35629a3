// Times as text: RFC 3339 in UTC ("2026-12-06T20:45:01Z", with milliseconds
// "2026-12-06T20:45:01.123Z"), for logs, files and the API's answers.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera {

std::string FormatRfc3339(int64_t unix_s);
std::string FormatRfc3339Ms(int64_t unix_ms);
// The system clock now, with milliseconds.
std::string NowRfc3339Ms();
// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM) to Unix seconds (the fraction dropped);
// nullopt for anything else, or a date that does not exist.
std::optional<int64_t> ParseRfc3339(std::string_view text);

}  // namespace tessera
