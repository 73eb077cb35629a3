// RFC 9457 problem details: every error answer of the control plane, the server's own (408, 413,
// 431, 503 ...) and the API's, has this one shape (docs: the API contract, "Errors").
#pragma once

#include <tessera/control/http.h>

#include <string>

namespace tessera::control {

// An answer with Content-Type application/problem+json and the body
//   {"type":"urn:tessera:problem:<slug>","title":<title>,"status":<status>,"detail":<detail>}.
// Text that is not valid UTF-8 is replaced, never refused: a detail may quote what a client sent.
// Extra headers (WWW-Authenticate, Retry-After, Allow) are the caller's to add.
HttpResponse Problem(int status, std::string slug, std::string title, std::string detail);

}  // namespace tessera::control
