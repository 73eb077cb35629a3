// The CUDA side of VideoRoom: NVDEC pictures (and uploaded CPU pictures) composed by the CUDA
// compositor, encoded by NVENC where the GPU has it, else downloaded once per canvas for the CPU
// encoders. See docs/architecture.md, "Hardware backends".
#include <spdlog/spdlog.h>
#include <tessera/codec/hw_transfer.h>

#include "session/video_room_parts.h"

namespace tessera::session {

Status VideoRoom::InitGpu() {
  const std::shared_ptr<codec::HwDevice>& device = config_.hw_device;
  if (!device || device->backend() == codec::HwBackend::kCpu) return Status::Ok();
  if (device->backend() != codec::HwBackend::kCuda) {
    // Quick Sync composition (VPP) is not built: the room composes and encodes on the CPU.
    stats_.backend_note = std::string(codec::HwBackendName(device->backend())) +
                          ": composition on this backend is not built; CPU pipeline";
    return Status::Ok();
  }
  // Every canvas needs a compositor; one that cannot be made keeps the whole room on the CPU.
  std::vector<std::unique_ptr<mixer::CudaCompositor>> compositors;
  for (size_t i = 0; i < canvases_.size(); ++i) {
    auto c = mixer::CudaCompositor::Create(device->ordinal());
    if (!c.ok()) {
      stats_.backend_note =
          "CUDA compositor unavailable (" + c.status().message() + "); CPU pipeline";
      return Status::Ok();
    }
    compositors.push_back(std::move(*c));
  }
  for (size_t i = 0; i < canvases_.size(); ++i) {
    canvases_[i]->gpu = std::make_unique<GpuCanvas>();
    canvases_[i]->gpu->compositor = std::move(compositors[i]);
  }
  std::string encoders;
  for (size_t i = 0; i < profiles_.size(); ++i) {
    const VideoProfile& p = config_.profiles[i];
    ProfileState& state = *profiles_[i];
    std::string how = "CPU encoder (" + std::string(rtp::CodecName(p.codec)) + ")";
    if (p.codec == rtp::Codec::kH264 && p.single_nal) {
      how += ", single NAL units for packetization-mode 0";
    } else if (p.codec == rtp::Codec::kH264) {
      codec::VideoEncoderConfig ec;
      ec.width = p.width;
      ec.height = p.height;
      ec.fps = p.fps;
      ec.bitrate_bps = p.bitrate_bps;
      ec.keyframe_interval_s = p.keyframe_interval_s;
      auto hw = codec::CreateHwVideoEncoder(codec::HwBackend::kCuda, device->av_device_ctx(), ec);
      if (hw.ok()) {
        state.hw_encoder = std::move(*hw);
        state.encoder.reset();  // its x264 instance is not needed
        if (!state.canvas->gpu->surface_source) {
          state.canvas->gpu->surface_source = state.hw_encoder.get();
        }
        how = "NVENC";
      } else {
        how += " after one download per canvas: " + hw.status().message();
      }
    }
    encoders += (encoders.empty() ? "" : "; ") + p.name + ": " + how;
    stats_.profiles[i].hw_encoder = state.hw_encoder != nullptr;
  }
  for (auto& canvas : canvases_) {
    if (canvas->gpu->surface_source) continue;
    auto pool = codec::DeviceFramePool::Create(codec::HwBackend::kCuda, device->av_device_ctx(),
                                               canvas->frame.width, canvas->frame.height);
    if (!pool.ok()) {
      // Without a canvas surface nothing can be composed on the device: the CPU pipeline.
      for (auto& c : canvases_) c->gpu.reset();
      for (size_t i = 0; i < profiles_.size(); ++i) {
        profiles_[i]->hw_encoder.reset();
        stats_.profiles[i].hw_encoder = false;
        if (!profiles_[i]->encoder) return pool.status();  // cannot happen: CPU encoders kept
      }
      stats_.backend_note = "no device canvas (" + pool.status().message() + "); CPU pipeline";
      return Status::Ok();
    }
    canvas->gpu->pool = std::move(*pool);
  }
  stats_.gpu = true;
  stats_.backend_note = "NVDEC decode, CUDA compositor; " + encoders;
  spdlog::info("video room {}: {}", config_.name, stats_.backend_note);
  return Status::Ok();
}

std::shared_ptr<const codec::DeviceVideoFrame> VideoRoom::Upload(Participant& p) {
  const mixer::MailboxFrame& f = p.current;
  if (p.uploaded && p.uploaded_sequence == f.sequence) return p.uploaded;
  const mixer::I420Frame& picture = *f.picture;
  // NV12 surfaces are even: an odd picture loses its last column or row.
  const int w = picture.width & ~1;
  const int h = picture.height & ~1;
  if (w < 2 || h < 2) return nullptr;
  if (!p.upload_pool || p.upload_pool->width() != w || p.upload_pool->height() != h) {
    auto pool = codec::DeviceFramePool::Create(codec::HwBackend::kCuda,
                                               config_.hw_device->av_device_ctx(), w, h);
    if (!pool.ok()) {
      GpuFailed("upload pool: " + pool.status().message());
      return nullptr;
    }
    p.upload_pool = std::move(*pool);
  }
  auto frame = p.upload_pool->Acquire();
  if (!frame.ok()) {
    GpuFailed("upload surface: " + frame.status().message());
    return nullptr;
  }
  if (const Status s = codec::UploadI420(picture, **frame); !s.ok()) {
    GpuFailed("upload: " + s.message());
    return nullptr;
  }
  ++stats_.uploads;
  p.uploaded = std::move(*frame);
  p.uploaded_sequence = f.sequence;
  return p.uploaded;
}

void VideoRoom::ComposeGpu(Canvas& canvas, const std::vector<Participant*>& by_tile) {
  GpuCanvas& g = *canvas.gpu;
  g.frame.reset();
  g.host_current = false;
  std::vector<codec::Nv12DeviceView> views(canvas.tiles.size());
  std::vector<const codec::Nv12DeviceView*> pictures(canvas.tiles.size(), nullptr);
  // Held until the compose is done, so no picture returns to its pool meanwhile.
  std::vector<std::shared_ptr<const codec::DeviceVideoFrame>> held;
  for (size_t t = 0; t < canvas.tiles.size(); ++t) {
    Participant* p = by_tile[t];
    if (!p || !p->current.has_picture()) continue;
    std::shared_ptr<const codec::DeviceVideoFrame> device = p->current.device_picture;
    if (!device && p->current.picture) device = Upload(*p);
    if (!device) continue;
    const auto view = device->cuda_view();
    if (!view) continue;
    views[t] = *view;
    pictures[t] = &views[t];
    held.push_back(std::move(device));
  }
  auto target = g.surface_source ? g.surface_source->AcquireCanvas() : g.pool->Acquire();
  std::optional<codec::Nv12DeviceView> target_view;
  if (target.ok()) target_view = (*target)->cuda_view();
  if (!target_view) {
    GpuFailed("no device canvas: " +
              (target.ok() ? std::string("not a CUDA surface") : target.status().message()));
    return;
  }
  const mixer::ComposeStats s =
      g.compositor->Compose(canvas.tiles, pictures, *target_view, config_.compose);
  if (!s.canvas_valid) {
    GpuFailed("the CUDA compositor failed (see the log above)");
    return;
  }
  g.frame = std::move(*target);
  ++stats_.gpu_composes;
  gpu_failures_in_a_row_ = 0;
}

bool VideoRoom::HostCanvas(Canvas& canvas) {
  if (!canvas.gpu) return true;
  GpuCanvas& g = *canvas.gpu;
  if (g.host_current) return true;
  if (!g.frame) return false;
  auto host = codec::DownloadToI420(*g.frame);
  if (!host.ok()) {
    GpuFailed("downloading the canvas: " + host.status().message());
    return false;
  }
  ++stats_.downloads;
  canvas.frame = std::move(*host);
  if (text_) DrawNames(canvas, canvas.tile_has_picture);
  g.host_current = true;
  return true;
}

void VideoRoom::GpuFailed(const std::string& what) {
  ++gpu_failures_in_a_row_;
  if (stats_.gpu_failures++ % 300 == 0) {
    spdlog::error("video room {}: {} ({} GPU failures so far)", config_.name, what,
                  stats_.gpu_failures);
  }
  if (gpu_failures_in_a_row_ >= kMaxGpuFailuresInARow) {
    // A CUDA error that keeps coming back is a broken context: nothing on this device works any
    // more, for this room or any other, so every user of the device moves to the CPU.
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
  for (size_t i = 0; i < profiles_.size(); ++i) {
    ProfileState& p = *profiles_[i];
    if (p.encoder) continue;
    const VideoProfile& vp = config_.profiles[i];
    codec::VideoEncoderConfig ec;
    ec.width = vp.width;
    ec.height = vp.height;
    ec.fps = vp.fps;
    ec.bitrate_bps = vp.bitrate_bps;
    ec.keyframe_interval_s = vp.keyframe_interval_s;
    auto encoder = codec::CreateVideoEncoder(vp.codec, ec);
    if (!encoder.ok()) {
      // Without a CPU encoder this profile cannot continue: stay, and say why.
      spdlog::error("video room {}: profile {}: no CPU encoder to fall back to: {}", config_.name,
                    vp.name, encoder.status().ToString());
      return;
    }
    p.encoder = std::move(*encoder);
  }
  for (size_t i = 0; i < profiles_.size(); ++i) {
    profiles_[i]->hw_encoder.reset();
    stats_.profiles[i].hw_encoder = false;
    // Receivers decode the CPU encoder's stream from its first picture, a keyframe.
    profiles_[i]->keyframe_pending = true;
    profiles_[i]->keyframe_urgent = true;
  }
  for (auto& c : canvases_) {
    c->gpu.reset();
    c->key.reset();  // tiles recomputed from the CPU pictures' sizes
  }
  for (auto& [id, p] : participants_) {
    p->upload_pool.reset();
    p->uploaded.reset();
  }
  stats_.gpu = false;
  stats_.backend_note = "CPU pipeline after a GPU failure: " + reason;
  spdlog::error("video room {}: {}", config_.name, stats_.backend_note);
}

}  // namespace tessera::session
