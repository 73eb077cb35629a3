// The private state of VideoRoom (video_room.cc and video_room_adapt.cc).
#pragma once

#include <tessera/codec/device_frame_pool.h>
#include <tessera/codec/hw_device.h>
#include <tessera/codec/picture.h>
#include <tessera/codec/video_encoder.h>
#include <tessera/mixer/compositor.h>
#include <tessera/mixer/text_renderer.h>
#include <tessera/session/video_room.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "session/room_metrics.h"
#include "session/video_canvas.h"

namespace tessera::session {

struct VideoRoom::Participant {
  VideoParticipantInfo info;
  std::shared_ptr<mixer::FrameMailbox> mailbox;
  bool pinned = false;
  mixer::MailboxFrame current;  // this tick's snapshot; no picture = placeholder
  uint64_t held_sequence = 0;   // the last picture whose hold input_hold_us() counted
  // A cascade link (SetCells): its cells' ids, shown in its place; it has no tile itself.
  bool link = false;
  std::vector<uint32_t> cells;
  // A cell of a link: it shares the link's mailbox and shows `crop` of its picture (in pixels
  // of a crop_width x crop_height sub-canvas, scaled to the picture's size).
  std::optional<mixer::Rect> crop;
  int crop_width = 0;
  int crop_height = 0;
  uint32_t link_id = 0;  // a cell's link: left out of a recording with it
};

struct VideoRoom::Recipient {
  uint32_t id = 0;
  size_t configured = 0;  // the profile it was put on: it never goes above it
  size_t profile = 0;     // the profile it receives now
  // It starts receiving (joined) or switches to (moved) this profile at its next keyframe, so
  // it never gets a delta frame it cannot decode.
  std::optional<size_t> pending;
  bool started = false;  // it has received a keyframe
  // Its first PLI/FIR is answered at once: a recipient that asks before it ever decoded a
  // picture (a WebRTC viewer whose first keyframe came before its browser could take it) would
  // otherwise wait out the coalescing interval with a black screen.
  bool asked_keyframe = false;
  bool adapt = true;
  // A recording's recipient (AddRecordedRecipient): on_variant says which stream of its profile
  // it receives once started (the recorded variant, or the shared one).
  bool recorded = false;
  bool on_variant = false;
  std::vector<size_t> ladder;  // profiles it may move between, smallest bitrate first
  std::optional<int64_t> estimate_bps;
  std::optional<double> loss;
  std::optional<int64_t> bad_since_us;
  std::optional<int64_t> good_since_us;
  std::optional<int64_t> last_move_us;
};

// What decides the tiles: recomputed only when it changes.
struct LayoutKey {
  std::string layout;
  std::vector<mixer::LayoutInput> inputs;
  std::optional<uint32_t> speaker;
  bool operator==(const LayoutKey& o) const {
    if (layout != o.layout || speaker != o.speaker || inputs.size() != o.inputs.size()) {
      return false;
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      const auto& a = inputs[i];
      const auto& b = o.inputs[i];
      if (a.id != b.id || a.width != b.width || a.height != b.height || a.role != b.role ||
          a.pinned != b.pinned) {
        return false;
      }
    }
    return true;
  }
};

// GPU failures in a row (about half a second of ticks at 60 fps) after which the device is taken
// for lost and the room moves to the CPU.
inline constexpr int kMaxGpuFailuresInARow = 30;

// One canvas per distinct profile size: its layout state, and where it is composed (a host or a
// device canvas, video_canvas.h), at most once per tick whatever backends its profiles' encoders
// use.
struct VideoRoom::Canvas {
  int width = 0;
  int height = 0;
  std::unique_ptr<VideoCanvas> surface;
  std::vector<mixer::Tile> tiles;
  std::optional<LayoutKey> key;
  std::map<uint32_t, uint64_t> shown_sequence;  // per participant: the last picture composed
  std::vector<int64_t> new_receive_us;          // of this tick's newly shown pictures
  std::vector<bool> tile_has_picture;           // this tick's, by tile (for the names)
  // A recorded variant's canvas: the room's excluded participants get a "not recorded" card.
  bool recorded = false;
  bool composed_this_tick = false;
  bool composed_once = false;
};

struct VideoRoom::ProfileState {
  std::unique_ptr<codec::VideoEncoder> encoder;  // on the room's device or the CPU
  codec::VideoEncoderConfig encoder_config;      // the profile's, translated once
  std::unique_ptr<rtp::Packetizer> packetizer;
  Canvas* canvas = nullptr;
  // The first frame slot of the profile's own grid (frame n at n x 1 s / fps after the room's
  // slot 0) not yet served or passed over.
  int64_t next_frame = 0;
  bool keyframe_pending = false;
  bool keyframe_urgent = false;  // a recipient waits for it: not held back by coalescing
  std::optional<int64_t> last_keyframe_us;
  // /metrics: the profile's encode durations {room, profile}, out of the exposition with it.
  RoomSeries series;
  Histogram* encode_seconds = nullptr;  // in `series`
  // The profile's recorded variant, once a recorded recipient needed it; null for a variant.
  std::unique_ptr<ProfileState> recorded;
  std::unique_ptr<Canvas> own_canvas;  // a variant's canvas (`canvas` points to it)
  bool variant_failed = false;         // its variant could not be made (said once)
};

// "grid", "speaker", "presentation", "pip".
const char* LayoutKindName(mixer::LayoutKind kind);
// The layout called `name`: a built-in kind with `base`'s fit and borders, or a custom layout.
std::optional<mixer::LayoutSpec> LayoutByName(const std::string& name,
                                              const mixer::LayoutSpec& base,
                                              const std::vector<mixer::CustomLayout>& custom);

}  // namespace tessera::session
