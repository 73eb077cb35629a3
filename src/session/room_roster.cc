#include "session/room_roster.h"

#include <algorithm>

namespace tessera::session {
namespace {

template <typename Leg>
std::unique_ptr<Leg> Release(std::vector<std::unique_ptr<Leg>>& legs, uint32_t id) {
  auto it = std::find_if(legs.begin(), legs.end(), [id](const auto& l) { return l->id() == id; });
  if (it == legs.end()) return nullptr;
  std::unique_ptr<Leg> out = std::move(*it);
  legs.erase(it);
  return out;
}

template <typename Leg>
Leg* Find(std::vector<std::unique_ptr<Leg>>& legs, uint32_t id) {
  for (auto& l : legs) {
    if (l->id() == id) return l.get();
  }
  return nullptr;
}

}  // namespace

const RoomMember* RoomRoster::FindMember(const std::string& name) const {
  for (const auto& m : members_) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const RoomMember* RoomRoster::FindMember(uint32_t id) const {
  for (const auto& m : members_) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

RoomMember* RoomRoster::FindMutableMember(uint32_t id) {
  for (auto& m : members_) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

void RoomRoster::RemoveMember(uint32_t id) {
  std::erase_if(members_, [id](const RoomMember& m) { return m.id == id; });
}

void RoomRoster::AdoptLegs(std::unique_ptr<AudioLeg> audio, std::unique_ptr<VideoLeg> video) {
  if (audio) audio_legs_.push_back(std::move(audio));
  if (video) video_legs_.push_back(std::move(video));
}

std::unique_ptr<AudioLeg> RoomRoster::ReleaseAudioLeg(uint32_t id) {
  return Release(audio_legs_, id);
}
std::unique_ptr<VideoLeg> RoomRoster::ReleaseVideoLeg(uint32_t id) {
  return Release(video_legs_, id);
}
AudioLeg* RoomRoster::FindAudioLeg(uint32_t id) { return Find(audio_legs_, id); }
VideoLeg* RoomRoster::FindVideoLeg(uint32_t id) { return Find(video_legs_, id); }

}  // namespace tessera::session
