// The room's picture commands and live stats through the RoomDirectory (operator console, API).
#include <tessera/session/room_service.h>

#include "session/room_host.h"
#include "session/video_leg.h"

namespace tessera::session {

Status RoomService::OnVideo(const std::string& room_name,
                            const std::function<Status(RoomVideo&)>& f) {
  std::lock_guard lock(mu_);
  RoomHost* room = FindHost(room_name);
  if (!room) return NotFoundError("no room '" + room_name + "'");
  if (!started_ || !room->has_video()) {
    return FailedPreconditionError("room '" + room_name + "' has no video");
  }
  return RunOn(room->video().context(), [&] { return f(room->video()); });
}

StatusOr<CascadeLayout> RoomService::ShareCells(const std::string& room) {
  CascadeLayout out;
  TESSERA_RETURN_IF_ERROR(OnVideo(room, [&](RoomVideo& v) {
    out = v.CanvasCells();
    return Status::Ok();
  }));
  return out;
}

Status RoomService::SetLinkCells(const std::string& room, uint32_t participant_id,
                                 const CascadeLayout& layout) {
  TESSERA_RETURN_IF_ERROR(
      OnVideo(room, [&](RoomVideo& v) { return v.SetCells(participant_id, layout); }));
  std::lock_guard lock(mu_);
  auto found = FindMemberOf(room, participant_id);
  if (!found.ok()) return found.status();
  found->second->cascade_cells.clear();
  for (const CascadeCell& c : layout.cells) found->second->cascade_cells.push_back(c.name);
  return Status::Ok();
}

Status RoomService::SetLayout(const std::string& room, const std::string& layout) {
  return OnVideo(room, [&](RoomVideo& v) { return v.SetLayout(layout); });
}

Status RoomService::SetPinned(const std::string& room, const std::string& participant,
                              bool pinned) {
  return OnVideo(room, [&](RoomVideo& v) { return v.SetPinned(participant, pinned); });
}

Status RoomService::SetSpeaker(const std::string& room, const std::string& participant) {
  return OnVideo(room, [&](RoomVideo& v) { return v.SetSpeaker(participant); });
}

StatusOr<std::vector<std::string>> RoomService::RoomStats(const std::string& only_room) {
  std::lock_guard lock(mu_);
  if (!started_) return FailedPreconditionError("the server is not running");
  std::vector<std::string> out;
  bool found = false;
  for (auto& r : rooms_) {
    if (!only_room.empty() && r->name() != only_room) continue;
    found = true;
    RoomHost* room = r.get();
    out.push_back(RunOn(room->audio().context(), [room] { return room->audio().SummaryJson(); }));
    if (!room->has_video()) continue;
    // Each leg's latency histogram is read on its own shard, the room's figures on its context.
    LatencyHistogram latency;
    for (auto& leg : room->roster().video_legs()) {
      VideoLeg* l = leg.get();
      latency.Merge(RunOn(l->shard(), [l] { return l->latency(); }));
    }
    out.push_back(RunOn(room->video().context(),
                        [room, &latency] { return room->video().SummaryJson(&latency); }));
  }
  if (!found) return NotFoundError("no room '" + only_room + "'");
  return out;
}

}  // namespace tessera::session
