// The recorder client's events in the audit trail: erasures as their own events, the recordings'
// through RecordingHook (audit_trail.cc).
#include <string>
#include <utility>

#include "app/audit_trail.h"

namespace tessera::app {

std::function<void(const nlohmann::json&)> AuditTrail::RecorderEventHook() {
  return [log = log_.get(), recordings = RecordingHook()](const nlohmann::json& event) {
    const std::string type = event.value("type", "");
    if (!type.starts_with("erasure.")) {
      recordings(event);
      return;
    }
    const nlohmann::json erasure = event.value("erasure", nlohmann::json::object());
    const auto text = [&erasure](const char* key) {
      const auto it = erasure.find(key);
      return it != erasure.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    audit::Event e(type);
    e.Set("erasure", text("id"))
        .Set("identity", text("identity"))
        .Set("dry_run", erasure.value("dry_run", false))
        .Set("state", text("state"))
        .Set("actor", text("requested_by"));
    if (const std::string why = text("reason"); !why.empty()) e.Set("reason", why);
    // The recordings deleted (or, in a dry run, listed) and those left being recorded: ids only.
    if (const auto result = erasure.find("result");
        result != erasure.end() && result->is_object()) {
      nlohmann::ordered_json ids = nlohmann::ordered_json::array();
      if (const auto list = result->find("recordings"); list != result->end() && list->is_array()) {
        for (const auto& r : *list) {
          if (r.is_object() && r.contains("id") && r["id"].is_string()) {
            ids.push_back(r["id"].get<std::string>());
          }
        }
      }
      nlohmann::ordered_json busy = nlohmann::ordered_json::array();
      if (const auto list = result->find("in_progress");
          list != result->end() && list->is_array()) {
        for (const auto& id : *list) {
          if (id.is_string()) busy.push_back(id.get<std::string>());
        }
      }
      e.Set("recordings", std::move(ids)).Set("in_progress", std::move(busy));
    }
    (void)log->Append(std::move(e));
  };
}

}  // namespace tessera::app
