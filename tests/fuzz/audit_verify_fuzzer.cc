// VerifyText on arbitrary bytes as an audit log's content, with and without an HMAC key. Besides
// not crashing: a verdict names a line that exists, and a sound text's summary counts its lines.
#include <tessera/audit/keys.h>
#include <tessera/audit/verify.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto key =
      tessera::audit::CheckpointVerifier::FromHmacKey(std::vector<uint8_t>(32, 'k')).value();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const size_t newlines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  const tessera::audit::CheckpointVerifier* const keys[] = {key.get(), nullptr};
  for (const tessera::audit::CheckpointVerifier* k : keys) {
    const tessera::audit::VerifyResult r = tessera::audit::VerifyText(text, k);
    if (r.bad) {
      if (r.bad->line == 0 || r.bad->line > newlines + 1) abort();
      if (r.bad->ToString().empty()) abort();
    } else if (r.summary.lines != newlines || (size > 0 && text.back() != '\n')) {
      abort();
    }
  }
  return 0;
}
