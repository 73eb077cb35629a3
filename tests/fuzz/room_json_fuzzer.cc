// Rooms and participants as the HTTP API receives them (JSON through the YAML validators): any
// body is a config or a list of errors, never a crash or an exception.
#include <nlohmann/json.hpp>
#include <string_view>

#include "app/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;
  const tessera::app::HardwareConfig hardware;
  auto room = tessera::app::RoomConfigFromJson(body, hardware);
  (void)room;
  auto participant = tessera::app::RoomParticipantFromJson(body);
  (void)participant;
  return 0;
}
