// One participant of a mixing room on its network shard: receives its audio RTP and hands the
// payloads to the room; sends it the room's mix with its own RTP sender (SSRC, sequence,
// timestamps) and sender reports.
#pragma once

#include <tessera/rtp/receive_statistics.h>
#include <tessera/rtp/rtp_sender.h>
#include <tessera/rtp/sequence_probation.h>
#include <tessera/rtp/telephone_event.h>
#include <tessera/session/config.h>
#include <tessera/session/room_directory.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "session/media_transport.h"

namespace tessera::session {

// What the leg hands to its room for each received packet (posted to the room's executor).
struct ReceivedAudio {
  uint32_t participant_id = 0;
  uint16_t seq = 0;
  uint32_t rtp_timestamp = 0;
  std::vector<uint8_t> payload;
  std::optional<uint8_t> audio_level;
  int64_t arrival_us = 0;
  // The first packet of a new stream of this participant (a new SSRC, or a sequence jump that
  // the next packet confirmed): the room's jitter buffer starts over before it.
  bool new_stream = false;
};

// Runs on: its network shard. Create may run elsewhere before the shard starts.
class AudioLeg {
 public:
  using RoomSink = std::function<void(ReceivedAudio)>;

  // options: its telephone-event payload type and the listener its DTMF digits go to.
  static StatusOr<std::unique_ptr<AudioLeg>> Create(const RoomParticipantConfig& config,
                                                    const JoinOptions& options, uint32_t id,
                                                    const ServerConfig& server,
                                                    boost::asio::io_context& shard,
                                                    uint16_t local_port, Clock& clock,
                                                    RoomSink sink);
  ~AudioLeg();

  void Start();
  // Sends one mixed payload (shared by every listener of the same mix and codec). input_time_us:
  // the instant (Clock::NowUs()) its timestamp stands for, which sender reports map to wall-clock
  // time (AudioOut::input_time_us: when the audio in it reached the room).
  void SendAudio(const std::shared_ptr<const std::vector<uint8_t>>& payload, uint32_t rtp_timestamp,
                 int64_t input_time_us);
  void Stop();
  // Where the mix and sender reports go from now on (a re-INVITE). address: nullopt keeps it; the
  // unspecified address (0.0.0.0, ::) holds: nothing is sent until another update. rtp_port 0
  // keeps the port; rtcp_port 0 derives it from the RTP port (RtcpPortFor).
  void SetRemote(const std::optional<boost::asio::ip::address>& address, uint16_t rtp_port,
                 uint16_t rtcp_port);

  uint32_t id() const { return id_; }
  const RoomParticipantConfig& config() const { return config_; }
  uint16_t local_port() const { return transport_->local_port(); }
  boost::asio::io_context& shard() { return shard_; }
  std::string SummaryJson(const std::string& room) const;
  // Every datagram its port(s) received and what became of it on arrival.
  const ReceiveCounts& receive_counts() const { return transport_->receive_counts(); }

 private:
  AudioLeg(const RoomParticipantConfig& config, const JoinOptions& options, uint32_t id,
           boost::asio::io_context& shard, Clock& clock, RoomSink sink);
  PacketVerdict OnRtp(std::span<const uint8_t> clear);
  PacketVerdict OnRtcp(std::span<const uint8_t> clear);
  // A packet of the stream (after probation): DTMF to the listener, audio to the room.
  void Take(const rtp::RtpPacket& packet);
  void ArmReportTimer();

  RoomParticipantConfig config_;
  uint8_t telephone_event_pt_ = 0;  // 0: none expected
  std::shared_ptr<ParticipantListener> listener_;
  uint32_t id_;
  boost::asio::io_context& shard_;
  Clock& clock_;
  RoomSink sink_;
  DropCounters drops_;
  std::unique_ptr<MediaTransport> transport_;
  std::unique_ptr<rtp::RtpSender> sender_;
  net::Endpoint rtp_destination_;
  net::Endpoint rtcp_destination_;
  boost::asio::steady_timer report_timer_;
  bool stopped_ = false;
  bool on_hold_ = false;
  uint64_t rtp_received_ = 0;
  // RFC 3550 A.1 for its one stream; telephone events share its SSRC and numbering (RFC 4733).
  rtp::SequenceProbation probation_;
  // A new stream was confirmed: the room's jitter buffer starts over at the next audio packet.
  bool restart_pending_ = false;
  rtp::DtmfDetector dtmf_;
  uint64_t dtmf_digits_ = 0;
  uint64_t rtcp_received_ = 0;
  uint64_t rtp_sent_ = 0;
  uint64_t send_failures_ = 0;
  // RFC 3550 reception statistics of its stream, audio and telephone events (they share the
  // numbering): loss and jitter for the summary. Made anew for a new SSRC.
  std::unique_ptr<rtp::ReceiveStatistics> statistics_;
  uint64_t bytes_received_ = 0;  // of the RTP packets taken (audio and events)
  uint64_t bytes_sent_ = 0;
  // From the participant's latest report block about the mix: the round trip (-1: none yet) and
  // the fraction of it lost.
  int64_t rtt_us_ = -1;
  std::optional<double> remote_loss_;
  ThreadChecker checker_;
};

}  // namespace tessera::session
