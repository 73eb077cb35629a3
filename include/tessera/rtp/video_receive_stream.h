// The receive side of one incoming video stream, without sockets: RTP in, complete frames and
// RTCP feedback out. Receiver statistics, NACK, keyframe requests and the jitter buffer are wired
// here once so that every transport (plain RTP, SIP legs, WebRTC) shares them.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/metrics.h>
#include <tessera/rtp/depacketizer.h>
#include <tessera/rtp/encoded_frame.h>
#include <tessera/rtp/jitter_buffer.h>
#include <tessera/rtp/keyframe_requester.h>
#include <tessera/rtp/nack_tracker.h>
#include <tessera/rtp/receive_statistics.h>
#include <tessera/rtp/remb_estimator.h>
#include <tessera/rtp/rtcp/rtcp_compound.h>
#include <tessera/rtp/rtp_packet.h>
#include <tessera/rtp/sequence_probation.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tessera::rtp {

struct VideoReceiveStreamConfig {
  Codec codec = Codec::kH264;
  uint8_t payload_type = 96;
  uint32_t local_ssrc = 1;  // sender SSRC of our RTCP
  std::string cname = "tessera";
  bool nack_enabled = true;
  int64_t rtcp_interval_us = 1'000'000;  // regular RR + SDES
  // Above 0: a REMB with the loss-based estimate (RembEstimator, capped here) goes with the
  // reports, once a second (a browser publisher that negotiated goog-remb).
  int64_t remb_max_bps = 0;
  VideoJitterBuffer::Config jitter;
  NackTracker::Config nack;
  KeyframeRequester::Config keyframe;
};

struct VideoReceiveStats {
  uint64_t packets = 0;
  uint64_t frames = 0;
  uint64_t nacks_sent = 0;  // sequence numbers asked for
  uint64_t keyframe_requests = 0;
  uint64_t rembs_sent = 0;
  // New streams confirmed after the first (RFC 3550 A.1 probation): a new SSRC, or a sequence
  // jump of the same SSRC (the sender restarted). Each starts the receive state afresh.
  uint64_t ssrc_changes = 0;
  uint64_t sequence_restarts = 0;
  int64_t rtt_us = -1;
  // The current stream (since its first packet or its last restart): RFC 3550 A.3 cumulative
  // loss (expected minus received; a late arrival lowers it) and A.8 interarrival jitter.
  int64_t packets_lost = 0;
  double jitter_ms = 0;
};

// Packets pass RFC 3550 A.1 source validation (SequenceProbation) before the statistics, NACK
// and the jitter buffer see them: a stray packet of another SSRC or far off the sequence cannot
// move the stream's window; two in sequence start a new stream (the one kept on probation goes in
// first, so a restarted sender loses nothing).
// Runs on: the participant's network shard (not thread-safe).
class VideoReceiveStream {
 public:
  struct Output {
    std::vector<EncodedFrame> frames;  // complete, in decode order
    std::vector<uint8_t> rtcp;         // a compound RTCP packet to send now, or empty
    // OnRtp: why the packet was dropped on arrival (already counted in the DropCounters), or
    // unset when the stream took it (held by the jitter buffer, or out in `frames`). A packet put
    // on probation is a drop (kUnknownSsrc, kSequenceJump) although a copy is kept in case the
    // next packet confirms it.
    std::optional<DropReason> dropped;
  };

  // drops may be null; it outlives the stream.
  VideoReceiveStream(const VideoReceiveStreamConfig& config, Clock& clock, DropCounters* drops);
  ~VideoReceiveStream();

  [[nodiscard]] Output OnRtp(const RtpPacket& packet, int64_t arrival_us);
  // Takes a (decrypted) RTCP compound: SRs feed LSR/DLSR, report blocks about our SSRC feed the
  // RTT that paces NACK retries. False when the compound is malformed (the caller counts it).
  bool OnRtcp(std::span<const uint8_t> compound, int64_t now_us);
  // Call every 10-20 ms: gives up on stale frames, resends due NACKs, sends the periodic RR.
  [[nodiscard]] Output OnTimer(int64_t now_us);
  // The decoder failed on a frame: ask for a keyframe (throttled).
  [[nodiscard]] Output RequestKeyframe(int64_t now_us);
  // At shutdown: frames still assemblable are returned; nothing more is requested.
  [[nodiscard]] Output Flush(int64_t now_us);

  VideoReceiveStats stats() const;
  std::optional<uint32_t> remote_ssrc() const { return remote_ssrc_; }

 private:
  void StartStream(uint32_t ssrc);
  // Feeds one packet that belongs to the stream to the statistics, NACK and the jitter buffer;
  // returns the jitter buffer's drop reason for it, if it dropped it.
  std::optional<DropReason> Take(const RtpPacket& packet, DepacketizedPayload payload,
                                 int64_t arrival_us, Output& out,
                                 std::vector<RtcpMessage>& feedback);
  void CountDrop(DropReason reason, Output& out);
  void Absorb(VideoJitterBuffer::InsertResult r, Output& out, int64_t now_us,
              std::vector<RtcpMessage>& feedback);
  void AddNacks(int64_t now_us, std::vector<RtcpMessage>& feedback);
  void AddKeyframeRequest(int64_t now_us, std::vector<RtcpMessage>& feedback);
  std::vector<uint8_t> BuildCompound(std::vector<RtcpMessage> feedback, int64_t now_us);

  VideoReceiveStreamConfig config_;
  Clock& clock_;
  DropCounters* drops_;
  std::unique_ptr<Depacketizer> depacketizer_;
  SequenceProbation probation_;
  std::optional<uint32_t> remote_ssrc_;
  std::unique_ptr<ReceiveStatistics> statistics_;
  std::unique_ptr<VideoJitterBuffer> jitter_;
  std::unique_ptr<NackTracker> nack_;
  KeyframeRequester keyframes_;
  std::unique_ptr<RembEstimator> remb_;
  uint64_t bytes_received_ = 0;  // the stream's packets taken, for the REMB estimate
  int64_t last_rtcp_us_ = 0;
  VideoReceiveStats stats_;
};

}  // namespace tessera::rtp
