// One room's video: its VideoRoom (layout, compositor, one encode per profile), driven by a
// drift-free timer at the room's frame rate (slot n at start + n x 1 s / fps; the room stamps
// each frame with its slot, see VideoRoom::Tick), where each recipient's composite goes, and the
// room's recorder.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/thread_checker.h>
#include <tessera/codec/hw_selector.h>
#include <tessera/mixer/frame_mailbox.h>
#include <tessera/session/config.h>
#include <tessera/session/video_room.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "session/latency_histogram.h"
#include "session/room_metrics.h"
#include "session/room_recorder.h"
#include "session/video_leg.h"

namespace tessera::session {

// Runs on: the room's video io_context: every method, except Create (set-up, before any thread
// runs) and the hooks and PostSpeaker (any thread; they post here).
class RoomVideo {
 public:
  // The video mixer on `video_media`, on the backend `hardware` selected for this room (logged
  // here and in the video summary). Errors name the room.
  static StatusOr<std::unique_ptr<RoomVideo>> Create(const RoomConfig& config,
                                                     boost::asio::io_context& video_media,
                                                     codec::HwSelection hardware, Clock& clock);

  // The hooks a video leg reports keyframe requests and feedback through (they post here).
  VideoLeg::RoomHooks HooksForLegs();
  // The audio's dominant speaker changed (posted here).
  void PostSpeaker(uint32_t id);
  // Posts the first tick (from any thread).
  void Start();
  // Stops the ticks and closes the recording.
  void StopTicks();

  // A tile (unless a receive-only viewer: mailbox null and no audio) and, when the leg receives
  // the composite, a recipient on its profile. All or nothing. admitted false: neither until
  // Admit.
  Status Attach(uint32_t id, const RoomParticipantConfig& pc, bool admitted,
                std::shared_ptr<mixer::FrameMailbox> mailbox, VideoLeg* leg);
  // Tile and recipient gone; no task for its leg is posted after this.
  void Detach(uint32_t id);
  Status Admit(uint32_t id);
  // A keyframe of the participant's composite (SIP INFO picture_fast_update), coalesced like
  // PLI/FIR.
  void RequestKeyframe(uint32_t id);

  // Cascading (docs/architecture.md, "Cascading"). On the primary: a link's cells (what its
  // share's sub-canvas shows where). On a share: what its sub-canvas shows where (empty until it
  // composed once).
  Status SetCells(uint32_t link, const CascadeLayout& layout);
  CascadeLayout CanvasCells() const;

  // The participants the recorded variant of the composite (what a `recorder` participant
  // receives) shows as "not recorded" cards from now on (RoomHost::UpdateExclusion).
  void SetExcluded(std::vector<uint32_t> excluded);

  // Operator commands.
  Status SetLayout(const std::string& layout);
  Status SetPinned(const std::string& participant, bool pinned);
  Status SetSpeaker(const std::string& participant);
  // By id (the API's participant updates).
  Status SetPinned(uint32_t id, bool pinned);
  Status SetRole(uint32_t id, const std::string& role);

  // `legs_latency`: the legs' MCU-added latency, merged by the caller on their shards while the
  // server runs; nullptr reads the attached legs directly (only once they are stopped).
  std::string SummaryJson(const LatencyHistogram* legs_latency = nullptr) const;
  // {"backend":"cpu","device":"","fallbacks":[{"backend":"cuda","reason":"..."}],...}
  nlohmann::ordered_json HardwareJson() const;
  // The device the room's inputs decode on: the room's device while its video runs the GPU
  // pipeline, else none (a QSV room, or a CUDA room whose compositor could not be made, composes
  // on the CPU and must get CPU pictures).
  std::shared_ptr<codec::HwDevice> decode_device() const;
  const codec::HwSelection& hardware() const { return hardware_; }
  boost::asio::io_context& context() { return video_media_; }

 private:
  RoomVideo(const RoomConfig& config, boost::asio::io_context& video_media,
            codec::HwSelection hardware, Clock& clock);
  void ScheduleTick();
  void OnTick();
  // When the timer's slot `slot` is due.
  std::chrono::steady_clock::time_point SlotTime(int64_t slot) const;
  // A share's uplink sent a frame of the primary's composite: on to the share's participants
  // that receive video (each from a keyframe on).
  void OnForwarded(const rtp::EncodedFrame& frame, uint64_t stream);
  // A keyframe of the primary's composite, asked through the uplink; not urgent: at most every
  // keyframe_coalesce_ms.
  void AskUpstreamKeyframe(bool urgent);
  // The id of a participant with a tile or receiving the composite.
  std::optional<uint32_t> IdOf(const std::string& participant) const;

  const RoomConfig& config_;
  boost::asio::io_context& video_media_;
  Clock& clock_;
  codec::HwSelection hardware_;  // set once, then read only
  std::unique_ptr<VideoRoom> room_;
  std::unique_ptr<RoomRecorder> recorder_;  // null: the room records nothing
  std::unordered_map<uint32_t, VideoLeg*> leg_by_id_;
  // A share's: its uplink, and its participants that receive the primary's composite through it
  // (started: sent a keyframe; until then nothing they could not decode).
  std::optional<uint32_t> uplink_;
  std::map<uint32_t, bool> forwarded_;
  std::unique_ptr<rtp::Packetizer> forward_packetizer_;
  rtp::Codec forward_codec_ = rtp::Codec::kH264;
  std::optional<int64_t> upstream_keyframe_us_;
  uint64_t forwarded_frames_ = 0;
  std::map<std::string, uint32_t> ids_;  // by name: tiles and recipients
  struct Pending {
    RoomParticipantConfig pc;
    std::shared_ptr<mixer::FrameMailbox> mailbox;
    VideoLeg* leg = nullptr;
  };
  std::unordered_map<uint32_t, Pending> pending_;  // not admitted yet
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point grid_start_;  // slot 0
  std::chrono::steady_clock::time_point next_tick_;   // slot_'s time
  int64_t slot_ = 0;                                  // the next tick's slot
  std::chrono::microseconds tick_{33'333};
  bool stopped_ = false;
  uint64_t skipped_ticks_ = 0;
  uint64_t layouts_seen_ = 0;  // the room's layout_changes whose tile sizes went to the legs
  uint64_t late_ticks_ = 0;
  LatencyHistogram lateness_;
  LatencyHistogram tick_cost_;  // time one video tick takes (compose + encode)
  // /metrics: tick duration and lateness {room, kind="video"}, and the decodes of its
  // participants' cameras {room} (handed to each leg's input in Attach).
  RoomSeries series_;
  Histogram* tick_seconds_ = nullptr;
  Histogram* lateness_seconds_ = nullptr;
  Histogram* decode_seconds_ = nullptr;
  ThreadChecker checker_;
};

}  // namespace tessera::session
