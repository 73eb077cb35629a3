// ControlService: the control plane's operations, once, over the RoomDirectory. Both front ends
// use it: the stdin console (console.h) and the HTTP API (api.h). Answers are the API's objects
// (docs/openapi.json: Room, RoomSummary, Participant, Call); errors are Status values that the API
// maps to problem details (problem.h) and the console to "error: <message>".
#pragma once

#include <tessera/base/status.h>
#include <tessera/control/sip_control.h>
#include <tessera/session/config.h>
#include <tessera/session/room_directory.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace tessera::control {

// What the app gives the control plane besides the rooms: its config validators and the SIP user
// agent. Any of them may be unset; the operations that need one then answer Unavailable.
struct ControlHooks {
  // The YAML config's checks of one `rooms:` entry and of one entry of a room's `participants:`,
  // applied to JSON: the same checks and messages. Errors: one InvalidArgument whose message has
  // one error per line.
  std::function<StatusOr<session::RoomConfig>(const nlohmann::json&)> decode_room;
  std::function<StatusOr<session::RoomParticipantConfig>(const nlohmann::json&)> decode_participant;
  // Null: SIP is not enabled.
  SipControl* sip = nullptr;
};

// Runs on: any thread. It holds no state of its own: the directory serialises the changes, so
// threads may share one. Each call blocks until the rooms (or the SIP thread) applied it.
class ControlService {
 public:
  explicit ControlService(session::RoomDirectory& rooms, ControlHooks hooks = {});

  // Rooms.
  // {"rooms":[RoomSummary...]}, in the order they were created.
  StatusOr<nlohmann::json> ListRooms();
  // Room. NotFound: no such room.
  StatusOr<nlohmann::json> GetRoom(const std::string& room);
  // Creates a room from one entry of the YAML `rooms:` list, as JSON; the Room created.
  // InvalidArgument: every validation error, one per line; AlreadyExists: name, SIP number or port
  // taken; Unavailable: draining, or no decode_room hook.
  StatusOr<nlohmann::json> CreateRoom(const nlohmann::json& body);
  // {"layout":NAME,"speaker":NAME,"pin":[NAME...],"unpin":[NAME...]}, every key optional; the
  // Room after the change. Every key is checked (unknown keys, types, the layout's name, that the
  // named participants are in the roster) before anything is applied:
  // InvalidArgument with one error per line, nothing changed.
  StatusOr<nlohmann::json> UpdateRoom(const std::string& room, const nlohmann::json& body);
  // Every participant leaves (SIP callers get a BYE); the room is gone.
  Status DeleteRoom(const std::string& room);
  // The live summary objects of one room or, with an empty name, of every room: a JSON array of
  // the audio room's and the video room's objects (`stats [ROOM]`).
  StatusOr<nlohmann::json> RoomStats(const std::string& room);
  // The profile a recording of the room takes: `requested`, or the room's first when empty;
  // empty for a room without video (its mix alone is recorded). NotFound: no such room;
  // InvalidArgument: no such profile (the message lists the room's).
  StatusOr<std::string> RecordedProfile(const std::string& room, const std::string& requested);
  // How long the recorder keeps the room's recordings (rooms[].recording.retention_days); 0:
  // the recorder's own default. NotFound: no such room.
  StatusOr<uint32_t> RecordingRetentionDays(const std::string& room);
  // Who is seen or heard in the room without having granted consent to being recorded:
  // "alice (unknown)", "bob (declined)"; empty when a recording may go on. NotFound: no room.
  StatusOr<std::vector<std::string>> WithoutConsent(const std::string& room);
  // Who keeps a recording of the room from starting or going on: WithoutConsent under the room's
  // "require" consent policy; nobody under "exclude" (the recording leaves them out instead).
  StatusOr<std::vector<std::string>> BlockingRecording(const std::string& room);
  // No new rooms or joins (the node drains).
  bool draining();
  // Whether the room runs on this node.
  bool HasRoom(const std::string& room);

  // Cascading (docs/architecture.md, "Cascading").
  // This node's share of `room`, from `spec` (the body that created it on its primary
  // `primary`), its uplink on hold until the primary links it. The room's JSON.
  StatusOr<nlohmann::json> CreateShare(const nlohmann::json& spec, const std::string& primary);
  // A room here that is a cascaded room's primary: its per_node; 0 otherwise (not cascaded, a
  // share, no such room).
  uint32_t CascadePerNode(const std::string& room);
  // Whether the room here is another node's share.
  bool IsShare(const std::string& room);
  // The primary of the room here when it is a share; empty otherwise.
  std::string SharePrimary(const std::string& room);
  // The room's participants that joined on this node (its cascade links left out).
  size_t OwnParticipants(const std::string& room);

  // Participants.
  // {"participants":[Participant...]}, live stats included.
  StatusOr<nlohmann::json> ListParticipants(const std::string& room);
  StatusOr<nlohmann::json> GetParticipant(const std::string& room, uint32_t id);
  // Joins one entry of a YAML room's `participants:` list, as JSON; the Participant with its
  // allocated ports. NotFound: no room; InvalidArgument: validation; AlreadyExists: name taken;
  // ResourceExhausted: room full or no ports.
  StatusOr<nlohmann::json> AddParticipant(const std::string& room, const nlohmann::json& body);
  // {"muted":bool,"deaf":bool,"pinned":bool,"role":string}, every key optional; checked before
  // it is applied. The Participant after the change.
  StatusOr<nlohmann::json> UpdateParticipant(const std::string& room, uint32_t id,
                                             const nlohmann::json& body);
  // Out of the mix and the layout, its legs drained and closed (a SIP caller gets a BYE).
  Status RemoveParticipant(const std::string& room, uint32_t id);
  // RemoveParticipant of the participant called `name` (the console's `kick`).
  Status KickByName(const std::string& room, const std::string& name);

  // SIP (Unavailable "SIP is not enabled" without a SipControl).
  // {"calls":[Call...]}.
  StatusOr<nlohmann::json> ListCalls();
  // {"room":ROOM,"uri":"sip:...","name":NAME (optional)}; {"call_id":ID} once the INVITE is sent.
  StatusOr<nlohmann::json> Dial(const nlohmann::json& body);
  Status Hangup(const std::string& call_id);
  // The `sipstats` object.
  StatusOr<nlohmann::json> SipStats();

 private:
  // The Room of `config`: its roster and live stats when the directory has them (a room just
  // created or changed is answered even when its stats cannot be read).
  nlohmann::json BuildRoom(const session::RoomConfig& config);

  session::RoomDirectory& rooms_;
  ControlHooks hooks_;
};

}  // namespace tessera::control
