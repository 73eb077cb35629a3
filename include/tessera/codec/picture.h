// One picture type from decoders through the mixer to encoders, wherever the pixels live: an I420
// picture in host memory (codec::VideoFrame: the CPU decoders' output, the CPU compositor's canvas,
// the CPU encoders' input) or an NV12 picture in a hardware device's memory
// (codec::DeviceVideoFrame: NVDEC/QSV output, the CUDA compositor's canvas, NVENC/QSV input).
// Every decoder returns one, every compositor reads them and every encoder takes one, so the room
// moves pictures between backends without knowing which backend made them.
#pragma once

#include <tessera/codec/device_frame.h>
#include <tessera/codec/device_video_frame.h>
#include <tessera/codec/video_frame.h>

#include <cstdint>
#include <memory>
#include <utility>

namespace tessera::codec {

// Runs on: any one thread at a time; the pixels it refers to are immutable and shared (a room's
// latest-picture mailbox hands the same picture to the mixer thread), so copies are cheap and
// safe to pass between threads.
class Picture {
 public:
  // No picture.
  Picture() = default;
  // A picture in host memory (null: no picture).
  Picture(std::shared_ptr<const VideoFrame> host) : host_(std::move(host)) {}  // NOLINT
  // A picture in a device's memory (null: no picture).
  Picture(std::shared_ptr<const DeviceVideoFrame> device) : device_(std::move(device)) {}  // NOLINT

  // A host picture that refers to `frame` without owning it: valid only while `frame` lives and
  // is left unchanged (a room hands its canvas to the encoders of one tick this way, with no
  // copy). Never store it.
  static Picture Borrow(const VideoFrame& frame) {
    return Picture(std::shared_ptr<const VideoFrame>(std::shared_ptr<const VideoFrame>(), &frame));
  }

  explicit operator bool() const { return host_ != nullptr || device_ != nullptr; }

  // Where the pixels are: kCpu for host pictures (and for no picture).
  HwBackend backend() const { return device_ ? device_->backend() : HwBackend::kCpu; }

  // At most one of the two is non-null.
  const VideoFrame* host() const { return host_.get(); }
  const DeviceVideoFrame* device() const { return device_.get(); }
  // The owning references, for a holder that must keep the pixels alive (a device compositor's
  // upload cache keys its copies by them).
  const std::shared_ptr<const VideoFrame>& shared_host() const { return host_; }
  const std::shared_ptr<const DeviceVideoFrame>& shared_device() const { return device_; }

  // Luma samples; 0 for no picture.
  int width() const { return host_ ? host_->width : device_ ? device_->width() : 0; }
  int height() const { return host_ ? host_->height : device_ ? device_->height() : 0; }
  // Presentation time on the 90 kHz RTP video clock; 0 for no picture.
  int64_t pts_90k() const { return host_ ? host_->pts_90k : device_ ? device_->pts_90k() : 0; }

  void Reset() {
    host_.reset();
    device_.reset();
  }

 private:
  std::shared_ptr<const VideoFrame> host_;
  std::shared_ptr<const DeviceVideoFrame> device_;
};

}  // namespace tessera::codec
