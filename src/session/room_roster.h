// Who is in one room: the members (ids, names, ports, admission) and the owners of their legs.
#pragma once

#include <tessera/session/room_directory.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "session/audio_leg.h"
#include "session/video_leg.h"

namespace tessera::session {

// Runs on: the control plane only (the RoomService, with its mutex held, or set-up before any
// thread runs). The legs it owns run on their shards; it only holds them.
class RoomRoster {
 public:
  // Ids are 1, 2, ... in join order, never given twice in the room's life.
  uint32_t TakeNextId() { return next_id_++; }
  uint32_t next_id() const { return next_id_; }
  // A room made again under a name that ended: its ids go on from where the old one's stopped,
  // so nothing keyed by (room, id) mistakes a new participant for an old one.
  void ContinueIdsFrom(uint32_t next) { next_id_ = std::max(next_id_, next); }
  const std::vector<RoomMember>& members() const { return members_; }
  const RoomMember* FindMember(const std::string& name) const;
  const RoomMember* FindMember(uint32_t id) const;
  RoomMember* FindMutableMember(uint32_t id);
  void AddMember(RoomMember m) { members_.push_back(std::move(m)); }
  void RemoveMember(uint32_t id);

  void AdoptLegs(std::unique_ptr<AudioLeg> audio, std::unique_ptr<VideoLeg> video);
  // Hands back the owners of a departing participant's legs (null when it had none).
  std::unique_ptr<AudioLeg> ReleaseAudioLeg(uint32_t id);
  std::unique_ptr<VideoLeg> ReleaseVideoLeg(uint32_t id);
  AudioLeg* FindAudioLeg(uint32_t id);
  VideoLeg* FindVideoLeg(uint32_t id);
  std::vector<std::unique_ptr<AudioLeg>>& audio_legs() { return audio_legs_; }
  std::vector<std::unique_ptr<VideoLeg>>& video_legs() { return video_legs_; }

 private:
  std::vector<RoomMember> members_;
  uint32_t next_id_ = 1;
  std::vector<std::unique_ptr<AudioLeg>> audio_legs_;
  std::vector<std::unique_ptr<VideoLeg>> video_legs_;
};

}  // namespace tessera::session
