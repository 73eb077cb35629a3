// Arbitrary bytes as a share's cells read from another node's Redis entry
// (session::CascadeLayoutFromJson). Besides not crashing: every cell kept lies inside its
// canvas with a name, at most kMaxCascadeCells of them, and the layout written back reads the
// same.
#include <tessera/session/cascade.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tessera::session::CascadeLayout;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  const CascadeLayout l = tessera::session::CascadeLayoutFromJson(j);
  if (l.cells.size() > tessera::session::kMaxCascadeCells) abort();
  if (!l.cells.empty() && (l.width <= 0 || l.height <= 0)) abort();
  for (const auto& c : l.cells) {
    if (c.name.empty() || c.rect.Empty() || c.rect.x < 0 || c.rect.y < 0 ||
        c.rect.x + c.rect.width > l.width || c.rect.y + c.rect.height > l.height) {
      abort();
    }
  }
  if (!(tessera::session::CascadeLayoutFromJson(tessera::session::CascadeLayoutJson(l)) == l)) {
    abort();
  }
  return 0;
}
