// The node's audit trail (the `audit` block): the AuditLog, fed by the API (every request and
// every refused token), by the rooms (created, ended, participants joined and left: the same
// RoomObserver events the webhooks get) and by reloads. Also sets the salt of PersonalName when
// the block asks for hashed names in ordinary logs.
#pragma once

#include <tessera/audit/audit_log.h>
#include <tessera/control/api.h>
#include <tessera/session/room_directory.h>

#include <functional>
#include <memory>
#include <string>

#include "app/config.h"

namespace tessera::app {

// Runs on: Open, ConfigReloaded and Close on the main thread; the API hook on the API's thread;
// the observer on whichever thread changed the rooms. Every path only queues (AuditLog::Append).
class AuditTrail {
 public:
  // Null, with one warning logged, when the config has no audit block. Errors name the file or
  // key (audit.path, audit.key_file, audit.name_salt_file) and what to do.
  static StatusOr<std::unique_ptr<AuditTrail>> Open(const AuditConfig& config,
                                                    const Clock* clock = nullptr);
  ~AuditTrail();

  // For RoomDirectory::AddObserver.
  std::shared_ptr<session::RoomObserver> observer() const { return observer_; }
  // For ApiOptions::audit (ControlPlane::SetAuditHook).
  std::function<void(const control::ApiAuditRecord&)> ApiHook();
  // For ControlPlane::SetRecordingEventHook: each state change of a recording (started, stopped,
  // failed, ...) with the recording's JSON.
  std::function<void(const nlohmann::json&)> RecordingHook();
  // For ControlPlane::SetRecordingEventHook: the recorder client's events, recordings' to
  // RecordingHook and erasures' (erasure.requested, .completed, .failed: the identity, who
  // asked, the recordings deleted or listed) as their own (audit_trail_erasure.cc).
  std::function<void(const nlohmann::json&)> RecorderEventHook();
  // SIGHUP: what the reload applied, as the log line says it.
  // For the cluster's events (room.moved, room.lease_lost): every string and integer field.
  std::function<void(const nlohmann::json&)> ClusterHook();
  void ConfigReloaded(const std::string& outcome);
  // The final checkpoint; later events are dropped. Call after the rooms and the API stopped.
  void Close();

  audit::AuditLog& log() { return *log_; }

 private:
  class RoomEvents;
  explicit AuditTrail(std::unique_ptr<audit::AuditLog> log);

  std::unique_ptr<audit::AuditLog> log_;
  std::shared_ptr<session::RoomObserver> observer_;
};

}  // namespace tessera::app
