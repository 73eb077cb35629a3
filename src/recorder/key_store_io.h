// File handling shared by the key ring, the key store and retention: small secret files read with
// a permission check, written atomically, and destroyed by overwriting before the unlink.
// Runs on: any thread (no shared state); callers serialise access to one path.
#pragma once

#include <tessera/base/status.h>

#include <cstddef>
#include <string>

namespace tessera::recorder {

// "<what> <path>: <strerror>"; kNotFound for ENOENT, kFailedPrecondition otherwise.
Status ErrnoError(const std::string& what, const std::string& path, int err);
// s in double quotes, for messages (appended, not concatenated: GCC 12 at -O3 warns wrongly of
// "\"" + std::string(s), bug 105651).
std::string Quoted(std::string_view s);

// The whole of a regular file of at most `max_bytes`. With `private_only`, a file that group or
// others may read or write is refused (kPermissionDenied, naming the chmod that fixes it).
StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes, bool private_only);

// Writes `text` to a temporary file in the same directory (0600), fsyncs it, moves it to `path`
// and fsyncs the directory: a reader or a crash sees the old file or the new one, never half.
// With `must_not_exist`, kAlreadyExists instead of replacing an existing `path` (link(2), atomic).
Status WriteFileAtomically(const std::string& path, const std::string& text, bool must_not_exist);

// Overwrites the file with zeros, fsyncs, unlinks it and fsyncs its directory. Overwriting is
// best effort (a copy-on-write or journalling file system, an SSD's remapping may keep the old
// blocks); for key files the rest of the design does not rely on it. kNotFound if absent.
Status ShredFile(const std::string& path);

// Unlinks and fsyncs the directory. kNotFound if absent.
Status RemoveFile(const std::string& path);

// fsync of the directory holding `path`, so a create, rename or unlink survives a power cut.
Status SyncParentDirectory(const std::string& path);

}  // namespace tessera::recorder
