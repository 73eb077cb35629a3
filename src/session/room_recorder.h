// A room's recording: the composite of one profile, written as it is encoded (the recorder is a
// recipient of that profile, so one encode serves the participants and the file).
#pragma once

#include <tessera/codec/frame_recorder.h>
#include <tessera/session/config.h>
#include <tessera/session/video_room.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace tessera::session {

// Runs on: the room's video context.
class RoomRecorder {
 public:
  // Null (and OK) when the room records nothing (rooms[].video.record empty). Errors name the
  // room.
  static StatusOr<std::unique_ptr<RoomRecorder>> Create(const RoomConfig& config);

  // The profile it records (the room's record_profile, else the first).
  const std::string& profile() const { return profile_.name; }
  // One encoded composite of its profile. A write error is logged once and counted.
  void Write(const EncodedVideo& frame);
  // Finishes the file (the container's index); logged on error.
  void Close();
  // "recorded_frames" and "record_errors" into the room's video summary.
  void AddStats(nlohmann::ordered_json& summary) const;

 private:
  RoomRecorder(std::string room, std::string path, VideoProfile profile,
               std::unique_ptr<codec::FrameRecorder> recorder);

  std::string room_;
  std::string path_;
  VideoProfile profile_;
  std::unique_ptr<codec::FrameRecorder> recorder_;
  uint64_t errors_ = 0;
};

}  // namespace tessera::session
