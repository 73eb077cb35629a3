// What the control plane asks of the SIP user agent: list, dial and hang up calls, and its
// counters. The app adapts sipua's SipService to it, so control/ never depends on sipua/.
#pragma once

#include <tessera/base/status.h>

#include <nlohmann/json.hpp>
#include <string>

namespace tessera::control {

// Runs on: any caller's thread; each call blocks until the SIP thread answered it.
// Errors: Unavailable when SIP is not running; NotFound for an unknown room or call;
// InvalidArgument for a URI the user agent cannot dial.
class SipControl {
 public:
  virtual ~SipControl() = default;
  // A JSON array of Call objects: {"call_id","room","participant","participant_id","state",
  // "direction":"in"|"out","remote","transport"} (docs/operations.md, `calls`).
  virtual StatusOr<nlohmann::json> ListCalls() = 0;
  // Dials `uri` into `room` as participant `name` (empty: the URI's user part); the new call's
  // Call-ID once the INVITE is sent.
  virtual StatusOr<std::string> Dial(const std::string& room, const std::string& uri,
                                     const std::string& name) = 0;
  // BYE, 480 to a caller still ringing, or CANCEL to a dial-out not yet answered.
  virtual Status Hangup(const std::string& call_id) = 0;
  // The `sipstats` object.
  virtual StatusOr<nlohmann::json> Stats() = 0;
};

}  // namespace tessera::control
