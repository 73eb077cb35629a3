#include "app/participant.h"

#include <spdlog/spdlog.h>
#include <tessera/net/demux.h>
#include <tessera/srtp/sdes.h>

#include <filesystem>
#include <sstream>

namespace tessera::app {
namespace {

constexpr auto kTimerPeriod = std::chrono::milliseconds(10);

rtp::VideoReceiveStreamConfig StreamConfigFor(const ParticipantConfig& pc,
                                              const ServerConfig& server) {
  rtp::VideoReceiveStreamConfig c;
  c.codec = pc.video->codec;
  c.payload_type = pc.video->payload_type;
  c.cname = "tessera-" + pc.name;
  c.local_ssrc = static_cast<uint32_t>(std::hash<std::string>()(pc.name)) | 1u;
  c.nack_enabled = pc.nack;
  c.keyframe.pli_supported = pc.keyframe_request != KeyframeRequestMode::kNone &&
                             pc.keyframe_request != KeyframeRequestMode::kFir;
  c.keyframe.fir_supported = pc.keyframe_request != KeyframeRequestMode::kNone;
  c.keyframe.min_interval_us = int64_t{server.keyframe_min_interval_ms} * 1000;
  c.jitter.max_wait_us = int64_t{server.jitter_max_wait_ms} * 1000;
  return c;
}

}  // namespace

std::string ParticipantSummary::ToJson() const {
  std::ostringstream os;
  os << "{\"participant\":\"" << name << "\",\"rtp_received\":" << rtp_received
     << ",\"rtcp_received\":" << rtcp_received << ",\"srtcp_received\":" << srtcp_received
     << ",\"frames_assembled\":" << frames_assembled << ",\"frames_recorded\":" << frames_recorded
     << ",\"nacks_sent\":" << nacks_sent << ",\"keyframe_requests\":" << keyframe_requests
     << ",\"rtcp_sent\":" << rtcp_sent << ",\"dropped\":" << drops_json << "}";
  return os.str();
}

Participant::Participant(const ParticipantConfig& config, boost::asio::io_context& shard,
                         Clock& clock, const rtp::VideoReceiveStreamConfig& stream_config)
    : config_(config),
      shard_(shard),
      clock_(clock),
      drops_(GlobalMetrics(), config.name),
      stream_(stream_config, clock, &drops_),
      timer_(shard) {
  counts_.name = config.name;
}

Participant::~Participant() = default;

StatusOr<std::unique_ptr<Participant>> Participant::Create(const ParticipantConfig& config,
                                                           const ServerConfig& server,
                                                           boost::asio::io_context& shard,
                                                           uint16_t local_port, Clock& clock) {
  std::unique_ptr<Participant> p(
      new Participant(config, shard, clock, StreamConfigFor(config, server)));
  p->local_port_ = local_port;
  const std::string who = "participant " + config.name + ": ";

  auto rtp_socket = net::UdpSocket::Open(shard, server.bind_address, local_port);
  if (!rtp_socket.ok())
    return Status(rtp_socket.status().code(), who + rtp_socket.status().message());
  p->rtp_socket_ = std::move(*rtp_socket);
  if (!config.rtcp_mux) {
    auto rtcp_socket =
        net::UdpSocket::Open(shard, server.bind_address, static_cast<uint16_t>(local_port + 1));
    if (!rtcp_socket.ok()) {
      return Status(rtcp_socket.status().code(), who + rtcp_socket.status().message());
    }
    p->rtcp_socket_ = std::move(*rtcp_socket);
  }

  if (config.srtp) {
    auto suite = srtp::SrtpSuiteFromName(config.srtp->suite);
    if (!suite) {
      return InvalidArgumentError(who + "unknown SRTP suite '" + config.srtp->suite + "'");
    }
    auto key = srtp::ParseInlineKey(*suite, config.srtp->key);
    if (!key.ok()) return InvalidArgumentError(who + "srtp.key: " + key.status().message());
    auto in = srtp::SrtpSession::Create(*suite, key->key, srtp::SrtpSession::Direction::kInbound);
    if (!in.ok()) return Status(in.status().code(), who + in.status().message());
    // SDES gives one key per direction; a config holds the participant's, which also keys our
    // feedback (our SSRC differs, so the keystreams do not collide).
    auto out = srtp::SrtpSession::Create(*suite, key->key, srtp::SrtpSession::Direction::kOutbound);
    if (!out.ok()) return Status(out.status().code(), who + out.status().message());
    p->srtp_in_ = std::move(*in);
    p->srtp_out_ = std::move(*out);
  }

  if (!config.remote_address.empty()) {
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(config.remote_address, ec);
    if (ec) return InvalidArgumentError(who + "bad remote_address '" + config.remote_address + "'");
    if (config.remote_rtcp_port) {
      p->rtcp_destination_ = net::Endpoint(addr, config.remote_rtcp_port);
      p->rtcp_destination_fixed_ = true;
    }
  }

  if (!config.record.empty()) {
    std::filesystem::path path(config.record);
    if (path.is_relative()) path = std::filesystem::path(server.recording_dir) / path;
    auto recorder = codec::FrameRecorder::Create(path.string(), config.video->codec);
    if (!recorder.ok()) return Status(recorder.status().code(), who + recorder.status().message());
    p->recorder_ = std::move(*recorder);
  }
  return p;
}

void Participant::Start() {
  TESSERA_DCHECK_RUN_ON(shard_checker_);
  rtp_socket_->Start([this](std::span<const uint8_t> d, const net::Endpoint& from) {
    OnDatagram(d, from, false);
  });
  if (rtcp_socket_) {
    rtcp_socket_->Start([this](std::span<const uint8_t> d, const net::Endpoint& from) {
      OnDatagram(d, from, true);
    });
  }
  ArmTimer();
  spdlog::info("participant {} listening on port {} ({}{}, {}{})", config_.name, local_port_,
               rtp::CodecName(config_.video->codec),
               "/pt " + std::to_string(config_.video->payload_type),
               config_.rtcp_mux ? "rtcp-mux" : "RTCP on port " + std::to_string(local_port_ + 1),
               srtp_in_ ? ", SRTP" : "");
}

void Participant::ArmTimer() {
  timer_.expires_after(kTimerPeriod);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    Deliver(stream_.OnTimer(clock_.NowUs()));
    ArmTimer();
  });
}

void Participant::OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from,
                             bool rtcp_port) {
  TESSERA_DCHECK_RUN_ON(shard_checker_);
  switch (net::ClassifyPacket(data)) {
    case net::PacketClass::kRtp:
      if (rtcp_port) {
        LogDrop(DropReason::kMalformed, "RTP on the RTCP port");
        return;
      }
      OnRtp(data, from);
      return;
    case net::PacketClass::kRtcp:
      OnRtcp(data, from);
      return;
    default:
      // STUN and DTLS belong to WebRTC legs, which this participant is not.
      LogDrop(DropReason::kUnknownProtocol, "datagram that is neither RTP nor RTCP");
      return;
  }
}

void Participant::OnRtp(std::span<const uint8_t> data, const net::Endpoint& from) {
  const int64_t now = clock_.NowUs();
  std::span<const uint8_t> clear = data;
  if (srtp_in_) {
    scratch_.assign(data.begin(), data.end());
    switch (srtp_in_->UnprotectRtp(scratch_)) {
      case srtp::SrtpResult::kOk:
        break;
      case srtp::SrtpResult::kReplay:
        LogDrop(DropReason::kSrtpReplay, "replayed SRTP packet");
        return;
      case srtp::SrtpResult::kAuthFailed:
        LogDrop(DropReason::kSrtpAuth, "SRTP packet failing authentication");
        return;
      default:
        LogDrop(DropReason::kMalformed, "SRTP packet that cannot be unprotected");
        return;
    }
    clear = scratch_;
  }
  auto packet = rtp::RtpPacket::Parse(clear);
  if (!packet) {
    LogDrop(DropReason::kMalformed, "malformed RTP packet");
    return;
  }
  ++counts_.rtp_received;
  if (!rtcp_destination_fixed_ && !rtcp_destination_) {
    // Symmetric RTP: feedback goes where the media comes from (port + 1 without rtcp-mux) until an
    // RTCP packet tells us the real RTCP source.
    rtcp_destination_ = net::Endpoint(
        from.address(), config_.rtcp_mux ? from.port() : static_cast<uint16_t>(from.port() + 1));
  }
  Deliver(stream_.OnRtp(*packet, now));
}

void Participant::OnRtcp(std::span<const uint8_t> data, const net::Endpoint& from) {
  std::span<const uint8_t> clear = data;
  if (srtp_in_) {
    scratch_.assign(data.begin(), data.end());
    switch (srtp_in_->UnprotectRtcp(scratch_)) {
      case srtp::SrtpResult::kOk:
        break;
      case srtp::SrtpResult::kReplay:
        LogDrop(DropReason::kSrtpReplay, "replayed SRTCP packet");
        return;
      case srtp::SrtpResult::kAuthFailed:
        LogDrop(DropReason::kSrtpAuth, "SRTCP packet failing authentication");
        return;
      default:
        LogDrop(DropReason::kMalformed, "SRTCP packet that cannot be unprotected");
        return;
    }
    clear = scratch_;
  }
  if (!stream_.OnRtcp(clear, clock_.NowUs())) {
    LogDrop(DropReason::kMalformed, "malformed RTCP compound");
    return;
  }
  ++counts_.rtcp_received;
  if (srtp_in_) ++counts_.srtcp_received;
  if (!rtcp_destination_fixed_) rtcp_destination_ = from;
}

void Participant::Deliver(rtp::VideoReceiveStream::Output out) {
  for (auto& frame : out.frames) {
    ++counts_.frames_assembled;
    if (!recorder_) continue;
    Status s = recorder_->Write(frame);
    if (!s.ok() && drop_log_.Allow(clock_.NowUs())) {
      spdlog::error("participant {}: {}", config_.name, s.ToString());
    }
  }
  if (!out.rtcp.empty()) SendRtcp(std::move(out.rtcp));
}

void Participant::SendRtcp(std::vector<uint8_t> compound) {
  TESSERA_DCHECK_RUN_ON(shard_checker_);
  if (!rtcp_destination_) return;  // nobody to tell yet
  if (srtp_out_ && srtp_out_->ProtectRtcp(compound) != srtp::SrtpResult::kOk) {
    LogDrop(DropReason::kMalformed, "outgoing RTCP that SRTP could not protect");
    return;
  }
  net::UdpSocket& socket = rtcp_socket_ ? *rtcp_socket_ : *rtp_socket_;
  if (socket.SendTo(compound, *rtcp_destination_)) ++counts_.rtcp_sent;
}

void Participant::LogDrop(DropReason reason, const char* what) {
  drops_.Add(reason);
  if (drop_log_.Allow(clock_.NowUs())) {
    spdlog::warn("participant {}: dropped {} ({} similar suppressed)", config_.name, what,
                 drop_log_.suppressed());
  }
}

void Participant::Stop() {
  TESSERA_DCHECK_RUN_ON(shard_checker_);
  if (stopped_) return;
  // Take in whatever the peer already sent before closing: a stop loses no received data.
  if (rtcp_socket_) rtcp_socket_->Drain();
  rtp_socket_->Drain();
  stopped_ = true;
  timer_.cancel();
  Deliver(stream_.Flush(clock_.NowUs()));
  rtp_socket_->Close();
  if (rtcp_socket_) rtcp_socket_->Close();
  if (recorder_) {
    Status s = recorder_->Close();
    if (!s.ok()) spdlog::error("participant {}: {}", config_.name, s.ToString());
    counts_.frames_recorded = recorder_->frames_written();
  }
}

ParticipantSummary Participant::Summary() const {
  ParticipantSummary s = counts_;
  if (recorder_) s.frames_recorded = recorder_->frames_written();
  const auto st = stream_.stats();
  s.nacks_sent = st.nacks_sent;
  s.keyframe_requests = st.keyframe_requests;
  std::ostringstream os;
  os << '{';
  for (size_t i = 0; i < static_cast<size_t>(DropReason::kCount); ++i) {
    auto r = static_cast<DropReason>(i);
    os << (i ? "," : "") << '"' << DropReasonName(r) << "\":" << drops_.Get(r);
  }
  os << '}';
  s.drops_json = os.str();
  return s;
}

}  // namespace tessera::app
