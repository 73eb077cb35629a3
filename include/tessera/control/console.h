// The operator console: one command line in, one answer line out ("ok ..." or "error: ..."),
// over the ControlService that the HTTP API uses too: every command is one of its operations.
// The stdin console (--control-stdin) is its front end. Commands: docs/operations.md, "Operator
// commands".
#pragma once

#include <tessera/control/service.h>
#include <tessera/session/room_directory.h>

#include <memory>
#include <string>
#include <vector>

namespace tessera::control {

// Runs on: any caller's thread; each command blocks until the rooms (or the SIP thread) applied
// it. It holds no state of its own (the directory serialises the commands), so threads may share
// one.
class Console {
 public:
  // A console with a service of its own. Without hooks.sip the SIP commands answer
  // "error: SIP is not enabled".
  explicit Console(session::RoomDirectory& rooms, ControlHooks hooks = {});
  // A console over a service another front end shares; `service` outlives it.
  explicit Console(ControlService& service);

  // `stats [ROOM]` answers "ok stats [...]": a JSON array of the rooms' summary objects, live.
  // `participants ROOM` answers "ok participants ROOM [...]", `calls` "ok calls [...]",
  // `sipstats` "ok sipstats {...}", `dial ROOM URI [NAME]` "ok dial ROOM CALL-ID"; `kick`,
  // `layout`, `pin`, `unpin`, `speaker` and `hangup` echo the command after "ok ".
  std::string Handle(const std::string& line);

 private:
  std::string Participants(const std::string& room);
  std::string Sip(const std::vector<std::string>& words);

  std::unique_ptr<ControlService> owned_;  // null when the service is shared
  ControlService& service_;
};

}  // namespace tessera::control
