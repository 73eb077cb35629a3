#include "session/room_recorder.h"

#include <spdlog/spdlog.h>

namespace tessera::session {

StatusOr<std::unique_ptr<RoomRecorder>> RoomRecorder::Create(const RoomConfig& config) {
  if (!config.video || config.video->record.empty()) return std::unique_ptr<RoomRecorder>();
  const RoomVideoConfig& v = *config.video;
  size_t index = 0;
  for (size_t i = 0; i < v.profiles.size(); ++i) {
    if (v.profiles[i].name == v.record_profile) index = i;
  }
  auto recorder = codec::FrameRecorder::Create(v.record, v.profiles[index].codec);
  if (!recorder.ok()) {
    return Status(recorder.status().code(),
                  "room " + config.name + ": recording: " + recorder.status().message());
  }
  // The demo's recording: in this process, video only, in plaintext. Regulated deployments record
  // through the recorder tier (control.recorder, docs/security.md).
  spdlog::warn(
      "room {}: video.record writes {} in plaintext from the MCU itself: for demos, not for "
      "regulated use (use the recorder tier: control.recorder)",
      config.name, v.record);
  return std::unique_ptr<RoomRecorder>(
      new RoomRecorder(config.name, v.record, v.profiles[index], std::move(*recorder)));
}

RoomRecorder::RoomRecorder(std::string room, std::string path, VideoProfile profile,
                           std::unique_ptr<codec::FrameRecorder> recorder)
    : room_(std::move(room)),
      path_(std::move(path)),
      profile_(std::move(profile)),
      recorder_(std::move(recorder)) {}

void RoomRecorder::Write(const EncodedVideo& frame) {
  rtp::EncodedFrame f;
  f.data = frame.bitstream;
  f.codec = frame.codec;
  f.rtp_timestamp = frame.rtp_timestamp;
  f.keyframe = frame.keyframe;
  f.width = static_cast<uint16_t>(profile_.width);
  f.height = static_cast<uint16_t>(profile_.height);
  Status s = recorder_->Write(f);
  if (!s.ok() && errors_++ == 0) {
    spdlog::error("room {}: recording {}: {}", room_, path_, s.ToString());
  }
}

void RoomRecorder::Close() {
  Status s = recorder_->Close();
  if (!s.ok()) spdlog::error("room {}: closing the recording: {}", room_, s.ToString());
}

void RoomRecorder::AddStats(nlohmann::ordered_json& summary) const {
  summary["recorded_frames"] = recorder_->frames_written();
  summary["record_errors"] = errors_;
}

}  // namespace tessera::session
