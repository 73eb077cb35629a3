// Retention and erasure of recordings, and where each region's recordings live.
//
// Deleting a recording means crypto-shredding it: its key store entry is destroyed first, which
// makes the recording file, and every copy of it on backups, unreadable at once; the file is
// removed after. A deletion record (`<store>/<id>.deleted`) is written first, so a crash between
// the two leaves an unreadable file that the next sweep recognises and removes as an orphan. Each
// deletion is reported through the audit hook.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/status.h>
#include <tessera/recorder/key_store.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tessera::recorder {

inline constexpr int64_t kDefaultRetentionS = 30 * 24 * 3600;

// How long each room's recordings are kept.
struct RetentionPolicy {
  int64_t default_s = kDefaultRetentionS;
  std::map<std::string, int64_t> per_room_s;  // room name -> seconds

  int64_t ForRoom(const std::string& room) const;
  // When a recording of `room` started at `started_s` expires.
  int64_t ExpiresAt(const std::string& room, int64_t started_s) const;
};

// Region tag -> the directory that region's recordings are stored in. A recording whose region
// has no location is refused: it is never put somewhere else (data residency).
class StorageLocations {
 public:
  StorageLocations() = default;
  explicit StorageLocations(std::map<std::string, std::string> directories)
      : directories_(std::move(directories)) {}

  void Set(const std::string& region, const std::string& directory);
  // The directory for `region`; kFailedPrecondition naming the region when there is none.
  StatusOr<std::string> DirectoryFor(const std::string& region) const;
  // `<directory of region>/<id>.tsrec`, or DirectoryFor's error.
  StatusOr<std::string> RecordingPath(const std::string& region, const std::string& id) const;
  const std::map<std::string, std::string>& directories() const { return directories_; }

 private:
  std::map<std::string, std::string> directories_;
};

// Unix seconds from the clock's wall time.
int64_t UnixSeconds(const Clock& clock);

// Receives one JSON object per deletion: {"event":"recording.deleted","recording":ID,"room":..,
// "region":..,"reason":"retention"|"erasure"|"orphan","identity":.. (erasure only),
// "expires":.., "result":"ok"|"failed", "details":..}. Called on the sweeping thread.
using AuditHook = std::function<void(const nlohmann::json& event)>;

struct SweepResult {
  std::vector<std::string> deleted;   // recording ids whose keys were destroyed
  std::vector<std::string> problems;  // what failed, and what to do
  // Recordings left alone because they are still being recorded (InProgress said so): an erasure
  // names them so that the operator stops them first and erases again.
  std::vector<std::string> in_progress;
};

// True while recording `id` is being written (the running recorder's own recordings). Called on
// the sweeping thread; must be thread-safe.
using InProgress = std::function<bool(const std::string& id)>;

// Deletes expired recordings, and a person's recordings on request.
// Runs on: one thread (a timer on the recorder's control thread, or the CLI); do not run two
// sweepers over the same key store at once.
class Sweeper {
 public:
  Sweeper(KeyStore& store, StorageLocations locations, const Clock& clock, AuditHook audit);

  // Recordings for which `in_progress` is true are never deleted: neither when expired (the next
  // sweep after their end takes them) nor by Erase (listed in SweepResult::in_progress). It is
  // asked just before each deletion, so a recording that ends meanwhile is deleted. None (the
  // offline CLI): nothing is in progress.
  void SetInProgress(InProgress in_progress) { in_progress_ = std::move(in_progress); }

  // Deletes every recording whose expiry is at or before now, then removes recording files
  // that have no key any more (left by a crash between the two steps).
  SweepResult Sweep();

  // The recordings `identity` took part in (matched exactly).
  std::vector<RecordingEntry> FindByIdentity(const std::string& identity) const;

  // Deletes those recordings (right to erasure): the whole recording, not just that person's
  // media, since a mixed recording cannot be split.
  SweepResult Erase(const std::string& identity);

 private:
  void Delete(const RecordingEntry& entry, const std::string& reason, const std::string& identity,
              SweepResult& result);
  void RemoveOrphans(SweepResult& result);
  std::string DeletionRecordPath(const std::string& id) const;

  KeyStore& store_;
  StorageLocations locations_;
  const Clock& clock_;
  AuditHook audit_;
  InProgress in_progress_;
};

}  // namespace tessera::recorder
