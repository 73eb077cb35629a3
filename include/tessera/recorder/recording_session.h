// The media side of one recording: the recorder's UDP ports for the MCU's audio mix and video
// composite (rtcp-mux), SRTP, the video receive stream (jitter buffer, NACK, PLI back to the MCU),
// Opus passed through undecoded, and the RTCP sender reports that put both streams on one
// wall-clock timeline before the muxer.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/metrics.h>
#include <tessera/base/status.h>
#include <tessera/base/thread_checker.h>
#include <tessera/net/udp_socket.h>
#include <tessera/recorder/av_muxer.h>
#include <tessera/recorder/byte_sink.h>
#include <tessera/rtp/codec.h>
#include <tessera/rtp/depacketizer.h>
#include <tessera/rtp/rtcp/sender_report.h>
#include <tessera/rtp/video_receive_stream.h>
#include <tessera/srtp/srtp_session.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace tessera::recorder {

struct RecordingSessionConfig {
  std::string name;  // for logs and metrics: the recording id
  std::string bind_address = "127.0.0.1";
  uint16_t audio_port = 0;  // 0: an ephemeral port (see audio_port())
  uint16_t video_port = 0;
  srtp::SrtpSuite suite = srtp::SrtpSuite::kAesCm128HmacSha1_80;
  // What the MCU protects its media with: the participant's srtp.send_key. Key and salt.
  std::vector<uint8_t> receive_key;
  // What the recorder protects its RTCP feedback with: the participant's srtp.key.
  std::vector<uint8_t> send_key;
  uint8_t audio_payload_type = 111;  // Opus
  int audio_channels = 1;
  // Unset: no video (an audio-only recording).
  std::optional<rtp::Codec> video_codec = rtp::Codec::kH264;
  uint8_t video_payload_type = 96;
  AvMuxerConfig muxer;  // its video_codec and audio_channels are set from the above
  // No packet on either port for this long: the owner is told (once per silence).
  int64_t silence_timeout_us = 3'000'000;
  // Frames of a stream whose sender has sent no SR yet are held this long at most, then mapped by
  // their arrival time (see the class comment).
  int64_t hold_before_sr_us = 3'000'000;
};

struct RecordingStats {
  uint64_t audio_packets = 0;  // authenticated RTP packets
  uint64_t video_packets = 0;
  uint64_t rtcp_packets = 0;
  uint64_t audio_frames = 0;  // handed to the muxer
  uint64_t video_frames = 0;
  uint64_t srtp_failures = 0;  // authentication, replay or malformed SRTP/SRTCP
  uint64_t malformed = 0;      // not RTP/RTCP, or a bad payload after SRTP
  uint64_t wrong_payload_type = 0;
  uint64_t mapped_by_arrival = 0;  // frames timed by arrival, no SR in time
  uint64_t keyframe_requests = 0;
  uint64_t silences = 0;  // watchdog reports
  uint64_t bytes_written = 0;
  uint64_t gaps = 0;
  MuxerStats muxer;
};

// Lip sync: each stream's RTP timestamps map to the MCU's wall clock by that stream's latest
// RTCP sender report (NTP time <-> RTP time of the same instant); both streams' frames reach the
// muxer in wall-clock microseconds, so the file's audio and video keep the offset the MCU's SRs
// state. Until the first SR of a stream (the MCU sends one about a second after a stream starts),
// its frames are held (at most hold_before_sr_us): they are then timed by that SR, exactly. A
// stream without an SR for longer is timed by arrival (the held frames' RTP times against the
// first one's arrival) until its SR comes; such frames are counted (mapped_by_arrival).
//
// A new SSRC (the MCU restarted, or a re-join) starts the stream over: its SR mapping is
// waited for again. Packets are authenticated by SRTP before they can change anything, so no
// source probation is needed for audio; video goes through VideoReceiveStream's anyway.
//
// Bad input (garbage, wrong keys, replays, bad payloads) is counted and dropped, never fatal.
//
// Runs on: `io`. Create may be called on another thread before io runs; every other method on io.
class RecordingSession {
 public:
  // Called on io with true when no authenticated packet arrived for silence_timeout_us, again
  // every silence_timeout_us while it lasts, and with false when packets come back.
  using SilenceHandler = std::function<void(bool silent)>;

  // Binds the ports and keys SRTP. `sink` receives the container; the session owns it and closes
  // it in Stop. Errors name the recording.
  static StatusOr<std::unique_ptr<RecordingSession>> Create(boost::asio::io_context& io,
                                                            const RecordingSessionConfig& config,
                                                            std::unique_ptr<ByteSink> sink,
                                                            Clock& clock);
  ~RecordingSession();
  RecordingSession(const RecordingSession&) = delete;
  RecordingSession& operator=(const RecordingSession&) = delete;

  void Start(SilenceHandler on_silence);
  // The owner knows a gap is coming (a re-join): the next gap in the file carries this reason.
  void NoteGap(std::string reason);
  // Ends the recording: frames still assemblable and held frames are written, the container is
  // finished and the sink closed. Idempotent; the sockets are closed.
  Status Stop();

  RecordingStats stats() const;
  const std::vector<GapRecord>& gaps() const;
  uint16_t audio_port() const { return audio_port_; }
  uint16_t video_port() const { return video_port_; }

  // What the sockets call for each datagram (video: it came to the video port). Public so that
  // tests may hand datagrams in without a network.
  void OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from, bool video);

 private:
  // One stream's mapping from RTP time to wall-clock microseconds.
  struct StreamClock {
    std::optional<uint32_t> ssrc;
    uint32_t clock_rate = 90000;
    std::optional<int64_t> sr_unix_us;  // the latest SR of ssrc
    uint32_t sr_rtp = 0;
    std::optional<int64_t> arrival_unix_us;  // the fallback anchor, by arrival
    uint32_t arrival_rtp = 0;
    std::optional<int64_t> Map(uint32_t rtp) const;
  };
  struct HeldFrame {
    uint32_t rtp = 0;
    int64_t arrival_unix_us = 0;
    std::vector<uint8_t> data;
    bool keyframe = false;
    int width = 0;
    int height = 0;
  };

  RecordingSession(boost::asio::io_context& io, const RecordingSessionConfig& config,
                   std::unique_ptr<ByteSink> sink, Clock& clock);
  void OnRtp(std::vector<uint8_t>& clear, bool video);
  void OnRtcp(std::vector<uint8_t>& clear, const net::Endpoint& from, bool video);
  void OnAudio(const rtp::RtpPacket& packet);
  void DeliverVideo(rtp::VideoReceiveStream::Output out);
  void SendRtcp(std::vector<uint8_t> compound);
  // Maps or holds one frame of a stream, and releases held ones that can now be mapped.
  void Timed(bool video, HeldFrame frame);
  void Release(bool video, bool force);
  void Write(bool video, const HeldFrame& frame, int64_t unix_us);
  void ArmTimer();
  int64_t NowUnixUs() const;

  RecordingSessionConfig config_;
  std::unique_ptr<ByteSink> sink_;
  Clock& clock_;
  DropCounters drops_;
  std::unique_ptr<AvMuxer> muxer_;
  std::unique_ptr<net::UdpSocket> audio_socket_;
  std::unique_ptr<net::UdpSocket> video_socket_;
  uint16_t audio_port_ = 0;
  uint16_t video_port_ = 0;
  std::unique_ptr<srtp::SrtpSession> srtp_in_;
  std::unique_ptr<srtp::SrtpSession> srtp_out_;
  std::unique_ptr<rtp::VideoReceiveStream> video_;
  std::unique_ptr<rtp::Depacketizer> opus_;
  std::optional<net::Endpoint> video_feedback_;  // where the MCU's video comes from
  std::optional<uint16_t> last_audio_seq_;
  StreamClock audio_clock_;
  StreamClock video_clock_;
  // The latest SR of SSRCs a stream may move to (unix us, RTP time), bounded.
  std::map<uint32_t, std::pair<int64_t, uint32_t>> audio_other_srs_;
  std::map<uint32_t, std::pair<int64_t, uint32_t>> video_other_srs_;
  std::deque<HeldFrame> audio_held_;
  std::deque<HeldFrame> video_held_;
  boost::asio::steady_timer timer_;
  int64_t last_packet_us_ = 0;
  int64_t silence_reported_us_ = 0;
  bool silent_ = false;
  bool started_ = false;
  bool stopped_ = false;
  // Its timer's handlers hold a weak copy: one that runs after the session is gone does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  Status muxer_status_;
  SilenceHandler on_silence_;
  RecordingStats stats_;
  std::vector<uint8_t> scratch_;
  ThreadChecker checker_;
};

}  // namespace tessera::recorder
