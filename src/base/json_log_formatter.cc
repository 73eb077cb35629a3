#include "base/json_log_formatter.h"

#include <charconv>
#include <ctime>

namespace tessera {
namespace {

template <size_t N>
void AppendLiteral(spdlog::memory_buf_t& out, const char (&literal)[N]) {
  out.append(literal, literal + N - 1);
}

void AppendView(spdlog::memory_buf_t& out, spdlog::string_view_t s) {
  out.append(s.data(), s.data() + s.size());
}

// The length of the UTF-8 sequence that starts at in[i], and whether it is well formed; when it
// is not, the length of its maximal ill-formed subsequence (at least 1), which becomes one U+FFFD.
struct Utf8Scan {
  size_t length;
  bool valid;
};

Utf8Scan ScanUtf8(std::string_view in, size_t i) {
  const unsigned lead = static_cast<unsigned char>(in[i]);
  size_t trail = 0;  // continuation bytes after the lead byte
  // The range of the first continuation byte: narrower after E0, ED, F0 and F4, which rules out
  // overlong forms, UTF-16 surrogates and code points above U+10FFFF (RFC 3629, section 4).
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    trail = 1;
  } else if (lead == 0xE0) {
    trail = 2;
    lo = 0xA0;
  } else if (lead == 0xED) {
    trail = 2;
    hi = 0x9F;
  } else if (lead >= 0xE1 && lead <= 0xEF) {
    trail = 2;
  } else if (lead == 0xF0) {
    trail = 3;
    lo = 0x90;
  } else if (lead == 0xF4) {
    trail = 3;
    hi = 0x8F;
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    trail = 3;
  } else {
    return {1, false};  // a continuation byte, C0, C1 or F5..FF: never a lead byte
  }
  size_t n = 1;
  for (; n <= trail; ++n) {
    if (i + n >= in.size()) return {n, false};
    const unsigned b = static_cast<unsigned char>(in[i + n]);
    if (b < lo || b > hi) return {n, false};
    lo = 0x80;
    hi = 0xBF;
  }
  return {n, true};
}

}  // namespace

void AppendJsonEscaped(std::string_view in, spdlog::memory_buf_t& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD in UTF-8
  size_t copied = 0;  // in[copied, i) is plain text not yet appended: copied in runs, not per byte
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const Utf8Scan scan = ScanUtf8(in, i);
      if (scan.valid) {
        i += scan.length;
        continue;
      }
      out.append(in.data() + copied, in.data() + i);
      AppendLiteral(out, kReplacement);
      i += scan.length;
      copied = i;
      continue;
    }
    out.append(in.data() + copied, in.data() + i);
    switch (c) {
      case '"':
        AppendLiteral(out, "\\\"");
        break;
      case '\\':
        AppendLiteral(out, "\\\\");
        break;
      case '\b':
        AppendLiteral(out, "\\b");
        break;
      case '\f':
        AppendLiteral(out, "\\f");
        break;
      case '\n':
        AppendLiteral(out, "\\n");
        break;
      case '\r':
        AppendLiteral(out, "\\r");
        break;
      case '\t':
        AppendLiteral(out, "\\t");
        break;
      default: {
        const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(escaped, escaped + sizeof(escaped));
        break;
      }
    }
    ++i;
    copied = i;
  }
  out.append(in.data() + copied, in.data() + in.size());
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  AppendLiteral(dest, "{\"time\":\"");
  AppendTime(msg.time, dest);
  AppendLiteral(dest, "\",\"level\":\"");
  AppendView(dest, spdlog::level::to_string_view(msg.level));
  AppendLiteral(dest, "\",\"thread\":");
  char digits[24];
  const std::to_chars_result thread = std::to_chars(digits, digits + sizeof(digits), msg.thread_id);
  dest.append(digits, thread.ptr);
  AppendLiteral(dest, ",\"logger\":\"");
  AppendJsonEscaped(std::string_view(msg.logger_name.data(), msg.logger_name.size()), dest);
  AppendLiteral(dest, "\",\"message\":\"");
  AppendJsonEscaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  AppendLiteral(dest, "\"}\n");
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

void JsonLogFormatter::AppendTime(std::chrono::system_clock::time_point time,
                                  spdlog::memory_buf_t& dest) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  if (seconds.count() != cached_second_) {
    const auto t = static_cast<std::time_t>(seconds.count());
    std::tm utc{};
    cached_date_size_ =
        gmtime_r(&t, &utc) != nullptr
            ? std::strftime(cached_date_, sizeof(cached_date_), "%Y-%m-%dT%H:%M:%S", &utc)
            : 0;
    cached_second_ = seconds.count();
  }
  dest.append(cached_date_, cached_date_ + cached_date_size_);
  const char fraction[5] = {'.', static_cast<char>('0' + millis / 100),
                            static_cast<char>('0' + millis / 10 % 10),
                            static_cast<char>('0' + millis % 10), 'Z'};
  dest.append(fraction, fraction + sizeof(fraction));
}

}  // namespace tessera
