#include <dirent.h>
#include <spdlog/spdlog.h>
#include <tessera/recorder/retention.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "recorder/key_store_io.h"

namespace tessera::recorder {
namespace {

constexpr int64_t kNtpUnixOffsetSeconds = 2'208'988'800LL;
constexpr std::string_view kRecordingSuffix = ".tsrec";
constexpr std::string_view kDeletedSuffix = ".deleted";

}  // namespace

int64_t RetentionPolicy::ForRoom(const std::string& room) const {
  auto it = per_room_s.find(room);
  return it != per_room_s.end() ? it->second : default_s;
}

int64_t RetentionPolicy::ExpiresAt(const std::string& room, int64_t started_s) const {
  return started_s + ForRoom(room);
}

void StorageLocations::Set(const std::string& region, const std::string& directory) {
  directories_[region] = directory;
}

StatusOr<std::string> StorageLocations::DirectoryFor(const std::string& region) const {
  auto it = directories_.find(region);
  if (it == directories_.end()) {
    std::string known;
    for (const auto& [tag, dir] : directories_) known += (known.empty() ? "" : ", ") + tag;
    return FailedPreconditionError(
        "no storage location for region \"" + region +
        "\" (configured: " + (known.empty() ? std::string("none") : known) +
        "); the recording is refused rather than stored outside its region: add a location for it");
  }
  return it->second;
}

StatusOr<std::string> StorageLocations::RecordingPath(const std::string& region,
                                                      const std::string& id) const {
  auto dir = DirectoryFor(region);
  if (!dir.ok()) return dir.status();
  if (!ValidRecordingId(id)) return InvalidArgumentError("not a recording id: \"" + id + "\"");
  return *dir + "/" + id + std::string(kRecordingSuffix);
}

int64_t UnixSeconds(const Clock& clock) {
  return static_cast<int64_t>(clock.NowNtp().seconds) - kNtpUnixOffsetSeconds;
}

Sweeper::Sweeper(KeyStore& store, StorageLocations locations, const Clock& clock, AuditHook audit)
    : store_(store), locations_(std::move(locations)), clock_(clock), audit_(std::move(audit)) {}

SweepResult Sweeper::Sweep() {
  SweepResult result;
  const int64_t now = UnixSeconds(clock_);
  EntryList list = store_.List();
  result.problems = std::move(list.problems);
  for (const auto& entry : list.entries) {
    if (entry.expires_s > now) continue;
    if (in_progress_ && in_progress_(entry.id)) {
      // Expired while still recording (a recording longer than its retention): the first sweep
      // after its end deletes it.
      result.in_progress.push_back(entry.id);
      continue;
    }
    Delete(entry, "retention", "", result);
  }
  RemoveOrphans(result);
  return result;
}

std::vector<RecordingEntry> Sweeper::FindByIdentity(const std::string& identity) const {
  std::vector<RecordingEntry> found;
  for (auto& entry : store_.List().entries) {
    if (std::find(entry.participants.begin(), entry.participants.end(), identity) !=
        entry.participants.end()) {
      found.push_back(std::move(entry));
    }
  }
  return found;
}

SweepResult Sweeper::Erase(const std::string& identity) {
  SweepResult result;
  for (const auto& entry : FindByIdentity(identity)) {
    // A recording being written is never shredded under its writer: the operator stops it first.
    if (in_progress_ && in_progress_(entry.id)) {
      result.in_progress.push_back(entry.id);
      continue;
    }
    Delete(entry, "erasure", identity, result);
  }
  return result;
}

void Sweeper::Delete(const RecordingEntry& entry, const std::string& reason,
                     const std::string& identity, SweepResult& result) {
  nlohmann::json event = {{"event", "recording.deleted"},
                          {"recording", entry.id},
                          {"room", entry.room},
                          {"region", entry.region},
                          {"reason", reason},
                          {"expires", FormatRfc3339(entry.expires_s)}};
  if (!identity.empty()) event["identity"] = identity;
  // A deletion record before anything is removed: it is what lets a later sweep remove the file
  // if this one stops half way. A file without a key and without this record is left alone (a
  // sweep pointed at the wrong key store must not delete everything).
  const std::string marker = DeletionRecordPath(entry.id);
  Status marked = WriteFileAtomically(marker, event.dump() + "\n", /*must_not_exist=*/false);
  if (!marked.ok())
    spdlog::warn("recording {}: no deletion record: {}", entry.id, marked.message());
  // The key first: once it is gone the recording is unreadable everywhere, so a crash before the
  // file's removal leaves nothing readable behind.
  Status key = store_.Destroy(entry.id);
  if (!key.ok() && key.code() != StatusCode::kNotFound) {
    event["result"] = "failed";
    event["details"] = "key not destroyed: " + key.message();
    result.problems.push_back(entry.id + ": key not destroyed, recording kept: " + key.message());
    if (audit_) audit_(event);
    return;
  }
  result.deleted.push_back(entry.id);
  std::string details = "key destroyed";
  bool file_gone = false;
  auto path = locations_.RecordingPath(entry.region, entry.id);
  if (!path.ok()) {
    details += "; file not removed: " + path.status().message();
    result.problems.push_back(
        entry.id + ": key destroyed (unreadable), file left: " + path.status().message());
  } else {
    Status file = RemoveFile(*path);
    if (file.ok()) {
      details += "; file removed";
      file_gone = true;
    } else if (file.code() == StatusCode::kNotFound) {
      details += "; no file";
      file_gone = true;
    } else {
      details += "; file not removed: " + file.message();
      result.problems.push_back(entry.id +
                                ": key destroyed (unreadable), file left: " + file.message());
    }
  }
  if (marked.ok() && file_gone) (void)RemoveFile(marker);
  event["result"] = "ok";
  event["details"] = details;
  spdlog::info("recording {} deleted ({}): {}", entry.id, reason, details);
  if (audit_) audit_(event);
}

// A .tsrec without a key is unreadable: the rest of a deletion a crash interrupted. The key is
// always written before the file is created, so a recording being started is never one of them.
void Sweeper::RemoveOrphans(SweepResult& result) {
  std::set<std::string> seen_dirs;
  size_t unexplained = 0;
  for (const auto& [region, directory] : locations_.directories()) {
    if (!seen_dirs.insert(directory).second) continue;
    DIR* dir = ::opendir(directory.c_str());
    if (dir == nullptr) {
      result.problems.push_back(ErrnoError("cannot list", directory, errno).message());
      continue;
    }
    std::vector<std::string> ids;
    while (const dirent* d = ::readdir(dir)) {
      const std::string_view name = d->d_name;
      if (name.size() <= kRecordingSuffix.size() || !name.ends_with(kRecordingSuffix)) continue;
      const std::string id(name.substr(0, name.size() - kRecordingSuffix.size()));
      if (ValidRecordingId(id)) ids.push_back(id);
    }
    ::closedir(dir);
    for (const auto& id : ids) {
      auto entry = store_.Load(id);
      if (entry.ok() || entry.status().code() != StatusCode::kNotFound) continue;
      const std::string marker = DeletionRecordPath(id);
      if (::access(marker.c_str(), F_OK) != 0) {
        ++unexplained;
        continue;
      }
      const std::string path = directory + "/" + id + std::string(kRecordingSuffix);
      Status s = RemoveFile(path);
      if (s.ok()) (void)RemoveFile(marker);
      nlohmann::json event = {{"event", "recording.deleted"},
                              {"recording", id},
                              {"reason", "orphan"},
                              {"result", s.ok() ? "ok" : "failed"},
                              {"details", s.ok() ? "file without a key removed" : s.message()}};
      if (s.ok()) {
        result.deleted.push_back(id);
      } else {
        result.problems.push_back(s.message());
      }
      if (audit_) audit_(event);
    }
  }
  if (unexplained > 0) {
    result.problems.push_back(std::to_string(unexplained) + " recording files have no key in " +
                              store_.directory() +
                              " and no deletion record there: they are unreadable but were left "
                              "alone; check that the key store directory is the right one");
  }
}

std::string Sweeper::DeletionRecordPath(const std::string& id) const {
  return store_.directory() + "/" + id + std::string(kDeletedSuffix);
}

}  // namespace tessera::recorder
