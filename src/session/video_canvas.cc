#include "session/video_canvas.h"

#include <tessera/codec/hw_transfer.h>
#include <tessera/mixer/cpu_compositor.h>

#include <string>
#include <utility>

namespace tessera::session {
namespace {

class HostCanvas final : public VideoCanvas {
 public:
  HostCanvas(int width, int height, VideoCanvasCounters& counters)
      : VideoCanvas(width, height, counters), frame_(mixer::I420Frame::Make(width, height)) {}

  Status Compose(std::span<const mixer::Tile> tiles,
                 std::span<const codec::Picture* const> pictures,
                 const mixer::ComposeOptions& options, DrawNames draw_names) override {
    (void)compositor_.Compose(tiles, pictures, mixer::ComposeTarget{.host = &frame_}, options);
    if (draw_names) draw_names(frame_);
    composed_ = true;
    return Status::Ok();
  }

  StatusOr<codec::Picture> For(codec::HwBackend backend, uint32_t rtp_timestamp) override {
    // Hardware encoders only read their device's memory, and a host canvas is never uploaded for
    // them: a room on the CPU has CPU encoders only.
    if (!composed_ || backend != codec::HwBackend::kCpu) return codec::Picture{};
    frame_.pts_90k = rtp_timestamp;
    return codec::Picture::Borrow(frame_);
  }

  const mixer::I420Frame* host() const override { return composed_ ? &frame_ : nullptr; }

 private:
  mixer::CpuCompositor compositor_;
  mixer::I420Frame frame_;
  bool composed_ = false;
};

class DeviceCanvas final : public VideoCanvas {
 public:
  DeviceCanvas(int width, int height, std::unique_ptr<mixer::Compositor> compositor,
               codec::VideoEncoder* surface_source, std::unique_ptr<codec::DeviceFramePool> pool,
               VideoCanvasCounters& counters)
      : VideoCanvas(width, height, counters),
        compositor_(std::move(compositor)),
        surface_source_(surface_source),
        pool_(std::move(pool)) {}

  Status Compose(std::span<const mixer::Tile> tiles,
                 std::span<const codec::Picture* const> pictures,
                 const mixer::ComposeOptions& options, DrawNames draw_names) override {
    device_.reset();
    host_current_ = false;
    draw_names_ = std::move(draw_names);
    auto target = surface_source_ ? surface_source_->AcquireCanvas() : pool_->Acquire();
    if (!target.ok()) return InternalError("no device canvas: " + target.status().message());
    const mixer::ComposeStats s = compositor_->Compose(
        tiles, pictures, mixer::ComposeTarget{.device = target->get()}, options);
    counters_.uploads += static_cast<uint64_t>(s.uploads);
    if (!s.canvas_valid) return InternalError("the device compositor failed (see the log above)");
    ++counters_.device_composes;
    device_ = std::move(*target);
    return Status::Ok();
  }

  StatusOr<codec::Picture> For(codec::HwBackend backend, uint32_t rtp_timestamp) override {
    if (!device_) return codec::Picture{};
    if (backend == device_->backend()) {
      device_->set_pts_90k(rtp_timestamp);
      return codec::Picture(std::shared_ptr<const codec::DeviceVideoFrame>(device_));
    }
    if (backend != codec::HwBackend::kCpu) return codec::Picture{};  // another device's
    if (!host_current_) {
      auto host = codec::DownloadToI420(*device_);
      if (!host.ok()) return InternalError("downloading the canvas: " + host.status().message());
      ++counters_.downloads;
      host_ = std::move(*host);
      if (draw_names_) draw_names_(host_);
      host_current_ = true;
    }
    host_.pts_90k = rtp_timestamp;
    return codec::Picture::Borrow(host_);
  }

  const mixer::I420Frame* host() const override { return host_current_ ? &host_ : nullptr; }

 private:
  std::unique_ptr<mixer::Compositor> compositor_;
  codec::VideoEncoder* surface_source_;
  std::unique_ptr<codec::DeviceFramePool> pool_;
  std::shared_ptr<codec::DeviceVideoFrame> device_;  // this tick's; null when it failed
  mixer::I420Frame host_;                            // its download, once asked for
  bool host_current_ = false;
  DrawNames draw_names_;
};

}  // namespace

std::unique_ptr<VideoCanvas> MakeHostCanvas(int width, int height, VideoCanvasCounters& counters) {
  return std::make_unique<HostCanvas>(width, height, counters);
}

std::unique_ptr<VideoCanvas> MakeDeviceCanvas(int width, int height,
                                              std::unique_ptr<mixer::Compositor> compositor,
                                              codec::VideoEncoder* surface_source,
                                              std::unique_ptr<codec::DeviceFramePool> pool,
                                              VideoCanvasCounters& counters) {
  return std::make_unique<DeviceCanvas>(width, height, std::move(compositor), surface_source,
                                        std::move(pool), counters);
}

}  // namespace tessera::session
