// The video mixer's compositors behind one interface: the CPU compositor (cpu_compositor.h: I420
// in host memory, libyuv) and the CUDA compositor (cuda_compositor.h: NV12 in device memory,
// kernels/). Both paint a layout's tiles with the same meaning of every field (tile_walk.h decides
// the paint order and every rectangle once for both) and report the same stats. Which one composes
// a room's canvases is chosen once, when the room is made (CreateCompositor).
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>
#include <tessera/codec/device_video_frame.h>
#include <tessera/codec/hw_device.h>
#include <tessera/codec/picture.h>
#include <tessera/mixer/frame.h>
#include <tessera/mixer/layout.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace tessera::mixer {

struct YuvColor {
  uint8_t y = 16;
  uint8_t u = 128;
  uint8_t v = 128;
  friend bool operator==(const YuvColor&, const YuvColor&) = default;
};

enum class DownscaleFilter {
  kBilinear,  // faster
  kBox,       // averages every source pixel: sharper and without aliasing, slower
};

struct ComposeOptions {
  YuvColor background = {16, 128, 128};   // black (BT.601 limited range)
  YuvColor placeholder = {48, 128, 128};  // dark grey: a participant without video
  YuvColor border = {32, 128, 128};
  YuvColor highlight = {210, 16, 146};  // yellow: the active speaker
  // Frames drawn inside each participant's region, over its picture; rounded up to even.
  // Reserve room for them with LayoutSpec::border_px so the picture is not covered.
  int border_px = 0;
  int highlight_px = 4;  // replaces the border on highlighted tiles; 0 = no highlight frame
  DownscaleFilter downscale = DownscaleFilter::kBilinear;
  // CPU compositor: threads composing one canvas, the caller included; 1 = all on the calling
  // thread. More are used only for canvases of at least kParallelComposeMinPixels
  // (cpu_compositor.h); the canvas is the same byte for byte whatever the count.
  int threads = 1;
};

// What one Compose() did, per tile.
struct ComposeStats {
  bool canvas_valid = false;  // false: the canvas was not valid, or the device failed
  int copied = 0;             // pictures copied 1:1 (no scaling)
  int scaled = 0;             // pictures scaled
  int placeholders = 0;       // tiles without a picture, filled with the placeholder colour
  int occluded = 0;           // tiles skipped because a higher-z tile covers their region
  int empty_slots = 0;        // tiles with participant_id 0
  int clamped_sources = 0;    // tiles whose src rect did not fit the picture (size changed)
  int uploads = 0;            // device compositors: host pictures copied to the device (once each)
  int unreadable = 0;  // pictures in memory this compositor cannot read (shown as placeholders)
};

// The canvas to draw into, in the compositor's memory: `host` for the CPU compositor, `device`
// (an NV12 surface, e.g. from codec::VideoEncoder::AcquireCanvas) for a device compositor. The
// device surface is written through its view although the frame is const: the pool owns it.
struct ComposeTarget {
  I420Frame* host = nullptr;
  const codec::DeviceVideoFrame* device = nullptr;
};

// Runs on: the room's video mixing thread (one compositor per canvas). Not thread-safe.
class Compositor {
 public:
  virtual ~Compositor() = default;

  // Paints every canvas pixel: background where no picture lands, then the tiles in z order
  // (stable: equal z keeps tile order), each opaque over its whole region, placeholders for tiles
  // without a picture (nullptr, an empty picture or a missing entry), borders and the highlight
  // frame. `pictures_by_tile[i]` is the current picture of tiles[i], in any memory: a compositor
  // reads its own backend's pictures in place and brings host pictures over itself (the CUDA one
  // uploads each new picture once); others show the placeholder. Pictures are read only during
  // the call; the canvas is complete when it returns. Tile rects are clipped to the canvas, src
  // rects to the picture. A target of the wrong memory, or a failed device call, leaves
  // canvas_valid false.
  [[nodiscard]] virtual ComposeStats Compose(
      std::span<const Tile> tiles, std::span<const codec::Picture* const> pictures_by_tile,
      const ComposeTarget& canvas, const ComposeOptions& options) = 0;

  // Where its canvas is: kCpu (host memory) or a device's backend.
  virtual codec::HwBackend backend() const = 0;
};

struct CompositorChoice {
  std::unique_ptr<Compositor> compositor;  // never null
  // Why it composes on the CPU although a device was given ("" when it composes on the device,
  // or when no device was given).
  std::string fallback;
};

// device: null or a kCpu device: the CPU compositor. A CUDA device: the CUDA compositor on it
// (uploading host pictures through the device's context), or the CPU's where it cannot run
// there (built without CUDA, no usable driver, an old GPU, a lost device). A Quick Sync device:
// the CPU compositor (composition on Quick Sync is not built).
// Runs on: any thread (the compositor then belongs to the caller's mixing thread).
CompositorChoice CreateCompositor(const codec::HwDevice* device);

}  // namespace tessera::mixer
