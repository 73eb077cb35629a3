// Operator commands: Server::Control and the RoomHost commands it runs on a room's video context.
#include <spdlog/spdlog.h>

#include <sstream>
#include <vector>

#include "app/server.h"

namespace tessera::app {

Status RoomHost::SetLayout(const std::string& layout) {
  if (!video_room_) return FailedPreconditionError("room " + config_.name + " has no video");
  TESSERA_RETURN_IF_ERROR(video_room_->SetLayout(layout));
  spdlog::info("room {}: layout is now {}", config_.name, layout);
  return Status::Ok();
}

Status RoomHost::SetPinned(const std::string& participant, bool pinned) {
  if (!video_room_) return FailedPreconditionError("room " + config_.name + " has no video");
  const auto id = IdOf(participant);
  if (!id) return NotFoundError("room " + config_.name + " has no participant " + participant);
  return video_room_->SetPinned(*id, pinned);
}

Status RoomHost::SetSpeaker(const std::string& participant) {
  if (!video_room_) return FailedPreconditionError("room " + config_.name + " has no video");
  const auto id = IdOf(participant);
  if (!id) return NotFoundError("room " + config_.name + " has no participant " + participant);
  if (!video_room_->has_participant(*id)) {
    return FailedPreconditionError(participant + " has no tile in room " + config_.name +
                                   " (a receive-only viewer)");
  }
  video_room_->SetActiveSpeaker(*id);
  return Status::Ok();
}

std::string Server::Stats(const std::string& only_room) {
  std::string out;
  bool found = false;
  for (auto& r : rooms_) {
    if (!only_room.empty() && r->name() != only_room) continue;
    found = true;
    RoomHost* room = r.get();
    out += (out.empty() ? "" : ",") + RunOn(room->media(), [room] { return room->SummaryJson(); });
    if (!room->has_video()) continue;
    // Each leg's latency histogram is read on its own shard, the room's figures on its context.
    LatencyHistogram latency;
    for (auto& leg : room->video_legs()) {
      VideoLeg* l = leg.get();
      latency.Merge(RunOn(l->shard(), [l] { return l->latency(); }));
    }
    out += "," + RunOn(*room->video_media(),
                       [room, &latency] { return room->VideoSummaryJson(&latency); });
  }
  if (!found) return "error: no room '" + only_room + "'";
  return "ok stats [" + out + "]";
}

std::string Server::Control(const std::string& line) {
  std::lock_guard lock(control_mu_);
  return ControlLocked(line);
}

std::string Server::ControlLocked(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) return "error: empty command";
  const std::string& verb = words[0];
  if (verb == "stats") {
    if (words.size() > 2) return "error: stats takes at most a room";
    if (!started_) return "error: the server is not running";
    return Stats(words.size() == 2 ? words[1] : "");
  }
  if (verb == "participants") {
    if (words.size() != 2) return "error: participants takes a room";
    if (!started_) return "error: the server is not running";
    return ParticipantsAnswer(words[1]);
  }
  if (verb == "kick") {
    if (words.size() != 3) return "error: kick takes a room and a participant";
    if (!started_) return "error: the server is not running";
    RoomHost* room = FindRoom(words[1]);
    if (!room) return "error: no room '" + words[1] + "'";
    const RoomMember* member = room->FindMember(words[2]);
    if (!member) return "error: room '" + words[1] + "' has no participant '" + words[2] + "'";
    const Status s = LeaveRoomLocked(words[1], member->id);
    if (!s.ok()) return "error: " + s.message();
    return "ok " + line;
  }
  const bool known = verb == "layout" || verb == "pin" || verb == "unpin" || verb == "speaker";
  if (!known) {
    return "error: unknown command '" + verb +
           "' (known: layout ROOM NAME, pin ROOM PARTICIPANT, unpin ROOM PARTICIPANT, "
           "speaker ROOM PARTICIPANT, stats [ROOM], participants ROOM, kick ROOM PARTICIPANT)";
  }
  if (words.size() != 3) return "error: " + verb + " takes a room and one argument";
  RoomHost* room = nullptr;
  for (auto& r : rooms_) {
    if (r->name() == words[1]) room = r.get();
  }
  if (!room) return "error: no room '" + words[1] + "'";
  if (!started_ || !room->has_video()) return "error: room '" + words[1] + "' has no video";
  const std::string arg = words[2];
  const Status s = RunOn(*room->video_media(), [&]() -> Status {
    if (verb == "layout") return room->SetLayout(arg);
    if (verb == "speaker") return room->SetSpeaker(arg);
    return room->SetPinned(arg, verb == "pin");
  });
  if (!s.ok()) return "error: " + s.message();
  return "ok " + line;
}

}  // namespace tessera::app
