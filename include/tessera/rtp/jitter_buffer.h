// Video jitter buffer: assembles depacketized RTP packets into complete frames and releases them
// in decode order, giving up on losses that are not repaired in time (after libwebrtc's
// PacketBuffer and FrameBuffer, without inter-frame reference tracking: frames decode in
// sequence order, and after a loss only a keyframe restarts decoding).
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/metrics.h>
#include <tessera/rtp/codec.h>
#include <tessera/rtp/depacketizer.h>
#include <tessera/rtp/encoded_frame.h>
#include <tessera/rtp/seq_num_unwrapper.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace tessera::rtp {

// One RTP packet after the depacketizer.
struct JitterPacket {
  uint16_t seq = 0;
  uint32_t timestamp = 0;  // RTP timestamp (90 kHz); equal for every packet of a frame
  bool marker = false;     // RTP marker bit: last packet of a frame
  DepacketizedPayload payload;
  int64_t arrival_us = 0;  // arrival time in the Clock::NowUs() timebase
};

// Frame rules:
// - A frame is the packets of one RTP timestamp over a contiguous sequence range. Its first packet
//   is known when the packet has frame_start, or the previous sequence number is present with the
//   marker set or a different timestamp, or was padding, or ended the last frame released. It is
//   complete when every sequence number from its first packet up to a marker packet is present.
// - Frames are released strictly in sequence order. A delta frame is released only right after
//   the previous frame (its first_seq is the previous last_seq + 1, padding in between allowed).
//   A complete keyframe that is a valid restart point is released at once, and the older data it
//   overtakes is given up; for H.264 that needs parameter sets in the frame, in an earlier
//   released frame or out of band (Config::h264_parameter_sets).
// - H.264 parameter sets given out of band go before every keyframe released without its own SPS
//   and PPS until the stream has sent both in band: in-band ones win, and the SDP's never replace
//   them in the decoder afterwards.
// - Missing data blocks later frames for at most max_wait_us (OnTimer) or until the buffer holds
//   max_packets; then it is given up, later delta frames are dropped as undecodable and a keyframe
//   is needed until one is released. A keyframe is also needed until the first frame is released.
// - Packets older than the last frame released or given up are dropped as too late.
//
// Runs on: the participant's network shard. Not thread-safe.
class VideoJitterBuffer {
 public:
  struct Config {
    // Packets held at most (padding included); at least 1.
    size_t max_packets = 1024;
    // How long missing packets are waited for, from the arrival of the oldest packet held behind
    // them, before they are given up (microseconds).
    int64_t max_wait_us = 300'000;
    // H.264: the SPS and PPS the sender gave out of band (its SDP's sprop-parameter-sets, see
    // h264::ParseSpropParameterSets), Annex B with start codes; empty: none.
    std::vector<uint8_t> h264_parameter_sets;
  };

  struct InsertResult {
    // Complete frames in decode order, ready to decode.
    std::vector<EncodedFrame> frames;
    // Decoding cannot go on without a keyframe: ask the sender for one (throttled by the caller).
    bool keyframe_needed = false;
    // Set when the packet given to Insert was itself dropped at once (kTooLate, kDuplicate;
    // counted like every drop); unset when it is held (or went out in `frames`).
    std::optional<DropReason> dropped;
  };

  // Frame counts are in frames, the rest in packets. Each packet drop also bumps the DropCounters
  // given to SetDropCounters: duplicate -> kDuplicate, too late -> kTooLate, buffer full ->
  // kBufferFull, dropped with an undecodable or given-up frame -> kUndecodable.
  struct Stats {
    uint64_t frames_emitted = 0;
    // Complete frames dropped: no decodable reference (after a loss, before the first keyframe,
    // or overtaken by a keyframe).
    uint64_t frames_dropped_undecodable = 0;
    uint64_t packets_duplicate = 0;
    uint64_t packets_too_late = 0;
    uint64_t packets_buffer_full = 0;
    // Packets of incomplete frames dropped when their loss was given up.
    uint64_t packets_given_up = 0;
    // Losses given up (timeout, buffer full, or overtaken by a keyframe).
    uint64_t losses_given_up = 0;
    // Times keyframe_needed turned true (the stream start counts once).
    uint64_t keyframe_requests = 0;
    // H.264 keyframes released with the out-of-band parameter sets put before them.
    uint64_t keyframes_given_parameter_sets = 0;
  };

  VideoJitterBuffer(Config config, Codec codec, Clock& clock);

  VideoJitterBuffer(const VideoJitterBuffer&) = delete;
  VideoJitterBuffer& operator=(const VideoJitterBuffer&) = delete;

  // Adds one packet and returns the frames it made ready.
  [[nodiscard]] InsertResult Insert(JitterPacket packet);
  // Records a padding-only packet (no media, e.g. bandwidth probing) so that its sequence number
  // does not count as lost.
  [[nodiscard]] InsertResult InsertPadding(uint16_t seq, int64_t arrival_us);
  // Gives up missing packets that have blocked older frames for max_wait_us or more, by the
  // clock. Call every 10-20 ms.
  [[nodiscard]] InsertResult OnTimer();

  // Counters bumped for each dropped packet; may be null. Must outlive this buffer.
  void SetDropCounters(DropCounters* counters) { drop_counters_ = counters; }
  const Stats& stats() const { return stats_; }
  // Packets held now.
  size_t size() const { return packets_.size(); }

 private:
  struct Slot {
    uint32_t timestamp = 0;
    bool marker = false;
    bool padding = false;
    int64_t arrival_us = 0;
    DepacketizedPayload payload;
  };
  using PacketMap = std::map<int64_t, Slot>;
  struct CompleteFrame {
    int64_t last = 0;
    bool keyframe = false;
    bool has_parameter_sets = false;  // SPS and PPS, in one packet or across its packets
  };
  using FrameMap = std::map<int64_t, CompleteFrame>;
  // The oldest data held: one frame (complete or not) or a padding packet.
  struct HeadGroup {
    int64_t last = 0;
    int64_t oldest_arrival_us = 0;
  };
  enum class GiveUpCause : uint8_t { kTimeout, kBufferFull };

  InsertResult AddSlot(int64_t seq, Slot slot);
  bool IsKnownFirst(PacketMap::const_iterator it) const;
  void TryComplete(PacketMap::const_iterator it);
  bool IsRestartPoint(const CompleteFrame& frame) const;
  void Process(InsertResult& result);
  void Emit(FrameMap::iterator frame, InsertResult& result);
  void DropFrameUndecodable(FrameMap::iterator frame);
  void DropBefore(int64_t seq);
  HeadGroup FindHeadGroup() const;
  void GiveUpHead(GiveUpCause cause);
  void SetCursor(int64_t seq, uint32_t prev_timestamp, bool prev_ends_frame);
  void CountDrop(DropReason reason, uint64_t packets);
  InsertResult Finish(InsertResult result);

  const Config config_;
  const Codec codec_;
  Clock& clock_;
  DropCounters* drop_counters_ = nullptr;
  Stats stats_;

  SeqNumUnwrapper unwrapper_;
  PacketMap packets_;  // by unwrapped sequence number; all >= cursor_
  FrameMap complete_;  // complete frames held, by unwrapped first sequence number
  // Everything before the cursor was released or given up; the next frame to release starts
  // here. Unset until the first frame is released or data is given up.
  std::optional<int64_t> cursor_;
  uint32_t cursor_prev_timestamp_ = 0;  // the packet just before the cursor
  bool cursor_prev_ends_frame_ = false;
  bool waiting_for_keyframe_ = true;
  bool keyframe_request_due_ = false;  // a loss or an undecodable frame happened while waiting
  bool keyframe_request_counted_ = false;
  bool parameter_sets_seen_ = false;  // in band, in a frame released
};

}  // namespace tessera::rtp
