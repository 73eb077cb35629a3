// The rooms of a node: set-up before the threads run, start, stop and the summary lines. Joins
// and leaves while the rooms run are in room_service_runtime.cc; the picture commands and live
// stats in room_service_commands.cc.
#include <spdlog/spdlog.h>
#include <tessera/session/room_service.h>

#include <thread>

#include "session/audio_leg.h"
#include "session/participant.h"
#include "session/room_host.h"
#include "session/room_service_legs.h"
#include "session/video_leg.h"

namespace tessera::session {
namespace {

StatusOr<uint16_t> ReservePort(net::PortAllocator& ports, uint16_t fixed, bool rtcp_mux) {
  if (!fixed) return ports.Allocate(rtcp_mux);
  TESSERA_RETURN_IF_ERROR(ports.Reserve(fixed, rtcp_mux));
  return fixed;
}

}  // namespace

RoomService::RoomService(const ServerConfig& server, RoomServiceContext context, Clock& clock)
    : server_(server), context_(std::move(context)), clock_(clock) {}

RoomService::~RoomService() { Stop(); }

Status RoomService::SetUp(const std::vector<ParticipantConfig>& participants,
                          const std::vector<RoomConfig>& rooms) {
  std::lock_guard lock(mu_);
  net::ShardPool& shards = *context_.shards;
  for (const auto& pc : participants) {
    auto port = ReservePort(*context_.ports, pc.local_port, pc.rtcp_mux);
    if (!port.ok()) {
      return Status(port.status().code(),
                    "participant " + pc.name + ": " + port.status().message());
    }
    const size_t shard = shards.NextShardIndex();
    auto p = Participant::Create(pc, server_, shards.shard(shard), *port, clock_);
    if (!p.ok()) return p.status();
    participants_.push_back({std::move(*p), shard});
  }
  for (const auto& rc : rooms) {
    auto host = MakeRoom(rc);
    if (!host.ok()) return host.status();
    rooms_.push_back(std::move(*host));
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<RoomHost>> RoomService::MakeRoom(const RoomConfig& rc) {
  auto host = std::make_unique<RoomHost>(
      rc, context_.media->shard(context_.media->NextShardIndex()), clock_);
  // Whatever fails below, the ports of the participants made so far go back. Their legs have
  // not started (no socket has a pending operation), so they are destroyed with the host here.
  struct PortGuard {
    RoomService* service;
    RoomHost* host;
    ~PortGuard() {
      if (!host) return;
      for (const RoomMember& m : host->roster().members()) service->ReleasePorts(m);
    }
  } guard{this, host.get()};
  if (auto it = next_ids_.find(rc.name); it != next_ids_.end()) {
    host->roster().ContinueIdsFrom(it->second);
  }
  codec::HwSelection hardware;
  if (rc.video) {
    auto selection = context_.select_backend(rc);
    if (!selection.ok()) return selection.status();
    hardware = std::move(*selection);
  }
  TESSERA_RETURN_IF_ERROR(host->InitVideo(
      context_.video_media->shard(context_.video_media->NextShardIndex()), std::move(hardware)));
  const auto now = std::chrono::system_clock::now();
  for (const auto& pc : rc.participants) {
    const uint32_t id = host->roster().TakeNextId();  // 1, 2, ... in config order
    auto legs = CreateLegs(*host, pc, JoinOptions{}, id);
    if (!legs.ok()) return legs.status();
    legs->member.joined_at = now;
    legs->member.muted = pc.muted;
    legs->member.deaf = pc.deaf;
    // Added first, so the guard releases its ports if it cannot be attached.
    host->roster().AddMember(legs->member);
    AudioLeg* audio = legs->audio.get();
    VideoLeg* video = legs->video.get();
    std::shared_ptr<mixer::FrameMailbox> mailbox = legs->mailbox;
    host->roster().AdoptLegs(std::move(legs->audio), std::move(legs->video));
    // The room's threads have not started it: the legs go straight into the room.
    if (audio) TESSERA_RETURN_IF_ERROR(host->audio().Attach(audio, true));
    if (video) TESSERA_RETURN_IF_ERROR(host->WriteSdpFor(*video));
    if (host->has_video()) {
      TESSERA_RETURN_IF_ERROR(host->video().Attach(id, pc, true, mailbox, video));
    }
  }
  host->UpdateExclusion(nullptr, /*wait=*/false);
  guard.host = nullptr;
  return host;
}

StatusOr<RoomService::NewLegs> RoomService::CreateLegs(RoomHost& host,
                                                       const RoomParticipantConfig& pc,
                                                       const JoinOptions& options, uint32_t id) {
  NewLegs legs;
  legs.member.id = id;
  legs.member.name = pc.name;
  legs.member.sends = (pc.has_audio && !pc.receive_only) || (pc.video && pc.video->send);
  legs.member.consent = pc.consent;
  // Whatever fails below, the ports taken so far go back.
  struct PortGuard {
    RoomService* service;
    RoomMember* member;
    ~PortGuard() {
      if (member) service->ReleasePorts(*member);
    }
  } guard{this, &legs.member};
  net::ShardPool& shards = *context_.shards;
  // A front end that carries the legs' packets (WebRTC) owns their port and their shard.
  ExternalLink* link = options.external_link.get();
  auto reserve = [&](uint16_t wanted, bool rtcp_mux) -> StatusOr<uint16_t> {
    if (link) return uint16_t{0};
    return ReservePort(*context_.ports, wanted, rtcp_mux);
  };
  auto shard_for_leg = [&]() -> boost::asio::io_context& {
    return link ? link->shard() : shards.shard(shards.NextShardIndex());
  };
  if (pc.has_audio) {
    auto port = reserve(pc.local_port, pc.rtcp_mux);
    if (!port.ok()) {
      return Status(port.status().code(),
                    "participant " + pc.name + ": " + port.status().message());
    }
    legs.member.audio_port = *port;
    legs.member.audio_rtcp_mux = pc.rtcp_mux;
    auto leg = AudioLeg::Create(pc, options, id, server_, shard_for_leg(), *port, clock_,
                                host.audio().SinkForLegs());
    if (!leg.ok()) return leg.status();
    legs.audio = std::move(*leg);
  }
  if (!host.has_video() || !pc.video) {
    guard.member = nullptr;
    return legs;
  }
  const RoomVideoConfig& rv = *host.config().video;
  std::shared_ptr<VideoInput> input;
  // A cascade uplink's video (the primary's composite) is forwarded, never decoded here.
  if (pc.video->send && pc.cascade != CascadeRole::kUplink) {
    VideoInputConfig ic;
    ic.id = id;
    ic.name = pc.name;
    ic.codec = pc.video->codec;
    ic.decoder.max_width = static_cast<int>(rv.max_input_width);
    ic.decoder.max_height = static_cast<int>(rv.max_input_height);
    ic.max_fps = static_cast<int>(rv.max_input_fps);
    // Decode on the room's device where it composes. Whether it does is the video context's
    // state once the room runs (a lost device moves the room to the CPU).
    ic.hw_device =
        started_ ? RunOn(host.video().context(), [&host] { return host.video().decode_device(); })
                 : host.video().decode_device();
    auto created = VideoInput::Create(ic, clock_);
    if (!created.ok()) {
      return Status(created.status().code(),
                    "participant " + pc.name + ": " + created.status().message());
    }
    input = std::move(*created);
    legs.mailbox = input->mailbox();
  }
  auto port = reserve(pc.video->local_port, pc.video->rtcp_mux);
  if (!port.ok()) {
    return Status(port.status().code(),
                  "participant " + pc.name + " (video): " + port.status().message());
  }
  legs.member.video_port = *port;
  legs.member.video_rtcp_mux = pc.video->rtcp_mux;
  if (!decode_pool_) {
    decode_pool_ = std::make_unique<boost::asio::thread_pool>(
        std::max<unsigned>(2, std::thread::hardware_concurrency()));
  }
  auto leg =
      VideoLeg::Create(pc, options, id, server_, shard_for_leg(), *port, clock_,
                       boost::asio::make_strand(decode_pool_->get_executor()), std::move(input),
                       host.ReceiveCodecFor(pc), host.video().HooksForLegs());
  if (!leg.ok()) return leg.status();
  legs.video = std::move(*leg);
  guard.member = nullptr;
  return legs;
}

void RoomService::ReleasePorts(const RoomMember& m) {
  if (m.audio_port) context_.ports->Release(m.audio_port, m.audio_rtcp_mux);
  if (m.video_port) context_.ports->Release(m.video_port, m.video_rtcp_mux);
}

void RoomService::Start() {
  std::lock_guard lock(mu_);
  for (auto& e : participants_) {
    Participant* p = e.participant.get();
    boost::asio::post(context_.shards->shard(e.shard), [p] { p->Start(); });
  }
  for (auto& room : rooms_) room->Start();
  started_ = true;
}

void RoomService::Stop() {
  std::lock_guard lock(mu_);
  if (!started_) return;
  started_ = false;
  for (auto& e : participants_) {
    Participant* p = e.participant.get();
    RunOn(context_.shards->shard(e.shard), [p] { p->Stop(); });
  }
  // Rooms stop ticking first, then each leg drains what already arrived on its own shard.
  for (auto& room : rooms_) {
    RoomHost* r = room.get();
    RunOn(r->audio().context(), [r] { r->audio().StopTicks(); });
    if (r->has_video()) RunOn(r->video().context(), [r] { r->video().StopTicks(); });
  }
  for (auto& room : rooms_) {
    for (auto& leg : room->roster().audio_legs()) {
      AudioLeg* l = leg.get();
      RunOn(l->shard(), [l] { l->Stop(); });
    }
    for (auto& leg : room->roster().video_legs()) {
      VideoLeg* l = leg.get();
      RunOn(l->shard(), [l] { l->Stop(); });
    }
  }
  // Frames already handed to decoders are decoded before the summary reads their counters.
  if (decode_pool_) decode_pool_->join();
}

std::vector<std::string> RoomService::SummaryLines() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (auto& e : participants_) out.push_back(e.participant->Summary().ToJson());
  for (auto& room : rooms_) {
    for (auto& leg : room->roster().audio_legs()) out.push_back(leg->SummaryJson(room->name()));
    for (auto& leg : room->roster().video_legs()) out.push_back(leg->SummaryJson(room->name()));
    out.push_back(room->audio().SummaryJson());
    if (room->has_video()) out.push_back(room->video().SummaryJson());
  }
  return out;
}

}  // namespace tessera::session
