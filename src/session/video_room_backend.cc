// Where a VideoRoom's work runs: the compositor of each canvas and the encoder of each profile,
// chosen once when the room is made (mixer::CreateCompositor, codec::CreateVideoEncoderFor, a host
// or device canvas, video_canvas.h), and the move to the CPU when the device fails.
// See docs/architecture.md, "Hardware backends".
#include <spdlog/spdlog.h>
#include <tessera/codec/codec_factory.h>

#include "session/video_room_parts.h"

namespace tessera::session {
namespace {

std::string EncoderName(const codec::VideoEncoder& encoder, rtp::Codec codec) {
  switch (encoder.backend()) {
    case codec::HwBackend::kCuda:
      return "NVENC";
    case codec::HwBackend::kQsv:
      return "Quick Sync encoder";
    case codec::HwBackend::kCpu:
      break;
  }
  return "CPU encoder (" + std::string(rtp::CodecName(codec)) + ")";
}

}  // namespace

Status VideoRoom::InitBackend() {
  const codec::HwDevice* device = config_.hw_device.get();
  // Every canvas needs a compositor on the device; one that cannot be made keeps the whole room
  // on the CPU.
  std::string fallback;
  std::vector<std::unique_ptr<mixer::Compositor>> compositors;
  for (size_t i = 0; i < canvases_.size(); ++i) {
    mixer::CompositorChoice c = mixer::CreateCompositor(device);
    if (!c.fallback.empty()) fallback = c.fallback;
    compositors.push_back(std::move(c.compositor));
  }
  const bool on_device =
      fallback.empty() && device != nullptr && device->backend() != codec::HwBackend::kCpu;
  // Encoders go to the device only where the canvas is there to read in place.
  std::string encoders;
  std::vector<codec::VideoEncoder*> surface_sources(canvases_.size(), nullptr);
  for (size_t i = 0; i < profiles_.size(); ++i) {
    const VideoProfile& p = config_.profiles[i];
    ProfileState& state = *profiles_[i];
    auto made =
        codec::CreateVideoEncoderFor(on_device ? device : nullptr, p.codec, state.encoder_config);
    if (!made.ok()) return made.status();
    state.encoder = std::move(made->instance);
    const bool hw = state.encoder->backend() != codec::HwBackend::kCpu;
    for (size_t c = 0; c < canvases_.size(); ++c) {
      if (hw && canvases_[c].get() == state.canvas && !surface_sources[c]) {
        surface_sources[c] = state.encoder.get();
      }
    }
    std::string how = EncoderName(*state.encoder, p.codec);
    if (!made->fallback.empty()) how += " after one download per canvas: " + made->fallback;
    encoders += (encoders.empty() ? "" : "; ") + p.name + ": " + how;
    stats_.profiles[i].hw_encoder = hw;
  }
  if (!on_device) {
    for (auto& canvas : canvases_) {
      canvas->surface = MakeHostCanvas(canvas->width, canvas->height, canvas_counters_);
    }
    if (!fallback.empty()) stats_.backend_note = fallback + "; CPU pipeline";
    return Status::Ok();
  }
  for (size_t c = 0; c < canvases_.size(); ++c) {
    Canvas& canvas = *canvases_[c];
    std::unique_ptr<codec::DeviceFramePool> pool;
    if (!surface_sources[c]) {
      auto made = codec::DeviceFramePool::Create(device->backend(), device->av_device_ctx(),
                                                 canvas.width, canvas.height);
      if (!made.ok()) {
        // Without a canvas surface nothing can be composed on the device: the CPU pipeline.
        stats_.gpu = true;  // for FallBackToCpu, which undoes it
        FallBackToCpu("no device canvas (" + made.status().message() + ")");
        return Status::Ok();
      }
      pool = std::move(*made);
    }
    canvas.surface = MakeDeviceCanvas(canvas.width, canvas.height, std::move(compositors[c]),
                                      surface_sources[c], std::move(pool), canvas_counters_);
  }
  stats_.gpu = true;
  stats_.backend_note =
      std::string(codec::HwBackendName(device->backend())) + " decode and compositor; " + encoders;
  spdlog::info("video room {}: {}", config_.name, stats_.backend_note);
  return Status::Ok();
}

void VideoRoom::SyncCanvasCounters() {
  stats_.gpu_composes = canvas_counters_.device_composes;
  stats_.uploads = canvas_counters_.uploads;
  stats_.downloads = canvas_counters_.downloads;
}

void VideoRoom::GpuFailed(const std::string& what) {
  ++gpu_failures_in_a_row_;
  if (stats_.gpu_failures++ % 300 == 0) {
    spdlog::error("video room {}: {} ({} GPU failures so far)", config_.name, what,
                  stats_.gpu_failures);
  }
  if (gpu_failures_in_a_row_ >= kMaxGpuFailuresInARow) {
    // A device error that keeps coming back is a broken context: nothing on this device works
    // any more, for this room or any other, so every user of the device moves to the CPU.
    config_.hw_device->MarkLost("video room " + config_.name + ": " +
                                std::to_string(gpu_failures_in_a_row_) +
                                " GPU failures in a row, the last: " + what);
  }
}

void VideoRoom::CheckGpu() {
  if (config_.hw_device && config_.hw_device->lost()) {
    FallBackToCpu("device lost: " + config_.hw_device->lost_reason());
  }
}

void VideoRoom::FallBackToCpu(const std::string& reason) {
  // Made first, so a profile that cannot have a CPU encoder leaves the room as it was.
  std::vector<std::unique_ptr<codec::VideoEncoder>> cpu(profiles_.size());
  for (size_t i = 0; i < profiles_.size(); ++i) {
    ProfileState& p = *profiles_[i];
    if (p.encoder && p.encoder->backend() == codec::HwBackend::kCpu) continue;
    const VideoProfile& vp = config_.profiles[i];
    auto encoder = codec::CreateVideoEncoder(vp.codec, p.encoder_config);
    if (!encoder.ok()) {
      // Without a CPU encoder this profile cannot continue: stay, and say why.
      spdlog::error("video room {}: profile {}: no CPU encoder to fall back to: {}", config_.name,
                    vp.name, encoder.status().ToString());
      return;
    }
    cpu[i] = std::move(*encoder);
  }
  for (auto& c : canvases_) {
    // Before the encoders that lend the device canvases their surfaces go.
    c->surface = MakeHostCanvas(c->width, c->height, canvas_counters_);
    c->key.reset();  // tiles recomputed from the CPU pictures' sizes
  }
  for (size_t i = 0; i < profiles_.size(); ++i) {
    if (cpu[i]) profiles_[i]->encoder = std::move(cpu[i]);
    stats_.profiles[i].hw_encoder = false;
    // Receivers decode the CPU encoder's stream from its first picture, a keyframe.
    profiles_[i]->keyframe_pending = true;
    profiles_[i]->keyframe_urgent = true;
  }
  FallBackVariantsToCpu();
  stats_.gpu = false;
  stats_.backend_note = "CPU pipeline after a GPU failure: " + reason;
  spdlog::error("video room {}: {}", config_.name, stats_.backend_note);
}

}  // namespace tessera::session
