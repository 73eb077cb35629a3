#include "mixer/utf8.h"

#include <cstdint>

namespace tessera::mixer {
namespace {

bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7F && c < 0xA0); }

// Length of the sequence a lead byte starts, and the range allowed for its second byte (which
// excludes overlong forms, surrogates and values past U+10FFFF); 0 for a byte that cannot lead.
struct Lead {
  int length = 0;
  uint8_t second_min = 0x80;
  uint8_t second_max = 0xBF;
};

Lead LeadOf(uint8_t b) {
  if (b < 0x80) return {1};
  if (b >= 0xC2 && b <= 0xDF) return {2};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b >= 0xE1 && b <= 0xEF) return {3};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0};
}

}  // namespace

DecodedText DecodeUtf8(std::string_view text, size_t max_code_points) {
  DecodedText out;
  size_t i = 0;
  while (i < text.size()) {
    if (out.code_points.size() >= max_code_points) {
      out.truncated = true;
      break;
    }
    const uint8_t b0 = static_cast<uint8_t>(text[i]);
    const Lead lead = LeadOf(b0);
    if (lead.length == 0) {
      out.code_points.push_back(kReplacementChar);
      ++i;
      continue;
    }
    char32_t c = lead.length == 1 ? b0 : (b0 & (0xFF >> (lead.length + 1)));
    size_t n = 1;  // bytes of the sequence consumed so far
    bool valid = true;
    for (; n < static_cast<size_t>(lead.length); ++n) {
      if (i + n >= text.size()) {
        valid = false;
        break;
      }
      const uint8_t b = static_cast<uint8_t>(text[i + n]);
      const uint8_t lo = n == 1 ? lead.second_min : 0x80;
      const uint8_t hi = n == 1 ? lead.second_max : 0xBF;
      if (b < lo || b > hi) {
        valid = false;
        break;
      }
      c = (c << 6) | (b & 0x3F);
    }
    i += n;  // an ill-formed prefix is replaced as a whole; the offending byte is read again
    if (!valid) {
      out.code_points.push_back(kReplacementChar);
    } else if (!IsControl(c)) {
      out.code_points.push_back(c);
    }
  }
  return out;
}

}  // namespace tessera::mixer
