// UTF-8 decoding for text drawn on video tiles (participant names from signalling, so untrusted).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace tessera::mixer {

inline constexpr char32_t kReplacementChar = 0xFFFD;

struct DecodedText {
  std::vector<char32_t> code_points;
  // True when `max_code_points` stopped the decoding before the end of the input.
  bool truncated = false;
};

// Decodes `text` into code points. Each maximal ill-formed subsequence (stray continuation byte,
// truncated sequence, overlong form, surrogate, value past U+10FFFF) becomes one U+FFFD, as the
// Unicode standard recommends. C0 and C1 control characters and DEL are dropped (a name has no
// use for them). Never reads past `text`. Pure function.
DecodedText DecodeUtf8(std::string_view text, size_t max_code_points);

}  // namespace tessera::mixer
