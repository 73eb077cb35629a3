// One participant's incoming video on its decode strand: complete encoded frames in, decoded
// pictures out into the latest-wins mailbox the room's mixer reads.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/metrics.h>
#include <tessera/base/status.h>
#include <tessera/codec/hw_device.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/mixer/frame_mailbox.h>
#include <tessera/rtp/encoded_frame.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace tessera::session {

struct VideoInputConfig {
  uint32_t id = 0;
  std::string name;
  rtp::Codec codec = rtp::Codec::kH264;  // what the participant's payload type says it sends
  codec::VideoDecoderConfig decoder;     // the size cap
  // Decoder work cap: at most this many frames per second are decoded (a burst of one second's
  // worth is allowed); the rest are dropped and counted.
  int max_fps = 60;
  // Frames larger than this are dropped before decoding (bytes of bitstream).
  size_t max_frame_bytes = 4 * 1024 * 1024;
  // The room's hardware device (null: the CPU). The input decodes on it (NVDEC, Quick Sync) and
  // puts device pictures in its mailbox; where the device cannot take the stream it falls back to
  // the CPU decoder for good, and says why (VideoInputStats::hw_fallback).
  std::shared_ptr<codec::HwDevice> hw_device;
};

struct VideoInputStats {
  uint64_t frames = 0;   // handed to Decode()
  uint64_t decoded = 0;  // pictures put in the mailbox
  uint64_t errors = 0;   // frames the decoder rejected (includes too_large, bad_format)
  uint64_t too_large = 0;
  uint64_t bad_format = 0;        // pictures in a pixel format the decoder cannot convert
  uint64_t rate_limited = 0;      // dropped by the decode work cap
  uint64_t oversized_frames = 0;  // dropped: more than max_frame_bytes
  uint64_t waiting_keyframe = 0;  // delta frames dropped while failed (no keyframe yet)
  uint64_t codec_mismatch = 0;    // frames tagged with another codec than configured
  uint64_t resets = 0;            // decoder recreated (new SSRC)
  uint64_t keyframe_requests = 0;
  int width = 0;  // of the last picture
  int height = 0;
  bool failed = false;      // waiting for a keyframe after an error
  bool hw_decoder = false;  // decoding on the room's hardware device now
  uint64_t hw_decoded = 0;  // of `decoded`, pictures decoded on the device
  std::string hw_fallback;  // why a hardware room's input decodes on the CPU; empty otherwise
};

// Runs on: the input's decode strand (not thread-safe; only the mailbox is shared).
class VideoInput {
 public:
  static StatusOr<std::unique_ptr<VideoInput>> Create(const VideoInputConfig& config, Clock& clock);
  ~VideoInput();

  struct Result {
    // Ask the sender for a keyframe (PLI/FIR): the decoder failed, or the input waits for one.
    bool keyframe_needed = false;
  };
  // Decodes one complete frame and puts the picture, if any, into the mailbox. A failure marks
  // the input failed: delta frames are skipped (not decoded) until a keyframe decodes, and the
  // mixer keeps showing the last good picture meanwhile.
  [[nodiscard]] Result Decode(const rtp::EncodedFrame& frame);
  // The sender's stream restarted (new SSRC): a fresh decoder that waits for a keyframe.
  [[nodiscard]] Result Reset();
  // Runs on: any thread. The next Decode() first does Reset(): a frame was lost before it
  // reached the decoder (or the stream restarted). Many requests before it cost one reset.
  void RequestReset() { reset_requested_.store(true, std::memory_order_relaxed); }
  // Runs on: any thread. Each decode's duration goes to `histogram` from the next Decode() on
  // (null: nowhere); it must outlive the input (the registry's histograms do).
  void SetDecodeHistogram(Histogram* histogram) {
    decode_seconds_.store(histogram, std::memory_order_release);
  }

  const std::shared_ptr<mixer::FrameMailbox>& mailbox() const { return mailbox_; }
  const VideoInputStats& stats() const { return stats_; }
  const VideoInputConfig& config() const { return config_; }

 private:
  VideoInput(const VideoInputConfig& config, Clock& clock);
  Result Fail();
  // A decoder for the stream (codec::CreateVideoDecoderFor): the device's while it can take the
  // stream, else the CPU's.
  Status MakeDecoder();
  // The device failed this input for good (`why`): the CPU decodes it from its next keyframe.
  void MoveToCpu(std::string why);
  // The receive time of the frame that coded a picture of pts_90k: with B-frames the decoder
  // gives a picture with a later frame, and the latency figures start at its own frame's arrival.
  void NoteReceived(const rtp::EncodedFrame& frame);
  int64_t ReceiveTimeOf(int64_t pts_90k, const rtp::EncodedFrame& current) const;

  VideoInputConfig config_;
  Clock& clock_;
  std::unique_ptr<codec::VideoDecoder> decoder_;  // on the device or the CPU
  std::shared_ptr<mixer::FrameMailbox> mailbox_;
  VideoInputStats stats_;
  // Token bucket of the decode cap, in frames (scaled by 1e6 to stay integral).
  int64_t tokens_micro_ = 0;
  int64_t tokens_at_us_ = 0;
  bool waiting_keyframe_ = true;  // nothing decodes before the first keyframe
  // Keyframes the hardware decoder rejected since its last good one; at the limit the input
  // moves to the CPU decoder.
  static constexpr int kMaxHwKeyframeErrorsInARow = 3;
  int hw_keyframe_errors_in_a_row_ = 0;
  std::atomic<bool> reset_requested_{false};
  std::atomic<Histogram*> decode_seconds_{nullptr};
  // (RTP timestamp, receive time) of the frames last handed to the decoder: H.264's largest
  // reorder depth (16) and one.
  struct Received {
    bool used = false;
    uint32_t rtp_timestamp = 0;
    int64_t receive_time_us = 0;
  };
  std::array<Received, 17> received_{};
  size_t received_next_ = 0;
};

}  // namespace tessera::session
