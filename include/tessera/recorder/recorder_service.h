// The recorder process's recordings: its API (POST/DELETE/GET /v1/recordings) starts and stops
// one RecordingSession and McuClient per recording, each writing through a ByteSink that the
// sink factory makes (the encrypted chunk file in the process; memory in tests). It also keeps
// its key store's catalogue current (who appears in each recording), deletes expired recordings
// (the Sweeper of retention.h, at start and every sweep_interval_s), answers erasure requests
// (POST /v1/erasures) and reports what it does to its audit hook.
#pragma once

#include <tessera/audit/audit_log.h>
#include <tessera/base/clock.h>
#include <tessera/base/status.h>
#include <tessera/control/http.h>
#include <tessera/recorder/byte_sink.h>
#include <tessera/recorder/key_store.h>
#include <tessera/recorder/recorder_config.h>
#include <tessera/recorder/retention.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tessera::recorder {

struct RecordingInfo {
  std::string id;  // 32 hex digits, random
  std::string room;
  std::string profile;
  std::string region;
  std::string storage_dir;  // the region's directory
  std::string container;    // "matroska" or "mp4"
  int64_t started_unix_ms = 0;
  // How long it is kept: the key store entry's expiry is started + retention_days. 0: the
  // sink factory's default (its config's retention_days).
  uint32_t retention_days = 0;
};

// When a recording expires, in Unix seconds: its start (whole seconds) plus `retention_days`.
int64_t ExpiresUnixS(int64_t started_unix_ms, uint32_t retention_days);

// Makes the sink of a new recording. Runs on: the media thread.
using SinkFactory = std::function<StatusOr<std::unique_ptr<ByteSink>>(const RecordingInfo&)>;

// Takes the service's audit events (recording.started, recording.stopped, recording.deleted,
// erasure.requested). Called on the media or the retention thread: must be thread-safe and must
// not block (AuditLog::Append is both).
using RecorderAuditFn = std::function<void(audit::Event event)>;

// What an erasure found (POST /v1/erasures, Erase).
struct ErasureResult {
  std::vector<RecordingEntry> deleted;   // deleted, or with dry_run what would be
  std::vector<std::string> in_progress;  // still being recorded: left; stop them, then again
  std::vector<std::string> problems;     // what failed, and what to do
};

// Runs on: its media thread (every recording, session and MCU client, the key store updates of
// running recordings); its retention thread (sweeps and erasures, one at a time, so that file
// deletions never hold up media); Handle on the HTTP server's thread, which posts to one of them
// and waits (at most a few seconds for the media thread; an erasure as long as its deletions).
class RecorderService : public control::HttpHandler {
 public:
  // mcu_token and api_token: the secrets (already read from their files).
  RecorderService(RecorderConfig config, std::string api_token, std::string mcu_token,
                  SinkFactory sinks, Clock& clock);
  ~RecorderService() override;
  RecorderService(const RecorderService&) = delete;
  RecorderService& operator=(const RecorderService&) = delete;

  // Before Start: where audit events go (none by default).
  void SetAudit(RecorderAuditFn audit) { audit_ = std::move(audit); }
  // Before Start: called on the retention thread after each sweep of the timer (tests).
  void SetSweepObserver(std::function<void(const SweepResult&)> observer) {
    sweep_observer_ = std::move(observer);
  }

  // Starts the media and retention threads; the first sweep runs at once on the retention thread
  // (when sweep_interval_s is not 0 and there is a key store), then every sweep_interval_s.
  void Start();
  // Ends every recording (files closed, the MCU told), then the media thread. Idempotent.
  void Shutdown();

  control::HttpResponse Handle(const control::HttpRequest& request) override;

  // What the API calls (from any thread but the media thread).
  // `id`: the MCU's id for it (its API's /recordings/{id}); empty: a random one.
  // `retention_days`: 1..36500 (InvalidArgument otherwise), cut to max_retention_days (logged);
  // 0: the config's retention_days. The answer's retention_days is the one applied.
  StatusOr<RecordingInfo> StartRecording(const std::string& room, const std::string& profile,
                                         const std::string& region, const std::string& id = "",
                                         uint32_t retention_days = 0);
  Status StopRecording(const std::string& id);
  std::vector<std::string> ListJson();

  // One sweep now, on the retention thread (after any sweep or erasure under way); waits for it.
  // FailedPrecondition without a key store (key_store_dir) or before Start.
  StatusOr<SweepResult> SweepNow();
  // Deletes (dry_run: lists) every recording `identity` appears in, except those being recorded
  // (ErasureResult::in_progress). On the retention thread; waits for it. InvalidArgument for an
  // empty identity; FailedPrecondition as SweepNow.
  StatusOr<ErasureResult> Erase(const std::string& identity, bool dry_run,
                                const std::string& source = "");

  // Whether `id` is being recorded now. Any thread.
  bool InProgress(const std::string& id) const;

 private:
  struct Recording;
  // Runs `work` on the media thread and waits for it.
  template <class T>
  T OnMedia(std::function<T()> work);
  // The same on the retention thread.
  template <class T>
  T OnRetention(std::function<T()> work);
  StatusOr<RecordingInfo> StartOnMedia(RecordingInfo info);
  StatusOr<RecordingInfo> StartSessionOnMedia(RecordingInfo info);
  Status StopOnMedia(const std::string& id);
  // Ends `rec`'s session (the client told to leave already) and reports it. Media thread.
  Status EndSession(Recording& rec, const std::string& reason);
  // New senders seen in `id`'s room: added to its catalogue entry. Media thread.
  void AddParticipants(const std::string& id, std::vector<std::string> names);
  void ArmSweep();
  SweepResult SweepOnRetention();
  void Audit(audit::Event event) const;
  // The sweeper's JSON events as audit events.
  void AuditDeletion(const nlohmann::json& event) const;
  control::HttpResponse HandleErasure(const control::HttpRequest& request);

  const RecorderConfig config_;
  const std::string api_token_;
  const std::string mcu_token_;
  SinkFactory sinks_;
  Clock& clock_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::map<std::string, std::unique_ptr<Recording>> recordings_;  // on the media thread
  bool accepting_ = true;                                         // on the media thread
  RecorderAuditFn audit_;
  std::function<void(const SweepResult&)> sweep_observer_;

  // Ids being recorded: written on the media thread (before the key store entry exists, and
  // after the recording's file is closed), read by the sweeper on the retention thread.
  mutable std::mutex active_mu_;
  std::set<std::string> active_;

  // Retention: the key store (none without key_store_dir; it holds no state, so the media thread
  // updates running recordings' entries through it too), the sweeper and its timer (retention
  // thread).
  std::optional<KeyStore> store_;
  std::optional<Sweeper> sweeper_;
  boost::asio::io_context retention_io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      retention_work_;
  boost::asio::steady_timer sweep_timer_;
  std::thread retention_thread_;
};

}  // namespace tessera::recorder
