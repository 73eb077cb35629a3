#include "recorder/key_store_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace tessera::recorder {
namespace {

std::string ParentDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteAll(int fd, const char* data, size_t size, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("cannot write", path, errno);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

std::string Quoted(std::string_view s) {
  std::string q;
  q.reserve(s.size() + 2);
  q.push_back('"');
  q.append(s);
  q.push_back('"');
  return q;
}

Status ErrnoError(const std::string& what, const std::string& path, int err) {
  const std::string text = what + " " + path + ": " + std::strerror(err);
  return err == ENOENT ? NotFoundError(text) : FailedPreconditionError(text);
}

StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes, bool private_only) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return FailedPreconditionError(path + ": not a regular file");
  }
  if (private_only && (st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return PermissionDeniedError(path + ": holds keys but group or others may access it (mode " +
                                 mode + "); run chmod 600 " + path);
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
    if (text.size() > max_bytes) {
      ::close(fd);
      return InvalidArgumentError(path + ": larger than " + std::to_string(max_bytes) +
                                  " bytes; not the expected file");
    }
  }
  ::close(fd);
  return text;
}

Status SyncParentDirectory(const std::string& path) {
  const std::string dir = ParentDirectory(path);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoError("cannot sync directory", dir, err);
  return Status::Ok();
}

Status WriteFileAtomically(const std::string& path, const std::string& text, bool must_not_exist) {
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());  // 0600, and O_EXCL: no one else's file is followed
  if (fd < 0) return ErrnoError("cannot create a temporary file for", path, errno);
  Status s = WriteAll(fd, text.data(), text.size(), tmp);
  if (s.ok() && ::fchmod(fd, 0600) != 0) s = ErrnoError("cannot chmod", tmp, errno);
  if (s.ok() && ::fsync(fd) != 0) s = ErrnoError("cannot sync", tmp, errno);
  ::close(fd);
  if (s.ok()) {
    if (must_not_exist) {
      // link(2) fails with EEXIST instead of replacing: the no-clobber rename.
      if (::link(tmp.c_str(), path.c_str()) != 0) {
        s = errno == EEXIST ? Status(StatusCode::kAlreadyExists, path + " already exists")
                            : ErrnoError("cannot create", path, errno);
      }
    } else if (::rename(tmp.c_str(), path.c_str()) != 0) {
      s = ErrnoError("cannot replace", path, errno);
    }
  }
  ::unlink(tmp.c_str());  // after rename: ENOENT, harmless
  if (!s.ok()) return s;
  return SyncParentDirectory(path);
}

Status ShredFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return ErrnoError("cannot open", path, errno);
  struct stat st {};
  Status s;
  if (::fstat(fd, &st) != 0) s = ErrnoError("cannot stat", path, errno);
  if (s.ok() && S_ISREG(st.st_mode) && st.st_size > 0) {
    const std::vector<char> zeros(static_cast<size_t>(st.st_size), 0);
    s = WriteAll(fd, zeros.data(), zeros.size(), path);
    if (s.ok() && ::fsync(fd) != 0) s = ErrnoError("cannot sync", path, errno);
  }
  ::close(fd);
  // Unlinked even when the overwrite failed: what decides is that the key is gone.
  Status removed = RemoveFile(path);
  return s.ok() ? removed : s;
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return ErrnoError("cannot delete", path, errno);
  return SyncParentDirectory(path);
}

}  // namespace tessera::recorder
