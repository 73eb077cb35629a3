// The key store: one JSON file per recording, `<dir>/<recording-id>.key`, holding the recording's
// wrapped data key and its catalogue entry (room, region, times, who took part). The data key is
// never inside the recording file: destroying this file (retention, erasure) leaves every copy of
// the recording, backups included, unreadable. Keep this directory out of the recordings' backups,
// or on a backup with the same retention.
//
// Runs on: any thread, one call at a time per recording id (the recorder owns its recording's
// entry until it ends; the sweeper only touches expired or erased ones). Each call reads or
// replaces whole files, so concurrent readers see the old entry or the new one.
#pragma once

#include <tessera/base/status.h>
#include <tessera/base/time_format.h>
#include <tessera/recorder/key_ring.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::recorder {

// One recording's catalogue entry. Times are Unix seconds (UTC); the file holds RFC 3339.
struct RecordingEntry {
  std::string id;  // also the file names: see ValidRecordingId
  std::string room;
  std::string profile;  // the video profile it was recorded with
  std::string region;   // where it must be stored (retention.h StorageLocations)
  int64_t started_s = 0;
  std::optional<int64_t> ended_s;         // none while recording, or after a crash
  int64_t expires_s = 0;                  // the sweeper deletes it from then on
  std::vector<std::string> participants;  // identities, sorted, each once
  WrappedKey wrapped_key;                 // filled in by KeyStore::Create
};

// What KeyStore::Update changes.
struct EntryUpdate {
  std::optional<int64_t> ended_s;
  std::vector<std::string> add_participants;  // merged into the list, duplicates dropped
};

struct EntryList {
  std::vector<RecordingEntry> entries;  // by id
  std::vector<std::string> problems;    // entries that could not be read, each with its path
};

struct RewrapResult {
  size_t rewrapped = 0;               // moved onto the active KEK
  size_t already_active = 0;          // wrapped under it already
  std::vector<std::string> problems;  // entries left as they were, and why
};

// 1 to 128 characters of A-Z a-z 0-9 . _ -, not starting with '.': safe as a file name.
bool ValidRecordingId(std::string_view id);

class KeyStore {
 public:
  explicit KeyStore(std::string directory);

  const std::string& directory() const { return directory_; }
  std::string PathFor(const std::string& id) const;

  // Writes a new entry with a fresh random data key wrapped by `wrapper` (entry.wrapped_key is
  // ignored and set) and returns the data key for the recording's writer. kAlreadyExists if the
  // id has an entry. Written atomically and fsynced before returning: the key is on disk before
  // any chunk it encrypts.
  StatusOr<SecretKey> Create(RecordingEntry entry, const KeyWrapper& wrapper);

  // kNotFound, saying the key was destroyed (or never existed), when there is no entry.
  StatusOr<RecordingEntry> Load(const std::string& id) const;

  // Sets `ended` and adds participants; the file is replaced atomically. kNotFound if the entry
  // is gone (a destroyed key is never brought back).
  Status Update(const std::string& id, const EntryUpdate& update);

  // Crypto-shreds the recording: overwrites the entry with zeros, unlinks it and fsyncs the
  // directory. From then on no copy of the recording decrypts. kNotFound if absent.
  Status Destroy(const std::string& id);

  // Every entry in the directory.
  EntryList List() const;

  // The recording's data key, unwrapped. The errors say which of "the key was destroyed", "the
  // KEK is not in the key file" and "the KEK does not open it" happened.
  StatusOr<SecretKey> DataKey(const std::string& id, const KeyWrapper& wrapper) const;

  // Key rotation: every entry wrapped under another KEK is unwrapped and wrapped again under the
  // wrapper's active KEK (each file replaced atomically). Old KEKs can then be retired from the key
  // file once the backups that hold entries wrapped under them have expired.
  RewrapResult Rewrap(const KeyWrapper& wrapper);

 private:
  Status Write(const RecordingEntry& entry, bool must_not_exist);

  std::string directory_;
};

}  // namespace tessera::recorder
