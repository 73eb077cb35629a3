// Legs in and out of a room: at set-up, and while the room runs (Server::JoinRoom/LeaveRoom).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/room_host.h"
#include "app/sdp_file.h"

namespace tessera::app {

Status RoomHost::AttachAudio(AudioLeg* leg) {
  session::AudioParticipantConfig pc;
  pc.id = leg->id();
  pc.name = leg->config().name;
  pc.codec = leg->config().audio_codec;
  pc.channels = leg->config().audio_channels;
  pc.muted = leg->config().muted || !leg->config().admitted;
  pc.deaf = leg->config().deaf || !leg->config().admitted;
  TESSERA_RETURN_IF_ERROR(room_.AddParticipant(pc));
  leg_by_id_[pc.id] = leg;
  return Status::Ok();
}

void RoomHost::DetachAudio(uint32_t id) {
  room_.RemoveParticipant(id);
  leg_by_id_.erase(id);
}

Status RoomHost::AttachVideo(uint32_t id, const RoomParticipantConfig& pc,
                             std::shared_ptr<mixer::FrameMailbox> mailbox, VideoLeg* leg) {
  if (!video_room_) return Status::Ok();
  if (!pc.admitted) {
    RoomParticipantConfig admitted = pc;
    admitted.admitted = true;
    pending_video_[id] = PendingVideo{std::move(admitted), std::move(mailbox), leg};
    return Status::Ok();
  }
  // Everyone but a receive-only viewer has a tile: a placeholder with the name until (or
  // unless) pictures arrive.
  const bool tile = mailbox != nullptr || pc.has_audio;
  if (tile) {
    session::VideoParticipantInfo info;
    info.id = id;
    info.name = pc.name;
    info.role = pc.video ? pc.video->role : std::string();
    TESSERA_RETURN_IF_ERROR(video_room_->AddParticipant(info, std::move(mailbox)));
  }
  if (leg && leg->receives()) {
    const auto& v = *pc.video;
    const std::string profile =
        v.profile.empty() ? config_.video->profiles.front().name : v.profile;
    if (Status s = video_room_->AddRecipient(id, profile, v.adapt); !s.ok()) {
      video_room_->RemoveParticipant(id);
      return s;
    }
  }
  if (leg) video_leg_by_id_[id] = leg;
  video_ids_[pc.name] = id;
  return Status::Ok();
}

Status RoomHost::AdmitAudio(uint32_t id) {
  auto it = leg_by_id_.find(id);
  if (it == leg_by_id_.end()) return Status::Ok();  // no audio
  TESSERA_RETURN_IF_ERROR(room_.SetMuted(id, it->second->config().muted));
  return room_.SetDeaf(id, it->second->config().deaf);
}

Status RoomHost::AdmitVideo(uint32_t id) {
  auto it = pending_video_.find(id);
  if (it == pending_video_.end()) return Status::Ok();
  PendingVideo p = std::move(it->second);
  pending_video_.erase(it);
  return AttachVideo(id, p.pc, std::move(p.mailbox), p.leg);
}

void RoomHost::RequestKeyframe(uint32_t id) {
  if (video_room_) video_room_->RequestKeyframe(id);
}

void RoomHost::DetachVideo(uint32_t id) {
  if (!video_room_) return;
  pending_video_.erase(id);
  video_room_->RemoveRecipient(id);
  video_room_->RemoveParticipant(id);
  video_leg_by_id_.erase(id);
  std::erase_if(video_ids_, [id](const auto& entry) { return entry.second == id; });
}

std::optional<uint32_t> RoomHost::IdOf(const std::string& participant) const {
  const auto it = video_ids_.find(participant);
  if (it == video_ids_.end()) return std::nullopt;
  return it->second;
}

Status RoomHost::WriteSdpFor(const VideoLeg& leg) const {
  const RoomParticipantConfig& pc = leg.config();
  const auto& v = *pc.video;
  if (!leg.receives() || v.sdp_file.empty()) return Status::Ok();
  SdpStream s;
  s.session_name = "Tessera room " + config_.name + " for " + pc.name;
  s.address = pc.remote_address;
  s.port = v.remote_rtp_port;
  s.rtcp_mux = v.rtcp_mux;
  s.rtcp_port = v.remote_rtcp_port;
  s.codec = ReceiveCodecFor(pc);
  s.payload_type = CompositePayloadType(v, s.codec);
  Status st = WriteSdpFile(v.sdp_file, s);
  if (!st.ok()) return Status(st.code(), "participant " + pc.name + ": " + st.message());
  spdlog::info(
      "room {}: wrote {} describing {}'s composite (watch: ffplay -protocol_whitelist "
      "file,udp,rtp {})",
      config_.name, v.sdp_file, pc.name, v.sdp_file);
  return Status::Ok();
}

const RoomMember* RoomHost::FindMember(const std::string& name) const {
  for (const auto& m : members_) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const RoomMember* RoomHost::FindMember(uint32_t id) const {
  for (const auto& m : members_) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

RoomMember* RoomHost::FindMutableMember(uint32_t id) {
  for (auto& m : members_) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

void RoomHost::RemoveMember(uint32_t id) {
  std::erase_if(members_, [id](const RoomMember& m) { return m.id == id; });
}

void RoomHost::AdoptLegs(std::unique_ptr<AudioLeg> audio, std::unique_ptr<VideoLeg> video) {
  if (audio) legs_.push_back(std::move(audio));
  if (video) video_legs_.push_back(std::move(video));
}

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

std::unique_ptr<AudioLeg> RoomHost::ReleaseAudioLeg(uint32_t id) { return Release(legs_, id); }
std::unique_ptr<VideoLeg> RoomHost::ReleaseVideoLeg(uint32_t id) {
  return Release(video_legs_, id);
}
AudioLeg* RoomHost::FindAudioLeg(uint32_t id) { return Find(legs_, id); }
VideoLeg* RoomHost::FindVideoLeg(uint32_t id) { return Find(video_legs_, id); }

}  // namespace tessera::app
