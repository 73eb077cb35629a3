// The audit trail (docs/security.md, "Audit trail"): who did what, from where, with what result,
// as a hash-chained JSON-lines file with signed checkpoints, optionally forwarded to a SIEM over
// RFC 5424 syslog.
//
// Appending never blocks the caller: events go through a bounded queue to one writer thread,
// which writes each batch and fdatasyncs it before anything else is written. A full queue drops
// the event and counts it; the next line written is an "audit.dropped" event with the count, so
// the gap is itself on record. A failed write is undone (the file is cut back to its last synced
// size) and its events are counted as dropped the same way.
//
// Metrics: tessera_audit_events_total{event}, tessera_audit_events_dropped_total,
// tessera_audit_write_errors_total, tessera_audit_forward_errors_total.
#pragma once

#include <tessera/audit/keys.h>
#include <tessera/base/clock.h>
#include <tessera/base/status.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace tessera::audit {

// One thing that happened. Its line is `{...envelope...,"event":<name>,<fields in order>,...}`.
struct Event {
  Event() = default;
  explicit Event(std::string event_name) : name(std::move(event_name)) {}

  // Adds (or replaces) a field, keeping the order fields were first set in. The envelope's
  // names (seq, time, prev, type, event, alg, key_id, sig, hash) are not fields: Append leaves
  // them out.
  Event& Set(const std::string& key, nlohmann::ordered_json value) {
    fields[key] = std::move(value);
    return *this;
  }

  std::string name;  // "api.request", "room.created", ... (docs/security.md lists them)
  nlohmann::ordered_json fields = nlohmann::ordered_json::object();
  int64_t unix_ms = 0;  // when it happened; 0: Append stamps it with the log's clock
};

struct AuditLogOptions {
  std::string path;  // the log file; created (0600) when missing, else its chain resumes
  // The checkpoint key: an Ed25519 private key (PEM) or an HMAC key file (CheckpointSigner::Load).
  std::string key_file;
  // Or the signer itself (tests); used when set, key_file ignored.
  std::shared_ptr<const CheckpointSigner> signer;
  // The checkpoints' key_id; empty: the key's fingerprint.
  std::string key_id;
  uint32_t checkpoint_every = 100;      // event lines between checkpoints
  uint32_t checkpoint_interval_s = 60;  // at most this long between an event and its checkpoint
  size_t queue_capacity = 10000;        // events waiting for the writer
  // "host:port" ("[v6]:port"; port 514 when left out): each line also goes there as one RFC 5424
  // datagram; empty: no forwarding.
  std::string syslog;
  // What "time" and the checkpoint interval read; null: SystemClock(). Must be thread-safe (the
  // writer thread and Append's callers read it).
  const Clock* clock = nullptr;
};

// Runs on: Append and Dropped from any thread; Open, Flush, Pause, Resume and Close from one
// owner thread; the file, the chain state and the syslog socket on the writer thread only.
class AuditLog {
 public:
  // Opens (or creates) the file, takes an exclusive lock on it (a second writer is refused),
  // and resumes the chain from its last line. A last line without its '\n' (torn by a crash) is
  // moved to "<path>.torn-<time>" and the file cut back to the line before; then an
  // "audit.opened" line is written (and synced) saying what was resumed or recovered. Errors
  // name the file or key and what to do: an unreadable key, a last line that is not a sound audit
  // line (check it with tessera-audit verify), a file locked by another process.
  static StatusOr<std::unique_ptr<AuditLog>> Open(AuditLogOptions options);
  ~AuditLog();  // Close()
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues `event` for the writer. Never blocks on I/O (a short mutex only). False when the
  // queue is full (counted, and reported by the next audit.dropped line) or the log is closed.
  bool Append(Event event);

  // Blocks until every event appended before the call is written and synced, and a checkpoint
  // written if one is due by the clock. Not while paused (it would wait for Resume). Returns
  // false when a write failed since the last Flush.
  bool Flush();

  // The writer takes no more from the queue until Resume (the batch it is writing, if any, is
  // finished first). For tests of a full queue, and for a maintenance pause.
  void Pause();
  void Resume();

  // Writes what is queued, a final checkpoint, syncs and closes the file; joins the writer.
  // Idempotent.
  void Close();

  // Events dropped so far (a full queue or a failed write).
  uint64_t Dropped() const;

 private:
  struct Impl;
  explicit AuditLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::audit
