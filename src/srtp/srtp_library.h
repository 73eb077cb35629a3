// The one wrapper around libsrtp2: global initialisation, error codes as text, and an owning
// handle for srtp_t. Everything else in Tessera reaches libsrtp through this file.
//
// It belongs to the deps layer (one module per C library) and lives in tessera::deps; the file
// sits in src/srtp/ because tessera_srtp is the CMake target that links libsrtp2.
#pragma once

#include <srtp2/srtp.h>
#include <tessera/base/status.h>

#include <memory>

namespace tessera::deps {

// Runs srtp_init() exactly once per process (std::call_once) and returns its outcome; later calls
// return the same Status without touching libsrtp. Thread-safe. Also creates one idle context that
// keeps the crypto backend loaded between calls (see srtp_library.cc). libsrtp is never shut down:
// its global state lives until the process exits.
Status EnsureSrtpInitialized();

// A short, stable description of a libsrtp status code, e.g. "authentication failure". Never
// returns null; unknown codes give "unknown libsrtp error".
const char* SrtpErrorText(srtp_err_status_t status);

// "<context>: <text> (libsrtp error <code>)" as an INTERNAL Status, for the control plane.
Status SrtpError(const char* context, srtp_err_status_t status);

struct SrtpContextDeleter {
  void operator()(srtp_ctx_t* ctx) const;
};

// Owns one srtp_t; srtp_dealloc() on destruction.
using UniqueSrtpContext = std::unique_ptr<srtp_ctx_t, SrtpContextDeleter>;

}  // namespace tessera::deps
