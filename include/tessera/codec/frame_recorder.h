// Records encoded video frames into a container through libavformat, without re-encoding.
#pragma once

#include <tessera/base/status.h>
#include <tessera/rtp/encoded_frame.h>

#include <cstdint>
#include <memory>
#include <string>

namespace tessera::codec {

// The container follows the file extension: .mp4 (fragmented, so a file cut short by a crash or a
// power loss still plays up to its last fragment; not AV1), .mkv, .webm (VP8, VP9 and AV1 only).
// H.264's parameter sets and AV1's sequence header of the first keyframe become the codec's
// private data.
// Runs on: one executor at a time (not thread-safe).
class FrameRecorder {
 public:
  static StatusOr<std::unique_ptr<FrameRecorder>> Create(const std::string& path, rtp::Codec codec);
  virtual ~FrameRecorder() = default;

  // Writes one frame. Frames before the first keyframe are skipped (a recording must start
  // decodable); a frame whose timestamp does not advance is skipped. Both are counted and return
  // OK; only I/O errors return an error.
  virtual Status Write(const rtp::EncodedFrame& frame) = 0;
  // Writes the trailer and closes the file. Idempotent; the destructor calls it too.
  virtual Status Close() = 0;

  virtual uint64_t frames_written() const = 0;
  virtual uint64_t frames_skipped() const = 0;
};

}  // namespace tessera::codec
