// Personal names in ordinary log lines: as given, or, when the operator asks (audit.hash_names),
// as "h:" + the first 12 hex digits of HMAC-SHA256(site salt, name). The same name always gives
// the same token on one site, so a person's lines can still be followed through a log without
// the log naming them; the salt keeps a list of likely names from being hashed to find them.
// The audit trail itself keeps names in clear (it is the record of who did what).
//
// In base, not in the audit module: the data-plane modules (session, sipua, webrtc) log names and
// must not depend on the audit trail for it.
#pragma once

#include <string>
#include <string_view>

namespace tessera {

// Turns hashing on with `salt` (at least 16 bytes), or off with an empty salt. Call once at
// start, before other threads log (like InitLogging). Returns false, changing nothing, for a
// salt too short.
bool SetPersonalNameSalt(std::string_view salt);

// `name` as log lines should show it. Runs on: any thread.
std::string PersonalName(std::string_view name);

}  // namespace tessera
