// Arbitrary text as the operator's key file (LocalKeyRing::Parse: JSON, key ids, base64 keys).
// Besides not crashing: a ring that parses has its active key among its keys, and a data key it
// wraps unwraps again to the same bytes.
#include <tessera/recorder/key_ring.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tessera::recorder::LocalKeyRing;
  using tessera::recorder::SecretKey;
  auto ring = LocalKeyRing::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!ring.ok()) return 0;
  const std::string active = (*ring)->ActiveKeyId();
  if (active.empty()) return 0;
  if (!(*ring)->HasKey(active)) abort();
  std::array<uint8_t, tessera::recorder::kKeyBytes> bytes{};
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(3 * i + 1);
  const SecretKey key(bytes);
  auto wrapped = (*ring)->Wrap(key, "rec-fuzz");
  if (!wrapped.ok()) abort();
  auto unwrapped = (*ring)->Unwrap(*wrapped, "rec-fuzz");
  if (!unwrapped.ok()) abort();
  const auto a = unwrapped->bytes();
  const auto b = key.bytes();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) abort();
  }
  return 0;
}
