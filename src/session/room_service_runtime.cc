// Participants joining and leaving running rooms (SIP dial-in, the `kick` command), through the
// RoomDirectory.
//
// Ordering and lifetime. A leg is reached from three places besides its own shard: the room's
// audio context (leg_by_id_: SendAudio posted per tick), the room's video context
// (video_leg_by_id_: SendVideo posted per tick) and the leg's decode strand (keyframe requests
// posted back to the shard). Each of those posts a raw pointer. A leg is therefore destroyed
// only after:
//   1. it is out of the rooms, on their contexts (RunOn), so no context posts a new task for it;
//      every task posted before is already queued on its shard;
//   2. it is stopped on its shard (sockets drained and closed, timers cancelled);
//   3. its decode strand has run everything posted to it (VideoLeg::WaitForDecodes), so the
//      keyframe requests those decodes post are queued on the shard too;
//   4. then its destruction is posted to its shard and waited for: a shard is one thread running
//      its handlers in the order they were queued, so every task queued in 1-3 has run (and
//      found the leg stopped) before it. Socket handlers check the socket's liveness token and
//      cancelled timers' handlers return on the error code without touching the leg.
// Packets the leg handed to the rooms name its id, not the leg; a room ignores an id it no
// longer has, and ids are never reused, so a late packet finds nothing.
#include <spdlog/spdlog.h>
#include <tessera/base/personal_name.h>
#include <tessera/session/room_service.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "session/room_host.h"
#include "session/room_participant_check.h"
#include "session/room_service_legs.h"

namespace tessera::session {
RoomHost* RoomService::FindHost(const std::string& name) {
  for (auto& r : rooms_) {
    if (r->name() == name) return r.get();
  }
  return nullptr;
}

StatusOr<JoinedParticipant> RoomService::JoinRoom(const std::string& room_name,
                                                  RoomParticipantConfig pc, JoinOptions options) {
  std::lock_guard lock(mu_);
  if (!started_) return FailedPreconditionError("the server is not running");
  if (draining_) return UnavailableError("the node is draining: it takes no new participants");
  RoomHost* room = FindHost(room_name);
  if (!room) return NotFoundError("no room '" + room_name + "'");
  TESSERA_RETURN_IF_ERROR(CheckRoomParticipant(room->config(), pc));
  // The links of a cascaded room are found by these names (docs/architecture.md, "Cascading").
  if (pc.cascade == CascadeRole::kNone && pc.name.starts_with("cascade-")) {
    return InvalidArgumentError("participant " + pc.name +
                                ": names starting with cascade- are the links between the nodes "
                                "of a cascaded room");
  }
  if (room->roster().FindMember(pc.name)) {
    return Status(StatusCode::kAlreadyExists,
                  "room " + room_name + " already has a participant named " + pc.name);
  }
  const uint32_t max = room->config().max_participants;
  if (room->roster().members().size() >= max) {
    return ResourceExhaustedError("room " + room_name + " is full (max_participants " +
                                  std::to_string(max) + ")");
  }
  // Taken even if the join fails: an id is never given twice.
  const uint32_t id = room->roster().TakeNextId();
  auto legs = CreateLegs(*room, pc, options, id);
  if (!legs.ok()) return legs.status();
  AudioLeg* audio = legs->audio.get();
  VideoLeg* video = legs->video.get();
  // Left out of the recording before the rooms have it at all (under the exclude policy).
  room->UpdateExclusion(&legs->member);
  Status s = video ? room->WriteSdpFor(*video) : Status::Ok();
  if (s.ok() && audio)
    s = RunOn(room->audio().context(),
              [&] { return room->audio().Attach(audio, options.admitted); });
  if (s.ok() && room->has_video()) {
    s = RunOn(room->video().context(),
              [&] { return room->video().Attach(id, pc, options.admitted, legs->mailbox, video); });
  }
  legs->member.from_config = false;
  legs->member.admitted = options.admitted;
  legs->member.muted = pc.muted;
  legs->member.deaf = pc.deaf;
  legs->member.transport = options.transport;
  legs->member.joined_at = std::chrono::system_clock::now();
  const RoomMember member = legs->member;
  room->roster().AddMember(legs->member);
  room->roster().AdoptLegs(std::move(legs->audio), std::move(legs->video));
  if (!s.ok()) {
    // The room may already post to a leg attached above: the same way out as a leave.
    TearDown(*room, id, /*started=*/false, /*log_summary=*/false);
    room->UpdateExclusion();
    return s;
  }
  if (options.listener) listeners_[{room_name, id}] = std::move(options.listener);
  room->UpdateExclusion();
  if (audio) RunOn(audio->shard(), [audio] { audio->Start(); });
  if (video) RunOn(video->shard(), [video] { video->Start(); });
  JoinedParticipant out;
  out.id = id;
  out.audio_port = member.audio_port;
  if (member.audio_port) {
    out.audio_rtcp_port = RtcpPortFor(member.audio_port, 0, member.audio_rtcp_mux);
  }
  out.video_port = member.video_port;
  if (member.video_port) {
    out.video_rtcp_port = RtcpPortFor(member.video_port, 0, member.video_rtcp_mux);
  }
  spdlog::info("room {}: {} joined as participant {} (audio port {}, video port {}; {} of {})",
               room_name, PersonalName(pc.name), id, out.audio_port, out.video_port,
               room->roster().members().size(), max);
  for (const auto& o : observers_) {
    o->OnParticipantJoinedFrom(room_name, id, pc.name, options.transport, pc.remote_address);
    // Consent given with the join (the app, the SIP trunk, the join page) is recorded like a
    // change: the trail shows that everyone in a recording agreed, and when.
    if (pc.consent != Consent::kUnknown) {
      o->OnConsentChangedBy(room_name, id, pc.name, pc.consent, "join");
    }
  }
  return out;
}

StatusOr<std::pair<RoomHost*, RoomMember*>> RoomService::FindMemberOf(const std::string& room_name,
                                                                      uint32_t id) {
  if (!started_) return FailedPreconditionError("the server is not running");
  RoomHost* room = FindHost(room_name);
  if (!room) return NotFoundError("no room '" + room_name + "'");
  RoomMember* member = room->roster().FindMutableMember(id);
  if (!member) {
    return NotFoundError("room " + room_name + " has no participant " + std::to_string(id));
  }
  return std::make_pair(room, member);
}

Status RoomService::LeaveRoom(const std::string& room_name, uint32_t id) {
  std::lock_guard lock(mu_);
  auto found = FindMemberOf(room_name, id);
  if (!found.ok()) return found.status();
  RoomHost* room = found->first;
  RoomMember* member = found->second;
  spdlog::info("room {}: {} (participant {}) leaves", room_name, PersonalName(member->name), id);
  Leave(*room, id);
  return Status::Ok();
}

void RoomService::Leave(RoomHost& room, uint32_t id) {
  const std::string name = room.roster().FindMember(id)->name;
  TearDown(room, id, /*started=*/true, /*log_summary=*/true);
  room.UpdateExclusion();
  if (auto it = listeners_.find({room.name(), id}); it != listeners_.end()) {
    const std::shared_ptr<ParticipantListener> listener = std::move(it->second);
    listeners_.erase(it);
    listener->OnLeft(room.name(), id);
  }
  for (const auto& o : observers_) o->OnParticipantLeft(room.name(), id, name);
}

Status RoomService::Admit(const std::string& room_name, uint32_t id) {
  std::lock_guard lock(mu_);
  auto found = FindMemberOf(room_name, id);
  if (!found.ok()) return found.status();
  RoomHost* room = found->first;
  RoomMember* member = found->second;
  if (member->admitted) return Status::Ok();
  TESSERA_RETURN_IF_ERROR(RunOn(room->audio().context(), [room, id, member] {
    return room->audio().Admit(id, member->muted, member->deaf);
  }));
  if (room->has_video()) {
    TESSERA_RETURN_IF_ERROR(
        RunOn(room->video().context(), [room, id] { return room->video().Admit(id); }));
  }
  member->admitted = true;
  spdlog::info("room {}: {} (participant {}) admitted", room_name, member->name, id);
  return Status::Ok();
}

Status RoomService::RequestKeyframe(const std::string& room_name, uint32_t id) {
  std::lock_guard lock(mu_);
  auto found = FindMemberOf(room_name, id);
  if (!found.ok()) return found.status();
  RoomHost* room = found->first;
  if (room->has_video())
    RunOn(room->video().context(), [room, id] { room->video().RequestKeyframe(id); });
  return Status::Ok();
}

void RoomService::TearDown(RoomHost& room, uint32_t id, bool started, bool log_summary) {
  // 1. Out of the rooms (see the top of this file for why this order makes destruction safe).
  RunOn(room.audio().context(), [&room, id] { room.audio().Detach(id); });
  if (room.has_video()) RunOn(room.video().context(), [&room, id] { room.video().Detach(id); });
  std::unique_ptr<AudioLeg> audio = room.roster().ReleaseAudioLeg(id);
  std::unique_ptr<VideoLeg> video = room.roster().ReleaseVideoLeg(id);
  // 2. Stopped on their shards: what the peer already sent is read (and ignored by the rooms).
  if (started && audio) RunOn(audio->shard(), [l = audio.get()] { l->Stop(); });
  if (started && video) RunOn(video->shard(), [l = video.get()] { l->Stop(); });
  // 3. The decodes already posted have run (the summary reads their counters).
  if (video) video->WaitForDecodes();
  if (log_summary) {
    // The same lines as at stop, read on the shards that own the counters.
    if (audio) {
      spdlog::info("{}", RunOn(audio->shard(), [&] { return audio->SummaryJson(room.name()); }));
    }
    if (video) {
      spdlog::info("{}", RunOn(video->shard(), [&] { return video->SummaryJson(room.name()); }));
    }
  }
  // 4. Destroyed on their shards, after everything queued there before.
  if (audio) RunOn(audio->shard(), [&audio] { audio.reset(); });
  if (video) RunOn(video->shard(), [&video] { video.reset(); });
  if (const RoomMember* m = room.roster().FindMember(id)) ReleasePorts(*m);
  room.roster().RemoveMember(id);
}

Status RoomService::UpdateRemote(const std::string& room_name, uint32_t id, const RemoteUpdate& r) {
  std::lock_guard lock(mu_);
  auto found = FindMemberOf(room_name, id);
  if (!found.ok()) return found.status();
  RoomHost* room = found->first;
  std::optional<boost::asio::ip::address> address;
  if (!r.address.empty()) {
    auto parsed = ParseRemoteAddress(room->roster().FindMember(id)->name, r.address);
    if (!parsed.ok()) return parsed.status();
    address = *parsed;
  }
  AudioLeg* audio = room->roster().FindAudioLeg(id);
  VideoLeg* video = room->roster().FindVideoLeg(id);
  if ((r.audio_rtp_port || r.audio_rtcp_port) && !audio) {
    return FailedPreconditionError("participant " + std::to_string(id) + " has no audio");
  }
  if ((r.video_rtp_port || r.video_rtcp_port) && !(video && video->receives())) {
    return FailedPreconditionError("participant " + std::to_string(id) +
                                   " does not receive the composite");
  }
  if (audio) {
    RunOn(audio->shard(), [&] { audio->SetRemote(address, r.audio_rtp_port, r.audio_rtcp_port); });
  }
  if (video) {
    // Also a leg that only sends: where its camera's packets may come from follows signalling.
    RunOn(video->shard(), [&] { video->SetRemote(address, r.video_rtp_port, r.video_rtcp_port); });
  }
  return Status::Ok();
}

StatusOr<std::pair<uint16_t, uint16_t>> RoomService::ProposePorts(bool video) {
  // Reserved as pairs (the peer may not do rtcp-mux) and released at once: the join reserves
  // them again as fixed ports.
  net::PortAllocator& ports = *context_.ports;
  auto audio = ports.Allocate(false);
  if (!audio.ok()) return audio.status();
  uint16_t video_port = 0;
  if (video) {
    auto v = ports.Allocate(false);
    if (!v.ok()) {
      ports.Release(*audio, false);
      return v.status();
    }
    video_port = *v;
    ports.Release(video_port, false);
  }
  ports.Release(*audio, false);
  return std::make_pair(*audio, video_port);
}

std::vector<RoomConfig> RoomService::ListRooms() {
  std::lock_guard lock(mu_);
  std::vector<RoomConfig> out;
  for (const auto& r : rooms_) out.push_back(r->config());
  return out;
}

std::optional<RoomConfig> RoomService::FindRoom(const std::string& room_name) {
  std::lock_guard lock(mu_);
  const RoomHost* room = FindHost(room_name);
  if (!room) return std::nullopt;
  return room->config();
}

StatusOr<std::vector<RoomMember>> RoomService::Participants(const std::string& room_name) {
  std::lock_guard lock(mu_);
  if (!started_) return FailedPreconditionError("the server is not running");
  RoomHost* room = FindHost(room_name);
  if (!room) return NotFoundError("no room '" + room_name + "'");
  std::vector<RoomMember> out = room->roster().members();
  // Each leg's counters are read on its own shard.
  for (RoomMember& m : out) {
    if (AudioLeg* a = room->roster().FindAudioLeg(m.id)) {
      m.audio_stats_json = RunOn(a->shard(), [a, room] { return a->SummaryJson(room->name()); });
    }
    if (VideoLeg* v = room->roster().FindVideoLeg(m.id)) {
      m.video_stats_json = RunOn(v->shard(), [v, room] { return v->SummaryJson(room->name()); });
    }
  }
  return out;
}

Status RoomService::UpdateMember(const std::string& room_name, uint32_t id, const MemberUpdate& u) {
  std::lock_guard lock(mu_);
  auto found = FindMemberOf(room_name, id);
  if (!found.ok()) return found.status();
  RoomHost* room = found->first;
  RoomMember* member = found->second;
  if ((u.pinned || u.role) && !(room->has_video() && room->roster().FindVideoLeg(id))) {
    return FailedPreconditionError("participant " + member->name + " of room " + room_name +
                                   " has no video: it cannot be pinned or given a role");
  }
  if ((u.pinned || u.role) && !member->admitted) {
    return FailedPreconditionError("participant " + member->name + " of room " + room_name +
                                   " is not admitted yet: it has no tile to pin or give a role");
  }
  if (u.muted && !*u.muted && !member->sends) {
    return FailedPreconditionError("participant " + member->name + " of room " + room_name +
                                   " only receives: it cannot be unmuted (nor recorded)");
  }
  const bool muted = u.muted.value_or(member->muted);
  const bool deaf = u.deaf.value_or(member->deaf);
  const bool admitted = member->admitted;
  if (u.muted || u.deaf) {
    TESSERA_RETURN_IF_ERROR(RunOn(room->audio().context(), [&] {
      return room->audio().SetMuteDeaf(id, muted, deaf, admitted);
    }));
    member->muted = muted;
    member->deaf = deaf;
  }
  if (u.notice) {
    TESSERA_RETURN_IF_ERROR(
        RunOn(room->audio().context(), [&] { return room->audio().SetNotice(id, *u.notice); }));
  }
  if (u.pinned) {
    TESSERA_RETURN_IF_ERROR(
        RunOn(room->video().context(), [&] { return room->video().SetPinned(id, *u.pinned); }));
  }
  if (u.role) {
    TESSERA_RETURN_IF_ERROR(
        RunOn(room->video().context(), [&] { return room->video().SetRole(id, *u.role); }));
  }
  if (u.consent && *u.consent != member->consent) {
    member->consent = *u.consent;
    spdlog::info("room {}: {} (participant {}) consent to recording: {} (by {})", room_name,
                 PersonalName(member->name), id, ConsentName(*u.consent), u.consent_source);
    for (const auto& o : observers_) {
      o->OnConsentChangedBy(room_name, id, member->name, *u.consent, u.consent_source);
    }
    if (auto l = listeners_.find({room_name, id}); l != listeners_.end() && l->second) {
      l->second->OnConsentChanged(*u.consent, u.consent_source);
    }
    room->UpdateExclusion();
  }
  spdlog::info("room {}: {} (participant {}) updated: muted {}, deaf {}{}{}{}", room_name,
               member->name, id, muted, deaf,
               u.notice ? (*u.notice ? ", notice on" : ", notice off") : "",
               u.pinned ? (*u.pinned ? ", pinned" : ", unpinned") : "",
               u.role ? ", role '" + *u.role + "'" : std::string());
  return Status::Ok();
}

Status RoomService::CheckNewRoom(const RoomConfig& rc) {
  if (FindHost(rc.name)) {
    return Status(StatusCode::kAlreadyExists, "room '" + rc.name + "' already exists");
  }
  for (const auto& r : rooms_) {
    for (const std::string& n : rc.sip.numbers) {
      const auto& theirs = r->config().sip.numbers;
      if (n == r->name() || std::find(theirs.begin(), theirs.end(), n) != theirs.end()) {
        return Status(StatusCode::kAlreadyExists,
                      "SIP number " + n + " already reaches room '" + r->name() + "'");
      }
    }
    const auto& theirs = r->config().sip.numbers;
    if (std::find(theirs.begin(), theirs.end(), rc.name) != theirs.end()) {
      return Status(StatusCode::kAlreadyExists,
                    "room name '" + rc.name + "' is a SIP number of room '" + r->name() + "'");
    }
  }
  return Status::Ok();
}

Status RoomService::CreateRoom(RoomConfig rc) {
  std::lock_guard lock(mu_);
  if (draining_) return UnavailableError("the node is draining: it makes no new rooms");
  TESSERA_RETURN_IF_ERROR(CheckNewRoom(rc));
  auto host = MakeRoom(rc);
  if (!host.ok()) return host.status();
  RoomHost* room = host->get();
  // Its participants came with the room, at run time: a drain waits for them like for a join.
  for (const RoomMember& m : room->roster().members()) {
    room->roster().FindMutableMember(m.id)->from_config = false;
  }
  rooms_.push_back(std::move(*host));
  if (started_) room->Start();
  spdlog::info("room {}: created ({} participants, {})", rc.name, rc.participants.size(),
               rc.video ? "video layout " + rc.video->layout : std::string("audio only"));
  for (const auto& o : observers_) {
    o->OnRoomCreated(rc.name);
    for (const RoomMember& m : room->roster().members()) {
      const RoomParticipantConfig* pc = nullptr;
      for (const auto& p : rc.participants) {
        if (p.name == m.name) pc = &p;
      }
      o->OnParticipantJoinedFrom(rc.name, m.id, m.name, m.transport,
                                 pc ? pc->remote_address : std::string());
      if (m.consent != Consent::kUnknown) {
        o->OnConsentChangedBy(rc.name, m.id, m.name, m.consent, "join");
      }
    }
  }
  return Status::Ok();
}

Status RoomService::DeleteRoom(const std::string& room_name) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(rooms_.begin(), rooms_.end(),
                         [&](const auto& r) { return r->name() == room_name; });
  if (it == rooms_.end()) return NotFoundError("no room '" + room_name + "'");
  RoomHost* room = it->get();
  spdlog::info("room {}: ending ({} participants)", room_name, room->roster().members().size());
  if (started_) {
    // 1. No more ticks: nothing posts to the legs any more.
    RunOn(room->audio().context(), [room] { room->audio().StopTicks(); });
    if (room->has_video()) RunOn(room->video().context(), [room] { room->video().StopTicks(); });
    // 2. Every participant leaves as by LeaveRoom (SIP callers get their BYE).
    std::vector<uint32_t> ids;
    for (const RoomMember& m : room->roster().members()) ids.push_back(m.id);
    for (uint32_t id : ids) Leave(*room, id);
    // 3. What the legs and the cancelled timers queued on the room's contexts before has run:
    // each context runs its handlers in order, so nothing queued there outlives the room.
    RunOn(room->audio().context(), [] {});
    if (room->has_video()) RunOn(room->video().context(), [] {});
    spdlog::info("{}", room->audio().SummaryJson());
    if (room->has_video()) spdlog::info("{}", room->video().SummaryJson());
  } else {
    for (const RoomMember& m : room->roster().members()) ReleasePorts(m);
  }
  next_ids_[room_name] = room->roster().next_id();
  rooms_.erase(it);
  spdlog::info("room {}: ended", room_name);
  for (const auto& o : observers_) o->OnRoomEnded(room_name);
  return Status::Ok();
}

void RoomService::Drain() {
  if (!draining_.exchange(true)) spdlog::info("draining: no new rooms or participants");
}

void RoomService::AddObserver(std::shared_ptr<RoomObserver> observer) {
  std::lock_guard lock(mu_);
  observers_.push_back(std::move(observer));
}

}  // namespace tessera::session
