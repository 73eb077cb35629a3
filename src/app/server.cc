#include "app/server.h"

#include <spdlog/spdlog.h>
#include <tessera/codec/hw_probe.h>

#include <boost/asio/post.hpp>
#include <future>
#include <thread>

namespace tessera::app {

Server::Server(Config config, Clock& clock)
    : Server(std::move(config), clock, codec::OpenHwDevice) {}

Server::Server(Config config, Clock& clock, codec::HwDeviceOpener hw_opener)
    : config_(std::move(config)),
      clock_(clock),
      shards_(config_.server.shards),
      media_(config_.server.shards),
      video_media_(config_.server.shards),
      ports_(config_.server.rtp_port_min, config_.server.rtp_port_max),
      hw_devices_(std::move(hw_opener)) {}

Server::~Server() { Stop(); }

StatusOr<uint16_t> ReservePort(net::PortAllocator& ports, uint16_t fixed, bool rtcp_mux) {
  if (!fixed) return ports.Allocate(rtcp_mux);
  TESSERA_RETURN_IF_ERROR(ports.Reserve(fixed, rtcp_mux));
  return fixed;
}

codec::HwDeviceOptions DeviceOptionsFor(const HardwareConfig& h) {
  codec::HwDeviceOptions o;
  o.cuda_device = static_cast<int>(h.cuda_device);
  o.qsv_device = h.qsv_device;
  return o;
}

StatusOr<codec::HwSelection> Server::SelectRoomBackend(const RoomConfig& rc) {
  const HardwareConfig& h = config_.hardware;
  const auto& order = rc.video && rc.video->hardware ? *rc.video->hardware : h.backends;
  auto selection =
      codec::SelectHwBackend(order, h.required, DeviceOptionsFor(h), hw_devices_.AsOpener());
  if (!selection.ok()) {
    return Status(selection.status().code(),
                  "room " + rc.name + ": hardware: " + selection.status().message());
  }
  return selection;
}

Status Server::StartRooms() {
  bool any_video = false;
  for (const auto& rc : config_.rooms) any_video |= rc.video.has_value();
  if (const auto required = config_.hardware.required; required && !any_video) {
    // Nothing would open it, yet the operator said it must be there: check it now.
    auto device = hw_devices_.Get(*required, DeviceOptionsFor(config_.hardware));
    if (!device.ok()) {
      return Status(device.status().code(), std::string("hardware: required backend ") +
                                                codec::HwBackendName(*required) +
                                                " is not available: " + device.status().message());
    }
  }
  if (any_video) {
    // The rooms open the devices right after, and log what they got and why.
    codec::HwProbeOptions probe;
    probe.device = DeviceOptionsFor(config_.hardware);
    probe.open_ffmpeg_devices = false;
    spdlog::info("hardware: {}", codec::HwProbeSummaryLine(codec::ProbeHardware(probe)));
  }
  for (const auto& rc : config_.rooms) {
    auto host = std::make_unique<RoomHost>(rc, media_.shard(media_.NextShardIndex()), clock_);
    codec::HwSelection hardware;
    if (rc.video) {
      auto selection = SelectRoomBackend(rc);
      if (!selection.ok()) return selection.status();
      hardware = std::move(*selection);
    }
    TESSERA_RETURN_IF_ERROR(
        host->InitVideo(video_media_.shard(video_media_.NextShardIndex()), std::move(hardware)));
    const auto now = std::chrono::system_clock::now();
    for (const auto& pc : rc.participants) {
      const uint32_t id = host->TakeNextId();  // 1, 2, ... in config order
      auto legs = CreateLegs(*host, pc, id);
      if (!legs.ok()) return legs.status();
      // No thread runs yet: the legs go straight into the room.
      if (legs->audio) TESSERA_RETURN_IF_ERROR(host->AttachAudio(legs->audio.get()));
      if (legs->video) TESSERA_RETURN_IF_ERROR(host->WriteSdpFor(*legs->video));
      TESSERA_RETURN_IF_ERROR(host->AttachVideo(id, pc, legs->mailbox, legs->video.get()));
      legs->member.joined_at = now;
      host->AddMember(legs->member);
      host->AdoptLegs(std::move(legs->audio), std::move(legs->video));
    }
    rooms_.push_back(std::move(host));
  }
  return Status::Ok();
}

StatusOr<Server::NewLegs> Server::CreateLegs(RoomHost& host, const RoomParticipantConfig& pc,
                                             uint32_t id) {
  NewLegs legs;
  legs.member.id = id;
  legs.member.name = pc.name;
  // Whatever fails below, the ports taken so far go back.
  struct PortGuard {
    Server* server;
    RoomMember* member;
    ~PortGuard() {
      if (member) server->ReleasePorts(*member);
    }
  } guard{this, &legs.member};
  if (pc.has_audio) {
    auto port = ReservePort(ports_, pc.local_port, pc.rtcp_mux);
    if (!port.ok()) {
      return Status(port.status().code(),
                    "participant " + pc.name + ": " + port.status().message());
    }
    legs.member.audio_port = *port;
    legs.member.audio_rtcp_mux = pc.rtcp_mux;
    const size_t shard = shards_.NextShardIndex();
    auto leg = AudioLeg::Create(pc, id, config_.server, shards_.shard(shard), *port, clock_,
                                host.SinkForLegs());
    if (!leg.ok()) return leg.status();
    legs.audio = std::move(*leg);
  }
  if (!host.has_video() || !pc.video) {
    guard.member = nullptr;
    return legs;
  }
  const RoomVideoConfig& rv = *host.config().video;
  std::shared_ptr<session::VideoInput> input;
  if (pc.video->send) {
    session::VideoInputConfig ic;
    ic.id = id;
    ic.name = pc.name;
    ic.codec = pc.video->codec;
    ic.decoder.max_width = static_cast<int>(rv.max_input_width);
    ic.decoder.max_height = static_cast<int>(rv.max_input_height);
    ic.max_fps = static_cast<int>(rv.max_input_fps);
    // Decode on the room's device where it composes. Whether it does is the video context's
    // state once the room runs (a lost device moves the room to the CPU).
    ic.hw_device = started_ ? RunOn(*host.video_media(), [&host] { return host.decode_device(); })
                            : host.decode_device();
    auto created = session::VideoInput::Create(ic, clock_);
    if (!created.ok()) {
      return Status(created.status().code(),
                    "participant " + pc.name + ": " + created.status().message());
    }
    input = std::move(*created);
    legs.mailbox = input->mailbox();
  }
  auto port = ReservePort(ports_, pc.video->local_port, pc.video->rtcp_mux);
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
  const size_t shard = shards_.NextShardIndex();
  auto leg = VideoLeg::Create(pc, id, config_.server, shards_.shard(shard), *port, clock_,
                              boost::asio::make_strand(decode_pool_->get_executor()),
                              std::move(input), host.ReceiveCodecFor(pc), host.HooksForVideoLegs());
  if (!leg.ok()) return leg.status();
  legs.video = std::move(*leg);
  guard.member = nullptr;
  return legs;
}

void Server::ReleasePorts(const RoomMember& m) {
  if (m.audio_port) ports_.Release(m.audio_port, m.audio_rtcp_mux);
  if (m.video_port) ports_.Release(m.video_port, m.video_rtcp_mux);
}

Status Server::Start() {
  std::lock_guard lock(control_mu_);
  for (const auto& pc : config_.participants) {
    auto port = ReservePort(ports_, pc.local_port, pc.rtcp_mux);
    if (!port.ok()) {
      return Status(port.status().code(),
                    "participant " + pc.name + ": " + port.status().message());
    }
    const size_t shard = shards_.NextShardIndex();
    auto p = Participant::Create(pc, config_.server, shards_.shard(shard), *port, clock_);
    if (!p.ok()) return p.status();
    participants_.push_back({std::move(*p), shard});
  }
  TESSERA_RETURN_IF_ERROR(StartRooms());
  for (auto& e : participants_) {
    Participant* p = e.participant.get();
    boost::asio::post(shards_.shard(e.shard), [p] { p->Start(); });
  }
  for (auto& room : rooms_) room->Start();
  shards_.Start();
  media_.Start();
  video_media_.Start();
  started_ = true;
  spdlog::info("tessera started: {} recording participants, {} rooms, {} network shards ({})",
               participants_.size(), rooms_.size(), shards_.size(), config_.source);
  return Status::Ok();
}

void Server::Stop() {
  std::lock_guard lock(control_mu_);
  if (!started_) return;
  started_ = false;
  for (auto& e : participants_) {
    Participant* p = e.participant.get();
    RunOn(shards_.shard(e.shard), [p] { p->Stop(); });
  }
  // Rooms stop ticking first, then each leg drains what already arrived on its own shard.
  for (auto& room : rooms_) {
    RoomHost* r = room.get();
    RunOn(r->media(), [r] { r->StopTicks(); });
    if (r->has_video()) RunOn(*r->video_media(), [r] { r->StopVideoTicks(); });
  }
  for (auto& room : rooms_) {
    for (auto& leg : room->legs()) {
      AudioLeg* l = leg.get();
      RunOn(l->shard(), [l] { l->Stop(); });
    }
    for (auto& leg : room->video_legs()) {
      VideoLeg* l = leg.get();
      RunOn(l->shard(), [l] { l->Stop(); });
    }
  }
  // Frames already handed to decoders are decoded before the summary reads their counters.
  if (decode_pool_) decode_pool_->join();
  shards_.Stop();
  media_.Stop();
  video_media_.Stop();
}

std::vector<std::string> Server::SummaryLines() {
  std::lock_guard lock(control_mu_);
  std::vector<std::string> out;
  for (auto& s : Summaries()) out.push_back(s.ToJson());
  for (auto& room : rooms_) {
    for (auto& leg : room->legs()) out.push_back(leg->SummaryJson(room->name()));
    for (auto& leg : room->video_legs()) out.push_back(leg->SummaryJson(room->name()));
    out.push_back(room->SummaryJson());
    if (room->has_video()) out.push_back(room->VideoSummaryJson());
  }
  return out;
}

std::vector<ParticipantSummary> Server::Summaries() {
  std::vector<ParticipantSummary> out;
  for (auto& e : participants_) out.push_back(e.participant->Summary());
  return out;
}

}  // namespace tessera::app
