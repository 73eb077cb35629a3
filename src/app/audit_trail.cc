#include "app/audit_trail.h"

#include <spdlog/spdlog.h>
#include <tessera/base/personal_name.h>

#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

namespace tessera::app {

// The rooms' events, with how long each participant stayed (the observer hears no times).
// Runs on: the thread that changed the rooms, with the directory's lock held: a short lock of
// its own and a queued Append, nothing more.
class AuditTrail::RoomEvents final : public session::RoomObserver {
 public:
  explicit RoomEvents(audit::AuditLog& log) : log_(log) {}

  void OnRoomCreated(const std::string& room) override {
    (void)log_.Append(audit::Event("room.created").Set("room", room));
  }
  void OnRoomEnded(const std::string& room) override {
    {
      std::lock_guard lock(mu_);
      for (auto it = joined_.begin(); it != joined_.end();) {
        it = it->first.first == room ? joined_.erase(it) : std::next(it);
      }
    }
    (void)log_.Append(audit::Event("room.ended").Set("room", room));
  }
  void OnParticipantJoinedFrom(const std::string& room, uint32_t id, const std::string& name,
                               const std::string& transport, const std::string& address) override {
    {
      std::lock_guard lock(mu_);
      joined_[{room, id}] = std::chrono::steady_clock::now();
    }
    audit::Event e("participant.joined");
    e.Set("room", room).Set("id", id).Set("participant", name).Set("transport", transport);
    if (!address.empty()) e.Set("address", address);
    (void)log_.Append(std::move(e));
  }
  void OnConsentChangedBy(const std::string& room, uint32_t id, const std::string& name,
                          session::Consent consent, const std::string& source) override {
    (void)log_.Append(audit::Event("consent.changed")
                          .Set("room", room)
                          .Set("id", id)
                          .Set("participant", name)
                          .Set("consent", session::ConsentName(consent))
                          .Set("source", source));
  }
  void OnParticipantLeft(const std::string& room, uint32_t id, const std::string& name) override {
    audit::Event e("participant.left");
    e.Set("room", room).Set("id", id).Set("participant", name);
    {
      std::lock_guard lock(mu_);
      if (auto it = joined_.find({room, id}); it != joined_.end()) {
        e.Set("duration_s", std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::steady_clock::now() - it->second)
                                .count());
        joined_.erase(it);
      }
    }
    (void)log_.Append(std::move(e));
  }

 private:
  audit::AuditLog& log_;
  std::mutex mu_;
  std::map<std::pair<std::string, uint32_t>, std::chrono::steady_clock::time_point> joined_;
};

StatusOr<std::unique_ptr<AuditTrail>> AuditTrail::Open(const AuditConfig& config,
                                                       const Clock* clock) {
  if (!config.enabled) {
    spdlog::warn(
        "audit: no audit block: the audit trail is off (API requests, logins and joins are not "
        "recorded; see docs/security.md, \"Audit trail\")");
    return std::unique_ptr<AuditTrail>();
  }
  if (config.hash_names) {
    std::ifstream in(config.name_salt_file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string salt = ss.str();
    while (!salt.empty() && (salt.back() == '\n' || salt.back() == '\r')) salt.pop_back();
    if (!in || !SetPersonalNameSalt(salt) || salt.empty()) {
      return InvalidArgumentError("audit.name_salt_file: " + config.name_salt_file +
                                  ": unreadable or shorter than 16 bytes (make one with "
                                  "openssl rand -hex 32 and chmod 600 it)");
    }
    spdlog::info("audit: participants' names in log lines are hashed (h:...)");
  }
  audit::AuditLogOptions o;
  o.path = config.path;
  o.key_file = config.key_file;
  o.key_id = config.key_id;
  o.checkpoint_every = config.checkpoint_every;
  o.checkpoint_interval_s = config.checkpoint_interval_s;
  o.syslog = config.syslog;
  o.clock = clock;
  auto log = audit::AuditLog::Open(std::move(o));
  if (!log.ok()) return Status(log.status().code(), "audit: " + log.status().message());
  return std::unique_ptr<AuditTrail>(new AuditTrail(std::move(*log)));
}

AuditTrail::AuditTrail(std::unique_ptr<audit::AuditLog> log)
    : log_(std::move(log)), observer_(std::make_shared<RoomEvents>(*log_)) {}

AuditTrail::~AuditTrail() { Close(); }

std::function<void(const control::ApiAuditRecord&)> AuditTrail::ApiHook() {
  return [log = log_.get()](const control::ApiAuditRecord& r) {
    if (!r.auth_failure.empty()) {
      (void)log->Append(audit::Event("auth.failure")
                            .Set("source", r.source)
                            .Set("method", r.method)
                            .Set("path", r.path)
                            .Set("reason", r.auth_failure));
    }
    audit::Event e("api.request");
    if (!r.actor.empty()) e.Set("actor", r.actor);
    if (!r.role.empty()) e.Set("role", r.role);
    e.Set("source", r.source).Set("method", r.method).Set("path", r.path).Set("status", r.status);
    (void)log->Append(std::move(e));
  };
}

std::function<void(const nlohmann::json&)> AuditTrail::RecordingHook() {
  return [log = log_.get()](const nlohmann::json& event) {
    const auto text = [](const nlohmann::json& j, const char* key) {
      const auto it = j.find(key);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const nlohmann::json recording = event.value("recording", nlohmann::json::object());
    audit::Event e(text(event, "type"));
    e.Set("room", text(event, "room"))
        .Set("recording", text(recording, "id"))
        .Set("state", text(recording, "state"))
        .Set("profile", text(recording, "profile"))
        .Set("region", text(recording, "region"))
        .Set("actor", text(recording, "requested_by"));
    if (const std::string why = text(recording, "reason"); !why.empty()) e.Set("reason", why);
    (void)log->Append(std::move(e));
  };
}

std::function<void(const nlohmann::json&)> AuditTrail::ClusterHook() {
  return [log = log_.get()](const nlohmann::json& event) {
    audit::Event e(event.value("type", "cluster.event"));
    for (const auto& [key, v] : event.items()) {
      if (key == "type") continue;
      if (v.is_string()) {
        e.Set(key, v.get<std::string>());
      } else if (v.is_number_integer()) {
        e.Set(key, v.get<int64_t>());
      }
    }
    (void)log->Append(std::move(e));
  };
}

void AuditTrail::ConfigReloaded(const std::string& outcome) {
  (void)log_->Append(audit::Event("config.reloaded").Set("result", outcome));
}

void AuditTrail::Close() {
  if (log_) log_->Close();
}

}  // namespace tessera::app
