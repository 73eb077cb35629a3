// Arbitrary text as tessera-recorder's YAML config (ParseRecorderConfig). Besides not crashing or
// throwing: a config that parses has somewhere to write (a storage region) and its default region
// among them.
#include <tessera/recorder/recorder_config.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto config = tessera::recorder::ParseRecorderConfig(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  if (!config.ok()) return 0;
  if (config->storage.empty()) abort();
  if (!config->default_region.empty() && !config->storage.count(config->default_region)) abort();
  return 0;
}
