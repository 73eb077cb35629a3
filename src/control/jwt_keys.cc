// The key file of jwt.h: loading, checking, generating keys and adding them to the file.
#include <fcntl.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <tessera/control/jwt.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <utility>

#include "control/base64url.h"
#include "control/jwt_crypto.h"

namespace tessera::control {
namespace {

constexpr size_t kMaxKeyFileBytes = 1 << 20;
constexpr size_t kMaxKidLength = 128;
constexpr size_t kMaxSecretBytes = 1024;

// Printable ASCII without spaces or quotes: a kid is logged and compared, never interpreted.
bool ValidKid(const std::string& kid) {
  if (kid.empty() || kid.size() > kMaxKidLength) return false;
  for (char c : kid) {
    if (c <= ' ' || c > '~' || c == '"' || c == '\\') return false;
  }
  return true;
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

Status ErrnoError(const std::string& what, const std::string& path, int err) {
  const std::string text = what + " " + path + ": " + std::strerror(err);
  return err == ENOENT ? NotFoundError(text) : FailedPreconditionError(text);
}

StatusOr<std::string> ReadSmallFile(const std::string& path, bool warn_if_shared) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return FailedPreconditionError(path + ": not a regular file");
  }
  if (warn_if_shared && (st.st_mode & 077) != 0) {
    spdlog::warn("{}: keys file is readable or writable by group or others (mode {:o}); chmod 600",
                 path, st.st_mode & 0777);
  }
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return ErrnoError("cannot read", path, err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxKeyFileBytes) {
      ::close(fd);
      return InvalidArgumentError(path + ": larger than 1 MiB; not a keys file");
    }
  }
  ::close(fd);
  return text;
}

// One entry of "keys". `where` is "<file>: keys[i]" (plus the kid once known).
StatusOr<JwtKey> ParseKey(const nlohmann::json& entry, std::string where) {
  if (!entry.is_object()) return InvalidArgumentError(where + ": not a JSON object");
  static const std::set<std::string> kFields = {"kid", "alg", "secret", "public_key_pem",
                                                "private_key_pem"};
  for (auto it = entry.begin(); it != entry.end(); ++it) {
    if (!kFields.count(it.key())) {
      return InvalidArgumentError(where + ": unknown field " + Quoted(it.key()) +
                                  " (expected kid, alg, secret, public_key_pem, private_key_pem)");
    }
  }
  JwtKey key;
  auto kid = entry.find("kid");
  if (kid == entry.end() || !kid->is_string()) {
    return InvalidArgumentError(where + ": \"kid\" missing or not a string");
  }
  key.kid = kid->get<std::string>();
  if (!ValidKid(key.kid)) {
    return InvalidArgumentError(where +
                                ": \"kid\" must be 1 to 128 printable ASCII characters without "
                                "spaces, quotes or backslashes");
  }
  where += " (kid " + Quoted(key.kid) + ")";

  auto alg_it = entry.find("alg");
  if (alg_it == entry.end() || !alg_it->is_string()) {
    return InvalidArgumentError(where + ": \"alg\" missing or not a string");
  }
  const auto alg = JwtAlgFromName(alg_it->get<std::string>());
  if (!alg) {
    return InvalidArgumentError(where + ": alg " + Quoted(alg_it->get<std::string>()) +
                                " is not HS256 or ES256");
  }
  key.alg = *alg;

  auto string_field = [&entry](const char* name) -> std::optional<std::string> {
    auto it = entry.find(name);
    if (it == entry.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  for (const char* name : {"secret", "public_key_pem", "private_key_pem"}) {
    if (entry.contains(name) && !entry.at(name).is_string()) {
      return InvalidArgumentError(where + ": " + Quoted(name) + " is not a string");
    }
  }

  switch (key.alg) {
    case JwtKey::Alg::kHs256: {
      if (entry.contains("public_key_pem") || entry.contains("private_key_pem")) {
        return InvalidArgumentError(where + ": an HS256 key has a \"secret\", not PEM keys");
      }
      auto secret = string_field("secret");
      if (!secret) return InvalidArgumentError(where + ": HS256 key without \"secret\"");
      // Tolerates the '=' padding some tools add; the rest is strict base64url.
      std::string_view text = *secret;
      while (!text.empty() && text.back() == '=') text.remove_suffix(1);
      auto raw = Base64UrlDecode(text);
      if (!raw) return InvalidArgumentError(where + ": \"secret\" is not base64url");
      if (raw->size() < kMinHs256SecretBytes) {
        return InvalidArgumentError(where + ": secret decodes to " + std::to_string(raw->size()) +
                                    " bytes; HS256 needs at least 32");
      }
      if (raw->size() > kMaxSecretBytes) {
        return InvalidArgumentError(where + ": secret longer than 1024 bytes");
      }
      key.secret = std::move(*raw);
      break;
    }
    case JwtKey::Alg::kEs256: {
      if (entry.contains("secret")) {
        return InvalidArgumentError(where + ": an ES256 key has PEM keys, not a \"secret\"");
      }
      auto public_pem = string_field("public_key_pem");
      if (!public_pem)
        return InvalidArgumentError(where + ": ES256 key without \"public_key_pem\"");
      auto public_key = ReadPublicKeyPem(*public_pem);
      if (!public_key.ok()) {
        return InvalidArgumentError(where + ": public_key_pem: " + public_key.status().message());
      }
      if (!IsP256(public_key->get())) {
        return InvalidArgumentError(where + ": public_key_pem is not an EC P-256 key");
      }
      key.public_key = *public_key;
      if (auto private_pem = string_field("private_key_pem")) {
        auto private_key = ReadPrivateKeyPem(*private_pem);
        if (!private_key.ok()) {
          return InvalidArgumentError(where +
                                      ": private_key_pem: " + private_key.status().message());
        }
        if (!IsP256(private_key->get())) {
          return InvalidArgumentError(where + ": private_key_pem is not an EC P-256 key");
        }
        if (EVP_PKEY_eq(private_key->get(), key.public_key.get()) != 1) {
          return InvalidArgumentError(where +
                                      ": private_key_pem does not belong to public_key_pem");
        }
        key.private_key = *private_key;
      }
      break;
    }
  }
  return key;
}

// The file's entry for `key`, as ParseKey reads it back.
StatusOr<nlohmann::json> KeyToJson(const JwtKey& key) {
  nlohmann::json j = {{"kid", key.kid}, {"alg", JwtAlgName(key.alg)}};
  switch (key.alg) {
    case JwtKey::Alg::kHs256:
      j["secret"] = Base64UrlEncode(key.secret);
      break;
    case JwtKey::Alg::kEs256: {
      auto public_pem = WritePublicKeyPem(key.public_key.get());
      if (!public_pem.ok()) return public_pem.status();
      j["public_key_pem"] = *public_pem;
      if (key.private_key) {
        auto private_pem = WritePrivateKeyPem(key.private_key.get());
        if (!private_pem.ok()) return private_pem.status();
        j["private_key_pem"] = *private_pem;
      }
      break;
    }
  }
  return j;
}

Status WriteAll(int fd, const std::string& text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("cannot write", path, errno);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return ErrnoError("cannot sync", path, errno);
  return Status::Ok();
}

// The whole document, pretty-printed: a person reads it when rotating keys.
std::string Dump(const nlohmann::json& doc) { return doc.dump(2) + "\n"; }

// True: created. False: `path` already exists (nothing written).
StatusOr<bool> CreateNew(const std::string& path, const nlohmann::json& doc) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) return false;
  if (fd < 0) return ErrnoError("cannot create", path, errno);
  Status s = WriteAll(fd, Dump(doc), path);
  ::close(fd);
  if (!s.ok()) {
    ::unlink(path.c_str());
    return s;
  }
  return true;
}

// Writes next to `path` and renames over it: readers (a SIGHUP reload) never see half a file.
Status ReplaceAtomically(const std::string& path, const nlohmann::json& doc) {
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());  // creates the file 0600
  if (fd < 0) return ErrnoError("cannot create a temporary file for", path, errno);
  Status s = WriteAll(fd, Dump(doc), tmp);
  if (s.ok() && ::fchmod(fd, 0600) != 0) s = ErrnoError("cannot chmod", tmp, errno);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
    s = ErrnoError("cannot replace", path, errno);
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

}  // namespace

bool JwtKey::CanSign() const {
  switch (alg) {
    case Alg::kHs256:
      return !secret.empty();
    case Alg::kEs256:
      return private_key != nullptr;
  }
  return false;
}

const char* JwtAlgName(JwtKey::Alg alg) {
  switch (alg) {
    case JwtKey::Alg::kHs256:
      return "HS256";
    case JwtKey::Alg::kEs256:
      return "ES256";
  }
  return "?";
}

std::optional<JwtKey::Alg> JwtAlgFromName(const std::string& name) {
  if (name == "HS256") return JwtKey::Alg::kHs256;
  if (name == "ES256") return JwtKey::Alg::kEs256;
  return std::nullopt;
}

StatusOr<std::vector<JwtKey>> ParseJwtKeys(const std::string& text, const std::string& source) {
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgumentError(source + ": not valid JSON");
  if (!doc.is_object()) return InvalidArgumentError(source + ": not a JSON object");
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "keys") {
      return InvalidArgumentError(source + ": unknown field " + Quoted(it.key()) +
                                  " (expected keys)");
    }
  }
  auto list = doc.find("keys");
  if (list == doc.end() || !list->is_array()) {
    return InvalidArgumentError(source + ": \"keys\" missing or not an array");
  }
  if (list->empty()) return InvalidArgumentError(source + ": \"keys\" is empty");
  std::vector<JwtKey> keys;
  std::set<std::string> kids;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string where = source + ": keys[" + std::to_string(i) + "]";
    auto key = ParseKey((*list)[i], where);
    if (!key.ok()) return key.status();
    if (!kids.insert(key->kid).second) {
      return InvalidArgumentError(where + ": duplicate kid " + Quoted(key->kid));
    }
    keys.push_back(std::move(*key));
  }
  return keys;
}

StatusOr<std::vector<JwtKey>> LoadJwtKeys(const std::string& path) {
  auto text = ReadSmallFile(path, /*warn_if_shared=*/true);
  if (!text.ok()) return text.status();
  return ParseJwtKeys(*text, path);
}

StatusOr<JwtKey> GenerateJwtKey(JwtKey::Alg alg, const std::string& kid) {
  if (!ValidKid(kid)) {
    return InvalidArgumentError("kid " + Quoted(kid) +
                                " must be 1 to 128 printable ASCII characters without spaces, "
                                "quotes or backslashes");
  }
  JwtKey key;
  key.kid = kid;
  key.alg = alg;
  switch (alg) {
    case JwtKey::Alg::kHs256: {
      auto secret = RandomBytes(kMinHs256SecretBytes);
      if (!secret) return InternalError("RAND_bytes could not generate an HS256 key");
      key.secret = std::move(*secret);
      break;
    }
    case JwtKey::Alg::kEs256: {
      key.private_key = GenerateP256Key();
      if (!key.private_key) return InternalError("could not generate a P-256 key pair");
      auto public_key = PublicHalf(key.private_key.get());
      if (!public_key.ok()) return public_key.status();
      key.public_key = *public_key;
      break;
    }
  }
  return key;
}

Status CreateKeyFile(const std::string& path, JwtKey::Alg alg, const std::string& kid) {
  auto key = GenerateJwtKey(alg, kid);
  if (!key.ok()) return key.status();
  auto entry = KeyToJson(*key);
  if (!entry.ok()) return entry.status();

  // A new file, if there is none: O_EXCL, so a file that appears meanwhile is never clobbered.
  nlohmann::json doc = {{"keys", nlohmann::json::array({*entry})}};
  auto created = CreateNew(path, doc);
  if (!created.ok()) return created.status();
  if (*created) return Status::Ok();

  // It exists: add the key to what is there, after checking that what is there loads.
  auto text = ReadSmallFile(path, /*warn_if_shared=*/false);
  if (!text.ok()) return text.status();
  auto keys = ParseJwtKeys(*text, path);
  if (!keys.ok()) return keys.status();
  for (const JwtKey& existing : *keys) {
    if (existing.kid == kid) {
      return Status(StatusCode::kAlreadyExists, path + ": kid " + Quoted(kid) + " already exists");
    }
  }
  doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  doc["keys"].push_back(*entry);
  return ReplaceAtomically(path, doc);
}

std::string NewKid() {
  auto raw = RandomBytes(9);
  if (!raw) {
    // Only a kid, not a secret: unique enough from the clock and the process if the CSPRNG fails.
    raw = std::to_string(::getpid()) + "-" + std::to_string(::time(nullptr));
  }
  return Base64UrlEncode(*raw);
}

}  // namespace tessera::control
