// Where one of a VideoRoom's canvases lives: composed at most once per tick by its compositor and
// handed to each profile's encoder in that encoder's memory. Two kinds, chosen once when the room
// is made or falls back to the CPU (MakeHostCanvas, MakeDeviceCanvas), so the room's tick never
// asks where a canvas is:
// - a host canvas: the CPU compositor draws into an I420 frame in host memory; the names are drawn
//   on it at once;
// - a device canvas: a device compositor draws into an NV12 surface of the first hardware encoder
//   of its size (encoded in place) or of a pool of its own; it is downloaded at most once per tick,
//   only when a CPU encoder or the recorder asks for it, and the names are drawn on that copy.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame_pool.h>
#include <tessera/codec/picture.h>
#include <tessera/codec/video_encoder.h>
#include <tessera/mixer/compositor.h>
#include <tessera/mixer/layout.h>
#include <tessera/session/video_room.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

namespace tessera::session {

// Runs on: the room's video mixing thread (not thread-safe).
class VideoCanvas {
 public:
  // Draws the tiles' names on a host copy of the canvas.
  using DrawNames = std::function<void(mixer::I420Frame&)>;

  virtual ~VideoCanvas() = default;

  // Composes this tick's canvas. An error is a device failure, with what failed; the canvas then
  // has no picture this tick.
  virtual Status Compose(std::span<const mixer::Tile> tiles,
                         std::span<const codec::Picture* const> pictures,
                         const mixer::ComposeOptions& options, DrawNames draw_names) = 0;

  // This tick's canvas, stamped rtp_timestamp, in the memory of an encoder of `backend`: the
  // canvas itself, or a host copy (one download per tick). Empty when there is none this tick
  // (nothing composed, or a failed compose); an error is a device failure (a failed download).
  virtual StatusOr<codec::Picture> For(codec::HwBackend backend, uint32_t rtp_timestamp) = 0;

  // This tick's canvas in host memory if it is there without a download; else null.
  virtual const mixer::I420Frame* host() const = 0;

  int width() const { return width_; }
  int height() const { return height_; }

 protected:
  VideoCanvas(int width, int height, VideoCanvasCounters& counters)
      : width_(width), height_(height), counters_(counters) {}

  int width_;
  int height_;
  VideoCanvasCounters& counters_;
};

// A canvas the CPU compositor draws in host memory.
std::unique_ptr<VideoCanvas> MakeHostCanvas(int width, int height, VideoCanvasCounters& counters);

// A canvas `compositor` (a device compositor) draws on its device, into surfaces of
// `surface_source` (a hardware encoder of this size, which then encodes them in place; not owned,
// it must outlive the canvas) or, where that is null, of `pool` (of this size).
std::unique_ptr<VideoCanvas> MakeDeviceCanvas(int width, int height,
                                              std::unique_ptr<mixer::Compositor> compositor,
                                              codec::VideoEncoder* surface_source,
                                              std::unique_ptr<codec::DeviceFramePool> pool,
                                              VideoCanvasCounters& counters);

}  // namespace tessera::session
