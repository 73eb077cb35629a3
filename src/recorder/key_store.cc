#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <tessera/base/base64.h>
#include <tessera/recorder/key_store.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "recorder/key_store_io.h"

namespace tessera::recorder {
namespace {

constexpr size_t kMaxEntryBytes = 4 << 20;  // thousands of participants fit
constexpr size_t kMaxRecordingIdLength = 128;
constexpr int kEntryVersion = 1;
constexpr std::string_view kKeySuffix = ".key";

// An exclusive lock on the store's directory for a read-modify-write of an entry or its
// destruction: the running recorder's sweeper and Update, and the offline rewrap, sweep and erase
// of tessera-recorder may run at once; without it a rewrap or an update that read an entry
// before the sweeper shredded it would write the destroyed key back (and every backup of the
// recording would open again). Unlocked (and logged by the caller's error) when the directory
// cannot be opened.
class StoreLock {
 public:
  explicit StoreLock(const std::string& directory)
      : fd_(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~StoreLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  int fd_;
};

nlohmann::json ToJson(const RecordingEntry& e) {
  return {
      {"version", kEntryVersion},
      {"id", e.id},
      {"room", e.room},
      {"profile", e.profile},
      {"region", e.region},
      {"started", FormatRfc3339(e.started_s)},
      {"ended", e.ended_s ? nlohmann::json(FormatRfc3339(*e.ended_s)) : nlohmann::json(nullptr)},
      {"expires", FormatRfc3339(e.expires_s)},
      {"participants", e.participants},
      {"kek_id", e.wrapped_key.kek_id},
      {"wrapped_key", EncodeBase64(e.wrapped_key.bytes)},
  };
}

StatusOr<RecordingEntry> FromJson(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgumentError("not a JSON object");
  auto text_field = [&j](const char* name) -> std::optional<std::string> {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto time_field = [&](const char* name) -> std::optional<int64_t> {
    auto s = text_field(name);
    return s ? ParseRfc3339(*s) : std::nullopt;
  };
  RecordingEntry e;
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer() || version->get<int>() != kEntryVersion) {
    return InvalidArgumentError("\"version\" is not 1 (written by a newer recorder?)");
  }
  for (const char* name : {"id", "room", "profile", "region", "kek_id", "wrapped_key"}) {
    if (!text_field(name)) return InvalidArgumentError(Quoted(name) + " missing or not a string");
  }
  e.id = *text_field("id");
  e.room = *text_field("room");
  e.profile = *text_field("profile");
  e.region = *text_field("region");
  e.wrapped_key.kek_id = *text_field("kek_id");
  auto started = time_field("started");
  auto expires = time_field("expires");
  if (!started || !expires) {
    return InvalidArgumentError("\"started\" or \"expires\" missing or not an RFC 3339 time");
  }
  e.started_s = *started;
  e.expires_s = *expires;
  auto ended = j.find("ended");
  if (ended != j.end() && !ended->is_null()) {
    e.ended_s = time_field("ended");
    if (!e.ended_s) return InvalidArgumentError("\"ended\" is neither null nor an RFC 3339 time");
  }
  auto participants = j.find("participants");
  if (participants == j.end() || !participants->is_array()) {
    return InvalidArgumentError("\"participants\" missing or not an array");
  }
  for (const auto& p : *participants) {
    if (!p.is_string()) return InvalidArgumentError("\"participants\" holds a non-string");
    e.participants.push_back(p.get<std::string>());
  }
  auto wrapped = DecodeBase64(*text_field("wrapped_key"), 4096);
  if (!wrapped) return InvalidArgumentError("\"wrapped_key\" is not base64");
  e.wrapped_key.bytes = std::move(*wrapped);
  return e;
}

void SortUnique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

bool ValidRecordingId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRecordingIdLength || id.front() == '.') return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

KeyStore::KeyStore(std::string directory) : directory_(std::move(directory)) {
  while (directory_.size() > 1 && directory_.back() == '/') directory_.pop_back();
}

std::string KeyStore::PathFor(const std::string& id) const {
  return directory_ + "/" + id + std::string(kKeySuffix);
}

Status KeyStore::Write(const RecordingEntry& entry, bool must_not_exist) {
  return WriteFileAtomically(PathFor(entry.id), ToJson(entry).dump(2) + "\n", must_not_exist);
}

StatusOr<SecretKey> KeyStore::Create(RecordingEntry entry, const KeyWrapper& wrapper) {
  if (!ValidRecordingId(entry.id)) {
    return InvalidArgumentError("recording id " + Quoted(entry.id) +
                                " is not 1 to 128 characters of A-Z a-z 0-9 . _ - (not starting "
                                "with '.')");
  }
  auto key = SecretKey::Random();
  if (!key.ok()) return key.status();
  auto wrapped = wrapper.Wrap(*key, entry.id);
  if (!wrapped.ok()) return wrapped.status();
  entry.wrapped_key = std::move(*wrapped);
  SortUnique(entry.participants);
  Status s = Write(entry, /*must_not_exist=*/true);
  if (s.code() == StatusCode::kAlreadyExists) {
    return Status(StatusCode::kAlreadyExists, "recording " + Quoted(entry.id) +
                                                  " has a key already (" + PathFor(entry.id) +
                                                  "); recording ids are never reused");
  }
  if (!s.ok()) return s;
  return key;
}

StatusOr<RecordingEntry> KeyStore::Load(const std::string& id) const {
  if (!ValidRecordingId(id)) return InvalidArgumentError("not a recording id: " + Quoted(id));
  const std::string path = PathFor(id);
  auto text = ReadSmallFile(path, kMaxEntryBytes, /*private_only=*/false);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return NotFoundError("the key of recording " + Quoted(id) + " was destroyed (retention or " +
                           "erasure) or never existed: " + path +
                           " is missing, so the recording cannot be decrypted by anyone");
    }
    return text.status();
  }
  auto entry = FromJson(*text);
  if (!entry.ok()) return InvalidArgumentError(path + ": " + entry.status().message());
  if (entry->id != id) {
    return InvalidArgumentError(path + ": holds the entry of recording " + Quoted(entry->id) +
                                ", not " + Quoted(id));
  }
  return entry;
}

Status KeyStore::Update(const std::string& id, const EntryUpdate& update) {
  const StoreLock lock(directory_);
  auto entry = Load(id);
  if (!entry.ok()) return entry.status();
  if (update.ended_s) entry->ended_s = update.ended_s;
  entry->participants.insert(entry->participants.end(), update.add_participants.begin(),
                             update.add_participants.end());
  SortUnique(entry->participants);
  return Write(*entry, /*must_not_exist=*/false);
}

Status KeyStore::Destroy(const std::string& id) {
  if (!ValidRecordingId(id)) return InvalidArgumentError("not a recording id: " + Quoted(id));
  const StoreLock lock(directory_);
  return ShredFile(PathFor(id));
}

EntryList KeyStore::List() const {
  EntryList out;
  DIR* dir = ::opendir(directory_.c_str());
  if (dir == nullptr) {
    out.problems.push_back(ErrnoError("cannot list", directory_, errno).message());
    return out;
  }
  std::vector<std::string> ids;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name.size() <= kKeySuffix.size() || !name.ends_with(kKeySuffix)) continue;
    const std::string id(name.substr(0, name.size() - kKeySuffix.size()));
    if (ValidRecordingId(id)) ids.push_back(id);  // temporary files end in .tmp.XXXXXX
  }
  ::closedir(dir);
  std::sort(ids.begin(), ids.end());
  for (const auto& id : ids) {
    auto entry = Load(id);
    if (entry.ok()) {
      out.entries.push_back(std::move(*entry));
    } else if (entry.status().code() != StatusCode::kNotFound) {  // deleted meanwhile: fine
      out.problems.push_back(entry.status().message());
    }
  }
  return out;
}

StatusOr<SecretKey> KeyStore::DataKey(const std::string& id, const KeyWrapper& wrapper) const {
  auto entry = Load(id);
  if (!entry.ok()) return entry.status();
  return wrapper.Unwrap(entry->wrapped_key, id);
}

RewrapResult KeyStore::Rewrap(const KeyWrapper& wrapper) {
  RewrapResult result;
  const std::string active = wrapper.ActiveKeyId();
  EntryList list = List();
  result.problems = std::move(list.problems);
  for (auto& entry : list.entries) {
    if (entry.wrapped_key.kek_id == active) {
      ++result.already_active;
      continue;
    }
    auto key = wrapper.Unwrap(entry.wrapped_key, entry.id);
    if (!key.ok()) {
      result.problems.push_back(key.status().message());
      continue;
    }
    auto wrapped = wrapper.Wrap(*key, entry.id);
    if (!wrapped.ok()) {
      result.problems.push_back(entry.id + ": " + wrapped.status().message());
      continue;
    }
    entry.wrapped_key = std::move(*wrapped);
    // Destroyed meanwhile (the sweeper): checked under the store's lock, which Destroy takes too,
    // so a shredded key is never written back.
    const StoreLock lock(directory_);
    if (!Load(entry.id).ok()) continue;
    Status s = Write(entry, /*must_not_exist=*/false);
    if (!s.ok()) {
      result.problems.push_back(s.message());
      continue;
    }
    ++result.rewrapped;
  }
  return result;
}

}  // namespace tessera::recorder
