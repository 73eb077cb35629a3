// The video of one room participant on its network shard: receives its camera (RTP -> jitter
// buffer -> frames posted to its decode strand) and sends it the room's composite with its own
// RTP sender, answering its NACKs and passing its keyframe requests and bandwidth feedback to
// the room.
#pragma once

#include <tessera/rtp/rtcp/tmmbn.h>
#include <tessera/rtp/rtp_sender.h>
#include <tessera/rtp/video_receive_stream.h>
#include <tessera/session/config.h>
#include <tessera/session/room_directory.h>
#include <tessera/session/video_input.h>
#include <tessera/session/video_room.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "session/latency_histogram.h"
#include "session/media_transport.h"
#include "session/simulcast_selector.h"

namespace tessera::session {

using DecodeStrand = boost::asio::strand<boost::asio::thread_pool::executor_type>;

// Runs on: its network shard. Decoding runs on the input's decode strand.
class VideoLeg {
 public:
  // Called on the leg's shard; they post to the room's executor.
  struct RoomHooks {
    std::function<void(uint32_t id)> keyframe_request;
    // The leg can receive the composite from now on (a WebRTC leg's DTLS gave it keys): it
    // needs a keyframe at once, as a recipient that just joined.
    std::function<void(uint32_t id)> ready_to_receive;
    std::function<void(uint32_t id, std::optional<int64_t> estimate_bps,
                       std::optional<double> loss)>
        feedback;
    // A cascade uplink's frames (the primary's composite), for the share's participants.
    // `stream` counts the uplink's stream restarts (a new SSRC or sequence): the recipients'
    // senders re-base their timestamps there.
    std::function<void(uint32_t id, rtp::EncodedFrame frame, uint64_t stream)> forward;
  };

  // input: the participant's decoder (null when it sends no video). options: the keyframe
  // requests its camera takes, its own SRTP keys and the listener asked for keyframes otherwise.
  static StatusOr<std::unique_ptr<VideoLeg>> Create(
      const RoomParticipantConfig& config, const JoinOptions& options, uint32_t id,
      const ServerConfig& server, boost::asio::io_context& shard, uint16_t local_port, Clock& clock,
      DecodeStrand decode, std::shared_ptr<VideoInput> input, rtp::Codec receive_codec,
      RoomHooks hooks);
  ~VideoLeg();

  void Start();
  // One composite frame of the recipient's profile (shared by the profile's recipients).
  void SendVideo(const std::shared_ptr<const EncodedVideo>& frame);
  void Stop();
  // Asks the participant's camera for a keyframe (throttled as its own requests are): a cascade
  // uplink's, for a share participant that needs one.
  void AskForKeyframe();
  // Like AudioLeg::SetRemote, for the composite (a leg that receives it). Every leg: where its
  // camera's packets may come from follows (MediaTransport::SetSignalledPeer).
  void SetRemote(const std::optional<boost::asio::ip::address>& address, uint16_t rtp_port,
                 uint16_t rtcp_port);
  // Runs on: any thread but the decode strand. Returns once every decode posted so far has run
  // (the keyframe requests they post back to the shard are queued there by then).
  void WaitForDecodes();
  // Where the durations of its camera's decodes go (the room's histogram; null: nowhere).
  // Runs on: any thread (VideoInput::SetDecodeHistogram).
  void SetDecodeHistogram(Histogram* histogram) {
    if (input_) input_->SetDecodeHistogram(histogram);
  }

  uint32_t id() const { return id_; }
  const RoomParticipantConfig& config() const { return config_; }
  uint16_t local_port() const { return transport_->local_port(); }
  boost::asio::io_context& shard() { return shard_; }
  bool receives() const { return sender_ != nullptr; }
  // Simulcast publishers: the participant's largest tile now (the room's layout), which picks
  // the layer decoded. Runs on: the shard.
  bool simulcast() const { return simulcast_.has_value(); }
  void SetTileSize(int width, int height);
  // MCU-added latency of the frames this recipient was sent (read after Stop).
  const LatencyHistogram& latency() const { return latency_; }
  std::string SummaryJson(const std::string& room) const;
  // Every datagram its port(s) received and what became of it on arrival.
  const ReceiveCounts& receive_counts() const { return transport_->receive_counts(); }

 private:
  VideoLeg(const RoomParticipantConfig& config, const JoinOptions& options, uint32_t id,
           boost::asio::io_context& shard, Clock& clock, DecodeStrand decode,
           std::shared_ptr<VideoInput> input, RoomHooks hooks);
  PacketVerdict OnRtp(std::span<const uint8_t> clear, const net::Endpoint& from);
  PacketVerdict OnRtcp(std::span<const uint8_t> clear, const net::Endpoint& from);
  void Deliver(rtp::VideoReceiveStream::Output out);
  void PostDecode(rtp::EncodedFrame frame);
  void ArmTimer();
  void SendRtcp(std::vector<uint8_t> compound);
  // Asks the participant's camera for a keyframe: PLI/FIR as negotiated, or the SIP leg's INFO.
  void RequestSenderKeyframe();
  bool TakeRetransmitToken(int64_t now_us);
  // Padding-only RTX packets worth about `bytes` (at most 64 of 255 bytes), to probe the path.
  bool SendPadding(size_t bytes);
  // A simulcast publisher's packet: skipped (another layer's), dropped, or on to the stream
  // (an RTX packet unwrapped). Sends the PLI a layer switch waits on.
  std::optional<PacketVerdict> SimulcastFilter(std::optional<rtp::RtpPacket>& packet, bool rtx);

  RoomParticipantConfig config_;
  // The camera takes neither PLI nor FIR: the listener is asked for keyframes instead.
  bool keyframes_by_listener_ = false;
  std::shared_ptr<ParticipantListener> listener_;
  uint32_t id_;
  boost::asio::io_context& shard_;
  Clock& clock_;
  DecodeStrand decode_;
  std::shared_ptr<VideoInput> input_;
  RoomHooks hooks_;
  DropCounters drops_;
  std::unique_ptr<MediaTransport> transport_;
  std::unique_ptr<rtp::VideoReceiveStream> receive_;  // when it sends video
  std::unique_ptr<rtp::RtpSender> sender_;            // when it receives the composite
  net::Endpoint rtp_destination_;
  std::optional<net::Endpoint> rtcp_destination_;
  bool rtcp_destination_fixed_ = false;
  boost::asio::steady_timer timer_;
  int64_t last_report_us_ = 0;
  uint64_t new_streams_seen_ = 0;  // the stream's SSRC changes and sequence restarts
  // A new stream began (new SSRC, or a restart): reset the decoder before its frames.
  bool reset_pending_ = false;
  // The answer to a TMMBR, sent after the compound is read.
  std::optional<rtp::Tmmbn> tmmbn_;
  std::optional<int64_t> remb_bps_;         // the latest REMB estimate
  std::optional<int64_t> tmmbr_limit_bps_;  // the latest TMMBR limit (RFC 5104), honoured
  std::optional<SimulcastSelector> simulcast_;
  uint32_t local_ssrc_ = 0;                   // of our RTCP
  std::optional<int64_t> link_estimate_bps_;  // the link's send-side estimate (transport-cc)
  double link_loss_ = 0;
  // Retransmission budget (token bucket, packets).
  double budget_rate_ = 50.0;
  double retransmit_tokens_ = 50.0;
  int64_t tokens_at_us_ = 0;
  int64_t budget_window_start_us_ = 0;
  uint64_t budget_window_sent_ = 0;
  // Frames posted to the decode strand and not yet decoded: bounded, the rest is dropped.
  std::shared_ptr<std::atomic<int>> decode_in_flight_;
  bool stopped_ = false;
  bool on_hold_ = false;
  LatencyHistogram latency_;
  struct Counts {
    uint64_t rtp_received = 0;
    uint64_t rtcp_received = 0;
    uint64_t frames_received = 0;
    uint64_t decode_queue_full = 0;
    uint64_t rtp_sent = 0;
    uint64_t send_failures = 0;
    uint64_t frames_sent = 0;
    uint64_t keyframes_sent = 0;
    uint64_t plis_received = 0;
    uint64_t firs_received = 0;
    uint64_t nacks_received = 0;
    uint64_t retransmitted = 0;
    uint64_t rtx_received = 0;  // the sender's retransmissions, unwrapped
    uint64_t rtx_padding = 0;   // its padding-only probes on RTX: nothing to deliver
    uint64_t remb_received = 0;
    uint64_t tmmbr_received = 0;
    uint64_t link_estimates = 0;  // send-side estimates from the link
    uint64_t padding_sent = 0;    // padding-only RTX packets sent to probe the path
    uint64_t bytes_received = 0;  // of the RTP packets counted in rtp_received
    uint64_t bytes_sent = 0;      // of the RTP packets sent, retransmissions included
  } counts_;
  // From the recipient's latest report block about the composite: the round trip (-1: none yet)
  // and the fraction of it lost.
  int64_t rtt_us_ = -1;
  std::optional<double> remote_loss_;
  // RTX: the sender's (unwrapped) and ours (the composite's retransmissions).
  uint8_t rtx_payload_type_ = 0;
  uint32_t remote_rtx_ssrc_ = 0;   // signalled or pinned: RTX from another SSRC is not its
  uint32_t remote_rtx_media_ = 0;  // the media SSRC it repairs; 0: whichever is latched
  uint8_t send_rtx_payload_type_ = 0;
  uint32_t rtx_ssrc_ = 0;
  uint16_t rtx_seq_ = 0;
  ThreadChecker checker_;
};

}  // namespace tessera::session
