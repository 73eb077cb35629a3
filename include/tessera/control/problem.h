// RFC 9457 problem details: every error the HTTP API answers, as application/problem+json
// {"type":"urn:tessera:problem:<slug>","title","status","detail"[,"errors"]} (docs/openapi.json,
// schema Problem).
#pragma once

#include <tessera/base/status.h>
#include <tessera/control/http.h>

#include <string>
#include <vector>

namespace tessera::control {

// `slug` names the kind ("not-found"); `title` is short and the same for every problem of a kind;
// `detail` says what went wrong with this request.
HttpResponse Problem(int status, std::string slug, std::string title, std::string detail);
// With "errors": one line per validation error (422).
HttpResponse Problem(int status, std::string slug, std::string title, std::string detail,
                     std::vector<std::string> errors);

// The answer to a service error: InvalidArgument 422 (its message's lines are the "errors"),
// NotFound 404, AlreadyExists / ResourceExhausted / FailedPrecondition 409, Unavailable 503,
// Unauthenticated 401, PermissionDenied 403, Internal (and an OK status, which is a bug) 500.
// The WWW-Authenticate headers of 401 and 403 are the caller's (api.cc).
HttpResponse ProblemFromStatus(const Status& status);

}  // namespace tessera::control
