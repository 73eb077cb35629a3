// One configured participant: its sockets, SRTP sessions, video receive stream and recorder.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/logging.h>
#include <tessera/base/metrics.h>
#include <tessera/base/thread_checker.h>
#include <tessera/codec/frame_recorder.h>
#include <tessera/net/udp_socket.h>
#include <tessera/rtp/video_receive_stream.h>
#include <tessera/session/config.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "session/media_transport.h"

namespace tessera::session {

struct ParticipantSummary {
  std::string name;
  uint64_t rtp_received = 0;
  uint64_t rtcp_received = 0;
  uint64_t srtcp_received = 0;
  uint64_t frames_assembled = 0;
  uint64_t frames_recorded = 0;
  uint64_t nacks_sent = 0;
  uint64_t keyframe_requests = 0;
  uint64_t rtcp_sent = 0;
  nlohmann::ordered_json dropped;  // {"reason": count, ...}
  nlohmann::ordered_json ingress;  // {"received", "accepted", "dropped": {...}} (IngressJson)
  std::string ToJson() const;
};

// Runs on: its network shard. Create on any thread before the shard runs it; every other method
// runs on the shard (Start, Stop and Summary are posted there by the Server).
class Participant {
 public:
  static StatusOr<std::unique_ptr<Participant>> Create(const ParticipantConfig& config,
                                                       const ServerConfig& server,
                                                       boost::asio::io_context& shard,
                                                       uint16_t local_port, Clock& clock);
  ~Participant();

  void Start();
  // Handles every datagram already queued, flushes the recording and closes the sockets.
  void Stop();
  ParticipantSummary Summary() const;
  const std::string& name() const { return config_.name; }
  uint16_t local_port() const { return local_port_; }

 private:
  Participant(const ParticipantConfig& config, boost::asio::io_context& shard, Clock& clock,
              const rtp::VideoReceiveStreamConfig& stream_config);

  PacketVerdict OnRtp(std::span<const uint8_t> data, const net::Endpoint& from);
  PacketVerdict OnRtcp(std::span<const uint8_t> data, const net::Endpoint& from);
  void Deliver(rtp::VideoReceiveStream::Output out);
  void SendRtcp(std::vector<uint8_t> compound);
  void ArmTimer();

  ParticipantConfig config_;
  Clock& clock_;
  uint16_t local_port_ = 0;
  DropCounters drops_;
  std::unique_ptr<MediaTransport> transport_;
  rtp::VideoReceiveStream stream_;
  std::unique_ptr<codec::FrameRecorder> recorder_;
  boost::asio::steady_timer timer_;
  std::optional<net::Endpoint> rtcp_destination_;
  bool rtcp_destination_fixed_ = false;
  bool stopped_ = false;
  LogRateLimiter error_log_;
  ParticipantSummary counts_;
  ThreadChecker shard_checker_;  // binds on Start, on the shard
};

}  // namespace tessera::session
