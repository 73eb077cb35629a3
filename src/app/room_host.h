// Runs one mixing room: its AudioRoom on a media thread, driven by a drift-free 20 ms timer, and
// its participants' legs on the network shards.
#pragma once

#include <tessera/codec/frame_recorder.h>
#include <tessera/codec/hw_selector.h>
#include <tessera/session/audio_room.h>
#include <tessera/session/video_room.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/audio_leg.h"
#include "app/config.h"
#include "app/latency_histogram.h"
#include "app/video_leg.h"

namespace tessera::app {

// A participant of the room as the control plane sees it (the `participants` command, SIP).
struct RoomMember {
  uint32_t id = 0;  // unique in the room's life: never given to anyone else
  std::string name;
  bool from_config = true;  // false: joined at run time (Server::JoinRoom)
  std::chrono::system_clock::time_point joined_at;
  uint16_t audio_port = 0;  // local ports; 0: no leg of that kind
  bool audio_rtcp_mux = true;
  uint16_t video_port = 0;
  bool video_rtcp_mux = true;
  bool admitted = true;  // false: waiting for its PIN (muted, deaf, no picture)
};

// Runs on: its media io_context (the room's audio strand) and, with video, a second media
// io_context for the video mixer. Legs run on their shards; work crosses by post with moved data
// only. The roster and the vectors owning the legs belong to the control plane: the Server
// touches them only with its control mutex held (set-up, Join/Leave, commands, stop).
class RoomHost {
 public:
  RoomHost(const RoomConfig& config, boost::asio::io_context& media, Clock& clock);
  ~RoomHost();

  // Set-up, before any thread runs. With a `video` section: the video mixer on `video_media`,
  // on the backend `hardware` selected for this room (logged here, in the video summary, and
  // handed to the VideoRoom, whose pipeline is still the CPU one).
  Status InitVideo(boost::asio::io_context& video_media, codec::HwSelection hardware = {});
  // The hooks a video leg reports keyframe requests and feedback through.
  VideoLeg::RoomHooks HooksForVideoLegs();
  // The codec of the profile a participant receives.
  rtp::Codec ReceiveCodecFor(const RoomParticipantConfig& pc) const;
  bool has_video() const { return video_room_ != nullptr; }
  const codec::HwSelection& hardware() const { return hardware_; }
  // The device the room's inputs decode on: the room's device while its video runs the GPU
  // pipeline, else none (a QSV room, or a CUDA room whose compositor could not be made, composes
  // on the CPU and must get CPU pictures).
  std::shared_ptr<codec::HwDevice> decode_device() const;
  std::vector<std::unique_ptr<VideoLeg>>& video_legs() { return video_legs_; }
  boost::asio::io_context* video_media() { return video_media_; }
  // On the video context: stops the video ticks and closes the recording.
  void StopVideoTicks();
  // On the video context. `latency`: the legs' MCU-added latency, merged by the caller on their
  // shards while the server runs; nullptr reads the legs directly (only once they are stopped).
  std::string VideoSummaryJson(const LatencyHistogram* latency = nullptr) const;
  // {"backend":"cpu","device":"","fallbacks":[{"backend":"cuda","reason":"..."}]}
  std::string HardwareJson() const;
  // On the video context: operator commands.
  Status SetLayout(const std::string& layout);
  Status SetPinned(const std::string& participant, bool pinned);
  Status SetSpeaker(const std::string& participant);
  // Starts the tick timer (posted to the media context) and the legs (posted to their shards).
  void Start();
  // On the media context: stops ticking. The legs are stopped by the Server on their shards.
  void StopTicks();

  // Legs in and out (room_host_runtime.cc). Each runs on the context named, or on the set-up
  // thread before any thread runs.
  // On the media context: the leg's participant joins the audio mix and the room's output for its
  // id goes to it from the next tick on.
  Status AttachAudio(AudioLeg* leg);
  // On the media context: the id leaves the mix; no task for its leg is posted after this.
  void DetachAudio(uint32_t id);
  // On the video context: a tile (unless a receive-only viewer: mailbox null and no audio) and,
  // when the leg receives the composite, a recipient on its profile. All or nothing.
  Status AttachVideo(uint32_t id, const RoomParticipantConfig& pc,
                     std::shared_ptr<mixer::FrameMailbox> mailbox, VideoLeg* leg);
  // On the video context: tile and recipient gone; no task for its leg is posted after this.
  void DetachVideo(uint32_t id);
  // A participant attached with pc.admitted false is muted, deaf and has no tile and no
  // composite until these run (on the media and the video context): then it joins for real.
  Status AdmitAudio(uint32_t id);
  Status AdmitVideo(uint32_t id);
  // On the video context: a keyframe of the participant's composite (SIP INFO
  // picture_fast_update), coalesced like PLI/FIR.
  void RequestKeyframe(uint32_t id);
  // Control plane: writes the SDP file a leg receiving the composite asked for (if any).
  Status WriteSdpFor(const VideoLeg& leg) const;
  // Control plane: the roster, ids and the legs' owners.
  uint32_t TakeNextId() { return next_id_++; }
  const std::vector<RoomMember>& members() const { return members_; }
  const RoomMember* FindMember(const std::string& name) const;
  const RoomMember* FindMember(uint32_t id) const;
  RoomMember* FindMutableMember(uint32_t id);
  void AddMember(RoomMember m) { members_.push_back(std::move(m)); }
  void RemoveMember(uint32_t id);
  void AdoptLegs(std::unique_ptr<AudioLeg> audio, std::unique_ptr<VideoLeg> video);
  // Hands back the owners of a departing participant's legs (null when it had none).
  std::unique_ptr<AudioLeg> ReleaseAudioLeg(uint32_t id);
  std::unique_ptr<VideoLeg> ReleaseVideoLeg(uint32_t id);
  AudioLeg* FindAudioLeg(uint32_t id);
  VideoLeg* FindVideoLeg(uint32_t id);
  const RoomConfig& config() const { return config_; }

  const std::string& name() const { return config_.name; }
  boost::asio::io_context& media() { return media_; }
  std::vector<std::unique_ptr<AudioLeg>>& legs() { return legs_; }
  std::string SummaryJson() const;

  // The sink a leg posts received packets through.
  AudioLeg::RoomSink SinkForLegs();

 private:
  void ScheduleTick();
  void OnTick();
  void ScheduleVideoTick();
  void OnVideoTick();
  void Record(const session::EncodedVideo& frame);
  // On the video context: the id of a participant with a tile or receiving the composite.
  std::optional<uint32_t> IdOf(const std::string& participant) const;

  RoomConfig config_;
  boost::asio::io_context& media_;
  Clock& clock_;
  session::AudioRoom room_;
  std::vector<std::unique_ptr<AudioLeg>> legs_;
  // On the media context: where the mix for each id goes. A map, not a vector by id: ids are
  // never reused, so a vector would grow with every join.
  std::unordered_map<uint32_t, AudioLeg*> leg_by_id_;
  // Control plane.
  std::vector<RoomMember> members_;
  uint32_t next_id_ = 1;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point next_tick_;
  bool stopped_ = false;
  uint64_t skipped_ticks_ = 0;
  uint64_t late_ticks_ = 0;    // ran more than 5 ms after their deadline
  LatencyHistogram lateness_;  // start of each audio tick minus its deadline
  ThreadChecker checker_;

  // Video (all on video_media_).
  codec::HwSelection hardware_;  // set once by InitVideo, then read only
  boost::asio::io_context* video_media_ = nullptr;
  std::unique_ptr<session::VideoRoom> video_room_;
  std::vector<std::unique_ptr<VideoLeg>> video_legs_;
  std::unordered_map<uint32_t, VideoLeg*> video_leg_by_id_;
  std::map<std::string, uint32_t> video_ids_;  // by name: tiles and recipients
  struct PendingVideo {
    RoomParticipantConfig pc;
    std::shared_ptr<mixer::FrameMailbox> mailbox;
    VideoLeg* leg = nullptr;
  };
  std::unordered_map<uint32_t, PendingVideo> pending_video_;  // not admitted yet
  std::unique_ptr<boost::asio::steady_timer> video_timer_;
  std::chrono::steady_clock::time_point next_video_tick_;
  std::chrono::microseconds video_tick_{33'333};
  bool video_stopped_ = false;
  uint64_t video_skipped_ticks_ = 0;
  uint64_t video_late_ticks_ = 0;
  LatencyHistogram video_lateness_;
  LatencyHistogram video_tick_cost_;  // time one video tick takes (compose + encode)
  std::unique_ptr<codec::FrameRecorder> recorder_;
  std::optional<size_t> record_profile_;
  uint64_t record_errors_ = 0;
  ThreadChecker video_checker_;
};

}  // namespace tessera::app
