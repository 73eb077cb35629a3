// IsPictureFastUpdate, ParseDtmfRelay and ParseDtmfBody on arbitrary text. A digit, when one is
// returned, must be one of the sixteen DTMF characters; the canonical body must always be a
// picture fast update, also when the input is appended to it.
#include <tessera/sip/info_body.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

void CheckDigit(std::optional<char> digit) {
  if (digit && std::string_view("0123456789*#ABCD").find(*digit) == std::string_view::npos) {
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera::sip;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)IsPictureFastUpdate(text);
  CheckDigit(ParseDtmfRelay(text));
  CheckDigit(ParseDtmfBody(text));
  // What follows the request is never read.
  const std::string canonical = PictureFastUpdateBody();
  if (canonical.size() + text.size() <= kMaxMediaControlBodyBytes &&
      !IsPictureFastUpdate(canonical + std::string(text))) {
    abort();
  }
  return 0;
}
