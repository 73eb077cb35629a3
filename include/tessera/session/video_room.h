// The video side of a room, without sockets: at every tick it reads each participant's latest
// picture, composes the layout once per output resolution, encodes once per output profile and
// packetizes once, and says which recipients get which profile's frame. Receivers are moved
// between profiles of their codec by their feedback (REMB/TMMBR, loss) with hysteresis, and
// keyframe requests are coalesced per profile.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/status.h>
#include <tessera/codec/video_encoder.h>
#include <tessera/mixer/compositor.h>
#include <tessera/mixer/frame_mailbox.h>
#include <tessera/mixer/layout.h>
#include <tessera/rtp/codec.h>
#include <tessera/rtp/packetizer.h>
#include <tessera/session/config.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessera::mixer {
class TextRenderer;
}
namespace tessera::codec {
class HwDevice;
}

namespace tessera::session {

// One output profile: every recipient on it gets the same encoded stream.
// When a recipient moves to a smaller or larger profile of its codec.
struct ProfileAdaptation {
  // Down when the estimate stays below down_ratio x the profile's bitrate, or loss stays above
  // loss_down, for down_hold_us.
  double down_ratio = 0.85;
  double loss_down = 0.10;
  int64_t down_hold_us = 1'000'000;
  // Up one step when the estimate stays above up_ratio x the larger profile's bitrate and loss
  // below loss_up for up_hold_us, and the last move is at least min_dwell_us old.
  double up_ratio = 1.2;
  double loss_up = 0.02;
  int64_t up_hold_us = 5'000'000;
  int64_t min_dwell_us = 10'000'000;
};

struct VideoRoomConfig {
  std::string name;
  std::vector<VideoProfile> profiles;  // at least one; the room ticks at the highest fps
  mixer::LayoutSpec layout;            // the layout in use at start (kind, fit, borders)
  std::vector<mixer::CustomLayout> custom_layouts;
  mixer::ComposeOptions compose;
  // Participants' names on their tiles: always on placeholders; on video tiles when true.
  bool name_labels = true;
  std::string font_path;  // empty: the default font (see mixer/text_renderer.h)
  // At most one keyframe per profile per interval, however many requests arrive.
  int64_t keyframe_coalesce_us = 500'000;
  // A participant whose last picture is older than this shows the "no video" placeholder.
  int64_t placeholder_after_us = 2'000'000;
  ProfileAdaptation adaptation;
  rtp::PacketizerConfig packetizer;
  // The device of the room's selected hardware backend (codec/hw_selector.h); null for the CPU.
  // CUDA: the room composes on the GPU (mixer::CudaCompositor) the pictures its inputs decoded
  // with NVDEC (CPU-decoded ones are uploaded once per new picture), encodes H.264 profiles with
  // NVENC where the GPU has it, and downloads each canvas once per tick for the CPU encoders
  // otherwise. Where the compositor or a canvas surface is unavailable the room runs the CPU
  // pipeline and says why (VideoRoomStats::backend_note). Quick Sync composition is not built:
  // QSV rooms run the CPU pipeline.
  std::shared_ptr<codec::HwDevice> hw_device;
};

struct VideoParticipantInfo {
  uint32_t id = 0;  // non-zero, unique in the room
  std::string name;
  std::string role;  // e.g. "presenter"; used by layouts
};

// One profile's frame of one tick: encoded and packetized once, shared by its recipients.
struct EncodedVideo {
  size_t profile = 0;
  rtp::Codec codec = rtp::Codec::kH264;
  // The room's 90 kHz clock at the frame's slot on its profile's grid (see VideoRoom::Tick):
  // whole frame intervals apart, whenever the tick that encoded it ran.
  uint32_t rtp_timestamp = 0;
  // The slot's time on Clock::NowUs() (a late tick sends its frame after it). Unset: not known.
  std::optional<int64_t> slot_time_us;
  // The instant (Clock::NowUs()) that rtp_timestamp stands for in sender reports: when the
  // pictures it shows reached the room, on average (slot_time_us less
  // VideoRoom::input_hold_us(): their decode and their wait for the slot). The audio mix is
  // stamped the same way (AudioOut::input_time_us), so a receiver that aligns the two by their
  // SRs shows a picture and plays a sound that a participant sent together at the same moment
  // (lip sync). Unset: slot_time_us.
  std::optional<int64_t> input_time_us;
  bool keyframe = false;
  // The profile's recorded variant (VideoRoom::AddRecordedRecipient): the excluded participants'
  // tiles are "not recorded" cards.
  bool recorded = false;
  std::vector<std::vector<uint8_t>> payloads;  // RTP payloads; the last one carries the marker
  std::vector<uint8_t> bitstream;  // the encoded picture (H.264 Annex B, VP8 frame), to record
  // Arrival times (Clock::NowUs()) of the input frames this composite shows for the first time,
  // for the MCU-added latency figure.
  std::vector<int64_t> new_input_receive_us;
};

struct VideoOutput {
  std::shared_ptr<const EncodedVideo> frame;
  std::vector<uint32_t> recipients;  // participants
  bool record = false;               // the room's recorder (AddRecorder) takes this frame
};

struct ProfileMove {
  uint32_t recipient = 0;
  size_t from = 0;
  size_t to = 0;
  std::string reason;
};

struct VideoTick {
  std::vector<VideoOutput> outputs;
  std::vector<ProfileMove> moves;
};

struct VideoProfileStats {
  uint64_t encodes = 0;
  uint64_t keyframes = 0;
  uint64_t encode_failures = 0;
  uint64_t bytes = 0;
  size_t recipients = 0;
  bool hw_encoder = false;  // encoded by NVENC from the device canvas
};

struct VideoRoomStats {
  uint64_t ticks = 0;
  uint64_t composes = 0;
  uint64_t layout_changes = 0;       // tiles recomputed
  uint64_t keyframe_requests = 0;    // from recipients (PLI/FIR) and joins
  uint64_t keyframes_coalesced = 0;  // requests served by a keyframe already due or sent
  uint64_t profile_moves = 0;
  uint64_t max_tick_encodes = 0;
  std::vector<VideoProfileStats> profiles;
  // The hardware pipeline: whether the room composes on the GPU, what runs where (or why the
  // CPU), and its work and failures.
  bool gpu = false;
  std::string backend_note;
  uint64_t gpu_composes = 0;
  uint64_t gpu_failures = 0;  // canvases that could not be composed, downloaded or surfaced
  uint64_t uploads = 0;       // CPU-decoded pictures copied to the device
  uint64_t downloads = 0;     // device canvases copied to the host for CPU encoders
  // The recorded variants' extra work (AddRecordedRecipient), all profiles together: one compose
  // and one encode per due frame while someone is excluded and a recorded recipient watches.
  uint64_t recorded_composes = 0;
  VideoProfileStats recorded;
};

// The work of a room's canvases (session/video_canvas.h), summed into VideoRoomStats.
struct VideoCanvasCounters {
  uint64_t device_composes = 0;
  uint64_t uploads = 0;    // host pictures a device compositor copied to the device
  uint64_t downloads = 0;  // device canvases copied to the host
};

// Runs on: the room's strand (not thread-safe). Mailboxes are filled from decode strands.
class VideoRoom {
 public:
  static StatusOr<std::unique_ptr<VideoRoom>> Create(VideoRoomConfig config, Clock& clock);
  ~VideoRoom();

  // A participant shown in the layout (placeholder with its name until its pictures arrive).
  Status AddParticipant(const VideoParticipantInfo& info,
                        std::shared_ptr<mixer::FrameMailbox> mailbox);
  void RemoveParticipant(uint32_t id);
  // A cascade link (a participant added with AddParticipant) shows its picture, a share's
  // sub-canvas, as one tile per cell, cropped from it, in the link's place in the join order;
  // the link itself has no tile. An empty layout: none (until the share says what it shows).
  // Cells beyond kMaxCascadeCells (session/cascade.h) are left out.
  Status SetCells(uint32_t link, const CascadeLayout& layout);
  // The first canvas's tiles as a share sends them to its primary: each participant's cell.
  // Empty until the room composed once.
  CascadeLayout CanvasCells() const;
  // A recipient of the composite on profile `profile` (by name). adapt: may be moved to other
  // profiles of the same codec by its feedback; it never goes above the configured one (by
  // bitrate, then picture size). A new recipient receives from its profile's next keyframe on,
  // which is asked for at once; a moving one switches at the new profile's next keyframe.
  Status AddRecipient(uint32_t id, const std::string& profile, bool adapt = true);
  void RemoveRecipient(uint32_t id);
  // A recording's recipient (the recorder tier's participant) on `profile`, which never adapts.
  // While SetExcluded holds someone it receives the profile's recorded variant: a composite of
  // its own (one more compose and encode per frame) in which the excluded participants' tiles
  // are "not recorded" cards; otherwise the profile's shared stream (no extra work). It switches
  // between the two at the next keyframe of the one it goes to, asked for at once.
  Status AddRecordedRecipient(uint32_t id, const std::string& profile);
  // The participants the recorded variants leave out, from the next tick on.
  void SetExcluded(std::vector<uint32_t> excluded);
  // The room's recorder: a recipient of `profile` that never adapts, served by the same encode
  // as the participants (VideoOutput::record). At most one.
  Status AddRecorder(const std::string& profile);
  // PLI or FIR from a recipient: one keyframe of its profile within keyframe_coalesce_us
  // (requests coalesce: at most one keyframe per interval for PLI/FIR). urgent: the recipient
  // has received nothing yet (it just became reachable): the next tick's frame is a keyframe.
  void RequestKeyframe(uint32_t recipient, bool urgent = false);
  // Receiver feedback: a bandwidth estimate (REMB or TMMBR, bits/s) and/or the fraction of
  // packets lost (RR, 0..1).
  void OnReceiverFeedback(uint32_t recipient, std::optional<int64_t> estimate_bps,
                          std::optional<double> loss_fraction, int64_t now_us);

  // Built-in names: grid, speaker, presentation, pip; else a custom layout's name.
  Status SetLayout(const std::string& name);
  void SetActiveSpeaker(std::optional<uint32_t> id);
  Status SetPinned(uint32_t id, bool pinned);
  // The layout role ("presenter"; "" none) from the next tick on.
  Status SetRole(uint32_t id, const std::string& role);

  // One tick of the room's grid, run at now_us (Clock::NowUs()): every profile whose frame is due
  // is composed, encoded and packetized. The grid's slot `slot` is SlotOffsetUs(slot) after slot
  // 0 (the first tick's slot is placed at the first tick's now_us); the caller's timer counts
  // the slots it skipped. Each profile has its own grid at its fps from the same slot 0, and a
  // frame is stamped with its slot there (frame n: n x 90000 / fps), however late the tick runs:
  // timestamps advance by whole frame intervals, and a skipped slot's frame is never sent.
  // Slots only go forward: one not after the last is taken as the one after the last.
  [[nodiscard]] VideoTick Tick(int64_t now_us, int64_t slot);
  // The same at the slot nearest now_us (at least the one after the last): for callers that
  // step a clock by tick_interval_us() (tests, benches).
  [[nodiscard]] VideoTick Tick(int64_t now_us);

  // The room's tick rate: its highest profile fps.
  int tick_fps() const;
  // The room's tick period in microseconds (1 s / tick_fps(), rounded down).
  int64_t tick_interval_us() const;
  // Slot `slot`'s time after slot 0 in microseconds: slot x 1 s / tick_fps(), rounded down,
  // from the index so that the grid never drifts.
  int64_t SlotOffsetUs(int64_t slot) const;
  // How long before its slot the pictures a composite shows reached the room (their last
  // packet): their decode and their wait for the tick, the mean over each tick's new pictures,
  // smoothed over ticks. Before any picture: half a tick, the average wait.
  int64_t input_hold_us() const;
  const VideoRoomConfig& config() const { return config_; }
  const VideoRoomStats& stats() const { return stats_; }
  // Each shown participant's largest tile (where its picture lands, in pixels) over the room's
  // canvases. It changes only when a canvas's tiles were recomputed (stats().layout_changes).
  std::map<uint32_t, std::pair<int, int>> TileSizes() const;
  const std::string& layout_name() const { return layout_name_; }
  std::optional<size_t> recipient_profile(uint32_t id) const;
  bool has_participant(uint32_t id) const { return participants_.count(id) > 0; }
  // The last composed canvas of a profile's resolution (tests and snapshots).
  const mixer::I420Frame* last_canvas(size_t profile) const;
  // The last composed recorded variant of a profile (tests); null when it has none.
  const mixer::I420Frame* last_recorded_canvas(size_t profile) const;

 private:
  struct Participant;
  struct Recipient;
  struct ProfileState;
  // The recorder's key among the recipients (participant ids count up from 1, never reach it).
  static constexpr uint32_t kRecorderKey = 0xFFFFFFFF;
  // Left out of the recorded variant: the participant, or a cascade cell's link.
  bool Excluded(uint32_t id) const;
  // A cascade cell's crop in its link's current picture; nullopt: not a cell, or no picture.
  static std::optional<mixer::Rect> ScaledCrop(const Participant& p);
  struct Canvas;

  VideoRoom(VideoRoomConfig config, Clock& clock);
  Status Init();
  std::optional<size_t> ProfileIndex(const std::string& name) const;
  // urgent: a recipient joins or moves and receives nothing until the keyframe, so the request is
  // not held back by the coalescing interval.
  void RequestProfileKeyframe(size_t profile, bool urgent = false);
  void MoveRecipient(Recipient& r, size_t to, std::string reason, int64_t now_us);
  // slot_time_us: this tick's slot on Clock::NowUs(), against which new pictures' holds count.
  void Snapshot(int64_t now_us, int64_t slot_time_us);
  // Folds the mean hold of this tick's new pictures into input_hold_us().
  void UpdateHold(double mean_us);
  void Compose(Canvas& canvas);
  // Recorded variants (video_room_recorded.cc). Whether recorded recipients need profile
  // `profile`'s variant (variant) or its shared stream this tick.
  bool RecordedNeed(size_t profile, bool variant) const;
  // Whether a recorded recipient (of the frame's profile) takes the frame.
  bool RecordedTakes(const Recipient& r, const EncodedVideo& frame) const;
  // The variant of a profile, made on first need (its canvas on the room's device, or the host;
  // a CPU encoder), or null when it cannot be made.
  ProfileState* EnsureVariant(size_t profile);
  // Recorded recipients not on the stream they want get its keyframe urgently.
  void RequestSwitchKeyframes();
  // A keyframe of profile `profile`'s stream (variant or shared) was encoded: the recorded
  // recipients waiting for it start on it.
  void StartRecordedOn(size_t profile, bool variant);
  // "not recorded" on an excluded tile of a recorded canvas; true when drawn.
  bool DrawExcludedCard(const Canvas& canvas, const mixer::Tile& tile, mixer::I420Frame& frame);
  void FallBackVariantsToCpu();
  // has_picture[t]: tile t shows a picture (else its placeholder, with the name large).
  // On a host copy of the canvas, by this tick's tiles and which of them show a picture.
  void DrawNames(const Canvas& canvas, mixer::I420Frame& frame);
  // The backends (video_room_backend.cc): each canvas's compositor and each profile's encoder,
  // chosen once.
  Status InitBackend();
  // The canvases' work into stats_.
  void SyncCanvasCounters();
  VideoCanvasCounters canvas_counters_;
  // A GPU failure of this tick (compose, surface, download or device encode), and the check at
  // each tick: after kMaxGpuFailuresInARow failures in a row, or when another user marked the
  // device lost, the room moves to the CPU pipeline for good (FallBackToCpu).
  void GpuFailed(const std::string& what);
  void CheckGpu();
  void FallBackToCpu(const std::string& reason);
  int gpu_failures_in_a_row_ = 0;
  // frame: the profile's slot on its own grid, which the encoded frame is stamped with.
  std::shared_ptr<const EncodedVideo> EncodeProfile(size_t index, Canvas& canvas, int64_t frame,
                                                    int64_t now_us);
  // The same for `p` (a profile or its variant), counted in `ps`.
  std::shared_ptr<const EncodedVideo> EncodeStream(size_t index, ProfileState& p,
                                                   VideoProfileStats& ps, Canvas& canvas,
                                                   int64_t frame, int64_t now_us);

  VideoRoomConfig config_;
  Clock& clock_;
  std::string layout_name_;
  mixer::LayoutSpec layout_;
  std::map<uint32_t, std::unique_ptr<Participant>> participants_;  // by id
  std::vector<uint32_t> join_order_;
  std::map<uint32_t, std::unique_ptr<Recipient>> recipients_;
  std::vector<std::unique_ptr<ProfileState>> profiles_;
  std::vector<std::unique_ptr<Canvas>> canvases_;  // one per distinct resolution
  std::optional<uint32_t> active_speaker_;
  std::vector<uint32_t> excluded_;  // SetExcluded
  std::unique_ptr<mixer::TextRenderer> text_;
  std::optional<int64_t> origin_us_;  // slot 0's time on Clock::NowUs(), set by the first tick
  int64_t last_slot_ = -1;            // the latest tick's slot
  std::optional<double> hold_us_;     // input_hold_us(), once a picture was shown
  std::vector<ProfileMove> pending_moves_;  // reported by the next Tick()
  VideoRoomStats stats_;
};

}  // namespace tessera::session
