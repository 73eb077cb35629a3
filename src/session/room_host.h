// One mixing room: its configuration and the four owners that run it, each on one thread it can
// name: the roster (control plane), the audio mix (the room's audio thread), the video mix and
// the recorder (the room's video thread).
#pragma once

#include <tessera/base/clock.h>
#include <tessera/codec/hw_selector.h>
#include <tessera/session/config.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "session/room_audio.h"
#include "session/room_roster.h"
#include "session/room_video.h"

namespace tessera::session {

// Runs on: set-up and the control plane (the RoomService, with its mutex held). Its parts say
// where they run; work crosses to them by post with moved data only.
class RoomHost {
 public:
  RoomHost(const RoomConfig& config, boost::asio::io_context& media, Clock& clock);
  ~RoomHost();

  // Set-up, before any thread runs. With a `video` section: the video mixer on `video_media`,
  // on the backend `hardware` selected for this room.
  Status InitVideo(boost::asio::io_context& video_media, codec::HwSelection hardware = {});
  // Queues the start of the ticks (on their threads) and of the roster's legs (on their shards).
  void Start();

  // The codec of the profile a participant receives.
  rtp::Codec ReceiveCodecFor(const RoomParticipantConfig& pc) const;
  // Writes the SDP file a leg receiving the composite asked for (if any).
  Status WriteSdpFor(const VideoLeg& leg) const;

  // The participants a recording leaves out under the room's "exclude" consent policy: those
  // seen or heard (RoomMember::sends) who have not granted consent. Recomputed from the roster
  // after every join (before the rooms attach the member), leave and consent change; a change
  // is applied on the audio thread (the recorder's not_heard) and the video thread (the recorded
  // variant's cards) before the call returns, and logged. Nothing
  // under "require" (the recording stops instead). With the directory's lock held.
  // `joining`: a member about to be attached, counted as if in the roster (so that the rooms
  // leave it out before their first tick with it). `wait`: returns once the audio and video
  // threads applied it (with the directory's lock held; never from those threads); else posted
  // (a room whose threads have not started it).
  void UpdateExclusion(const RoomMember* joining = nullptr, bool wait = true);
  const std::vector<uint32_t>& excluded() const { return excluded_; }

  const RoomConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  RoomRoster& roster() { return roster_; }
  RoomAudio& audio() { return audio_; }
  bool has_video() const { return video_ != nullptr; }
  RoomVideo& video() { return *video_; }  // only with has_video()

 private:
  const RoomConfig config_;
  RoomRoster roster_;
  RoomAudio audio_;
  std::unique_ptr<RoomVideo> video_;
  std::vector<uint32_t> excluded_;  // UpdateExclusion's last answer, ascending
};

}  // namespace tessera::session
