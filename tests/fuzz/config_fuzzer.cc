// Config parsing of arbitrary text: never crashes, and errors are statuses, never exceptions.
#include <string_view>

#include "app/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto c = tessera::app::ParseConfig(std::string_view(reinterpret_cast<const char*>(data), size),
                                     "fuzz.yaml");
  (void)c;
  return 0;
}
