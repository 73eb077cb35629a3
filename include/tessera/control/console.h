// The operator console: one command line in, one answer line out ("ok ..." or "error: ..."),
// over the RoomDirectory. The stdin console (--control-stdin) is its first front end; the HTTP
// API maps the same service calls. Commands: docs/operations.md, "Operator commands".
#pragma once

#include <tessera/session/room_directory.h>

#include <string>

namespace tessera::control {

// Runs on: any caller's thread; each command blocks until the rooms applied it. It holds no
// state of its own (the directory serialises the commands), so threads may share one.
class Console {
 public:
  explicit Console(session::RoomDirectory& rooms) : rooms_(rooms) {}

  // `stats [ROOM]` answers "ok stats [...]": a JSON array of the rooms' summary objects, live.
  // `participants ROOM` answers "ok participants ROOM [...]", `kick`, `layout`, `pin`, `unpin`
  // and `speaker` echo the command after "ok ".
  std::string Handle(const std::string& line);

 private:
  std::string Participants(const std::string& room);

  session::RoomDirectory& rooms_;
};

}  // namespace tessera::control
