// Runs one mixing room: its AudioRoom on a media thread, driven by a drift-free 20 ms timer, and
// its participants' legs on the network shards.
#pragma once

#include <tessera/codec/frame_recorder.h>
#include <tessera/codec/hw_selector.h>
#include <tessera/session/audio_room.h>
#include <tessera/session/video_room.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "app/audio_leg.h"
#include "app/config.h"
#include "app/latency_histogram.h"
#include "app/video_leg.h"

namespace tessera::app {

// Runs on: its media io_context (the room's audio strand) and, with video, a second media
// io_context for the video mixer. Legs run on their shards; work crosses by post with moved data
// only.
class RoomHost {
 public:
  RoomHost(const RoomConfig& config, boost::asio::io_context& media, Clock& clock);
  ~RoomHost();

  // Set-up, before any thread runs. With a `video` section: the video mixer on `video_media`,
  // on the backend `hardware` selected for this room (logged here, in the video summary, and
  // handed to the VideoRoom, whose pipeline is still the CPU one).
  Status InitVideo(boost::asio::io_context& video_media, codec::HwSelection hardware = {});
  // Set-up: creates the legs and adds them to the room.
  Status AddLeg(std::unique_ptr<AudioLeg> leg);
  // A participant's tile (every participant but receive-only viewers), before AddVideoLeg.
  Status AddVideoParticipant(uint32_t id, const RoomParticipantConfig& pc,
                             std::shared_ptr<mixer::FrameMailbox> mailbox);
  Status AddVideoLeg(std::unique_ptr<VideoLeg> leg);
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
  std::optional<uint32_t> IdOf(const std::string& participant) const;

  RoomConfig config_;
  boost::asio::io_context& media_;
  Clock& clock_;
  session::AudioRoom room_;
  std::vector<std::unique_ptr<AudioLeg>> legs_;
  std::vector<AudioLeg*> leg_by_id_;  // index: participant id - 1
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
  std::vector<VideoLeg*> video_leg_by_id_;  // index: participant id - 1
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
