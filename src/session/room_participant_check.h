// Validation of a room participant that joins a running room (SIP dial-in): the rules the config
// parser applies to rooms[].participants[], on the parsed struct instead of YAML nodes.
#pragma once

#include <tessera/base/status.h>
#include <tessera/session/config.h>

namespace tessera::session {

// OK when `pc` may join `room`: a name of 1-64 letters, digits or ".-_@+" (it is written into
// JSON lines and operator commands as is), audio and/or video, codecs of the right kind, payload
// types in range, a remote IP address and the ports the mix and composite go to, a video
// profile the room has. InvalidArgument naming the participant and the field otherwise. Room
// capacity and name uniqueness are the caller's (they depend on who is in the room now).
Status CheckRoomParticipant(const RoomConfig& room, const RoomParticipantConfig& pc);

}  // namespace tessera::session
