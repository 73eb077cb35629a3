// Muxes a recording's Opus audio and H.264 or VP8 video, as received (no transcoding), into
// Matroska (default) or fragmented MP4 through libavformat, writing into a ByteSink (never a file
// path): the sink sees the container's bytes and is flushed after each cluster or fragment.
#pragma once

#include <tessera/base/status.h>
#include <tessera/recorder/byte_sink.h>
#include <tessera/rtp/codec.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tessera::recorder {

struct AvMuxerConfig {
  std::string container = "matroska";  // "matroska" or "mp4" (fragmented)
  // The video track's codec (kH264 or kVp8); unset: an audio-only recording.
  std::optional<rtp::Codec> video_codec = rtp::Codec::kH264;
  int audio_channels = 1;  // of the Opus stream (1 or 2)
  // A cluster (Matroska) or fragment (MP4) is closed, written and the sink flushed at least this
  // often: a kill -9 loses at most about this much (plus kInterleaveWindowUs).
  int64_t cluster_us = 1'000'000;
  // A step of the timeline larger than this, on all streams at once, is a gap.
  int64_t gap_threshold_us = 1'000'000;
};

// A stretch of the timeline without media: the recording jumps over it (the media after it keeps
// its true wall-clock distance from the media before it; nothing is stretched or invented).
struct GapRecord {
  int64_t from_us = 0;  // timeline position (microseconds from the recording's start)
  int64_t to_us = 0;
  std::string reason;
};

struct MuxerStats {
  uint64_t video_frames = 0;  // written
  uint64_t audio_frames = 0;
  uint64_t dropped_before_start = 0;      // before the first video keyframe (audio and video)
  uint64_t dropped_not_monotonic = 0;     // a timestamp not after its stream's previous one
  uint64_t dropped_waiting_keyframe = 0;  // video after a gap, before the next keyframe
  uint64_t bytes_written = 0;             // container bytes handed to the sink
  uint64_t flushes = 0;                   // sink flushes (clusters or fragments, and the header)
};

// Timeline: every Write* takes `time_us`, the media's wall-clock time in microseconds (any
// origin, the same for both streams: the session maps RTP timestamps to it with the sender's
// RTCP SRs). The recording starts at the first video keyframe (time 0 of the file); audio and
// video before it are dropped (counted): a recording must start decodable, and audio before the
// picture has nothing to sync to. Audio-only recordings start at the first audio frame.
//
// Packets are held up to kInterleaveWindowUs and written in timestamp order across streams, so
// that a stream delayed by its jitter buffer does not break the interleaving.
//
// Gaps: when all streams jump forward by more than gap_threshold_us, the jump is kept (no
// stretching), counted and logged with its times, and recorded in the file as a text packet on a
// "recording gaps" subtitle track (Matroska only: "gap <from>-<to> s: <reason>"). After a gap,
// video resumes at its next keyframe.
//
// Runs on: one executor (the recording session's); not thread-safe. Errors are the sink's or
// libavformat's; after one, every later call returns it again.
class AvMuxer {
 public:
  static constexpr int64_t kInterleaveWindowUs = 300'000;

  // `sink` must outlive the muxer. InvalidArgument for an unsupported container or codec.
  static StatusOr<std::unique_ptr<AvMuxer>> Create(const AvMuxerConfig& config, ByteSink& sink);
  virtual ~AvMuxer() = default;

  // One encoded picture: H.264 Annex B (the first keyframe's SPS and PPS become the track's
  // extradata; parameter sets stay in band too) or a VP8 frame. width/height: the picture size
  // (needed at the first keyframe; 0 if unknown).
  virtual Status WriteVideo(std::span<const uint8_t> frame, bool keyframe, int64_t time_us,
                            int width, int height) = 0;
  // One Opus packet, passed through as received. Its duration is read from its TOC byte.
  virtual Status WriteAudio(std::span<const uint8_t> opus, int64_t time_us) = 0;
  // Why the next gap happens ("silence", "rejoin", ...): used for the next gap recorded.
  virtual void NoteGapReason(std::string reason) = 0;
  // Writes what is held, the trailer, and closes the sink. Idempotent.
  virtual Status Close() = 0;

  virtual const MuxerStats& stats() const = 0;
  virtual const std::vector<GapRecord>& gaps() const = 0;
  // True once the header is written (the first keyframe arrived).
  virtual bool started() const = 0;
};

// The duration of an Opus packet from its TOC byte and frame count (RFC 6716 3.1), in
// microseconds; nullopt for a malformed packet.
std::optional<int64_t> OpusPacketDurationUs(std::span<const uint8_t> packet);

}  // namespace tessera::recorder
