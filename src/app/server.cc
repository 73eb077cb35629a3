#include "app/server.h"

#include <spdlog/spdlog.h>
#include <tessera/codec/hw_probe.h>

namespace tessera::app {
namespace {

codec::HwDeviceOptions DeviceOptionsFor(const HardwareConfig& h) {
  codec::HwDeviceOptions o;
  o.cuda_device = static_cast<int>(h.cuda_device);
  o.qsv_device = h.qsv_device;
  return o;
}

}  // namespace

Server::Server(Config config, Clock& clock)
    : Server(std::move(config), clock, codec::OpenHwDevice) {}

Server::Server(Config config, Clock& clock, codec::HwDeviceOpener hw_opener)
    : config_(std::move(config)),
      clock_(clock),
      shards_(config_.server.shards),
      media_(config_.server.shards),
      video_media_(config_.server.shards),
      ports_(config_.server.rtp_port_min, config_.server.rtp_port_max),
      hw_devices_(std::move(hw_opener)),
      rooms_(std::make_unique<session::RoomService>(
          config_.server,
          session::RoomServiceContext{
              &shards_, &media_, &video_media_, &ports_,
              [this](const session::RoomConfig& rc) { return SelectRoomBackend(rc); }},
          clock_)),
      console_(*rooms_) {}

Server::~Server() { Stop(); }

StatusOr<codec::HwSelection> Server::SelectRoomBackend(const session::RoomConfig& rc) {
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

Status Server::CheckHardware() {
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
  return Status::Ok();
}

Status Server::Start() {
  if (started_) return FailedPreconditionError("the server is already running");
  TESSERA_RETURN_IF_ERROR(CheckHardware());
  TESSERA_RETURN_IF_ERROR(rooms_->SetUp(config_.participants, config_.rooms));
  if (config_.webrtc.enabled) {
    // Every browser's transport on the first network shard (docs/architecture.md).
    auto webrtc = webrtc::WebRtcService::Create(config_.webrtc, *rooms_, shards_.shard(0), clock_);
    if (!webrtc.ok()) return webrtc.status();
    webrtc_ = std::move(*webrtc);
  }
  rooms_->Start();
  shards_.Start();
  media_.Start();
  video_media_.Start();
  if (webrtc_) webrtc_->Start();
  started_ = true;
  spdlog::info("tessera started: {} recording participants, {} rooms, {} network shards ({})",
               rooms_->recording_participant_count(), rooms_->room_count(), shards_.size(),
               config_.source);
  return Status::Ok();
}

void Server::Stop() {
  if (!started_) return;
  started_ = false;
  if (webrtc_) webrtc_->Stop();  // the browsers leave while the shards still run
  rooms_->Stop();
  shards_.Stop();
  media_.Stop();
  video_media_.Stop();
}

std::string Server::Control(const std::string& line) { return console_.Handle(line); }

std::vector<std::string> Server::SummaryLines() { return rooms_->SummaryLines(); }

}  // namespace tessera::app
