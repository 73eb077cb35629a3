// The load generator's senders, without sockets: each loops a pre-encoded clip as one RTP stream
// with continuous sequence numbers and timestamps, answers NACKs from its history and counts
// keyframe requests.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/rtp/packetizer.h>
#include <tessera/rtp/rtp_packet.h>
#include <tessera/rtp/rtp_sender.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "loadgen/clip.h"

namespace tessera::loadgen {

// RFC 8285 one-byte extension carrying a sender's running frame counter (4 bytes, big endian).
inline constexpr uint8_t kDefaultCounterExtensionId = 7;

// The counter in a packet's extension `id`, if it has one of 4 bytes.
std::optional<uint32_t> ReadCounterExtension(const rtp::RtpPacket& packet, uint8_t id);

struct SenderStats {
  uint64_t frames = 0;  // video frames or audio packets sent
  uint64_t packets = 0;
  uint64_t bytes = 0;   // RTP bytes, headers included
  uint64_t nacked = 0;  // sequence numbers asked for
  uint64_t retransmitted = 0;
  uint64_t plis = 0;
  uint64_t firs = 0;
};

struct VideoSenderConfig {
  uint32_t ssrc = 0;
  uint8_t payload_type = 96;
  uint8_t counter_extension_id = kDefaultCounterExtensionId;  // 1..14
  size_t mtu = rtp::kDefaultMtu;
  uint32_t first_clip_frame = 0;  // the loop's phase: the first frame sent
  std::string cname = "tessera-loadgen";
};

// Runs on: the load generator's network thread (not thread-safe). The clip outlives it.
class VideoStreamSender {
 public:
  struct Frame {
    uint64_t counter = 0;     // the frame's number in this stream (the pacer's index)
    uint32_t clip_index = 0;  // the clip frame, whose frame code the picture shows
    bool keyframe = false;
    std::vector<rtp::RtpPacket> packets;  // the last one has the marker bit
  };

  VideoStreamSender(const VideoClip& clip, const VideoSenderConfig& config, Clock& clock);

  // The packets of frame `counter` (increasing; gaps are frames the pacer skipped). The clip
  // advances one frame per call whatever the gap, so the decoder's references stay intact; the
  // RTP timestamp is counter * 90000 / fps, so a gap shows as a longer frame.
  [[nodiscard]] Frame NextFrame(uint64_t counter);

  // An RTCP compound from the server: NACKs for this stream give the packets to resend; PLI/FIR
  // are counted (the clip's keyframe interval answers them). Malformed input gives nothing.
  [[nodiscard]] std::vector<rtp::RtpPacket> OnRtcp(std::span<const uint8_t> compound,
                                                   int64_t now_us);

  // A sender report and SDES for this stream, once packets were sent; else empty.
  std::vector<uint8_t> BuildReport(NtpTime now_ntp, int64_t now_us) const;

  uint32_t ssrc() const { return config_.ssrc; }
  const SenderStats& stats() const { return stats_; }

 private:
  const VideoClip& clip_;
  VideoSenderConfig config_;
  rtp::RtpSender rtp_;
  std::unique_ptr<rtp::Packetizer> packetizer_;
  uint32_t position_;
  SenderStats stats_;
};

struct AudioSenderConfig {
  uint32_t ssrc = 0;
  uint8_t payload_type = 111;
  uint32_t first_packet = 0;  // the loop's phase
  std::string cname = "tessera-loadgen";
};

// Runs on: the load generator's network thread (not thread-safe). The clip outlives it.
class AudioStreamSender {
 public:
  AudioStreamSender(const AudioClip& clip, const AudioSenderConfig& config, Clock& clock);

  // The packet of 20 ms slot `counter` (increasing); the timestamp follows the slot, so skipped
  // slots are gaps the receiver conceals.
  [[nodiscard]] rtp::RtpPacket NextPacket(uint64_t counter);
  std::vector<uint8_t> BuildReport(NtpTime now_ntp, int64_t now_us) const;

  uint32_t ssrc() const { return config_.ssrc; }
  const SenderStats& stats() const { return stats_; }

 private:
  const AudioClip& clip_;
  AudioSenderConfig config_;
  rtp::RtpSender rtp_;
  SenderStats stats_;
};

}  // namespace tessera::loadgen
