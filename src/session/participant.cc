#include "session/participant.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "session/drops_json.h"

namespace tessera::session {
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
  const nlohmann::ordered_json j = {{"participant", name},
                                    {"rtp_received", rtp_received},
                                    {"rtcp_received", rtcp_received},
                                    {"srtcp_received", srtcp_received},
                                    {"frames_assembled", frames_assembled},
                                    {"frames_recorded", frames_recorded},
                                    {"nacks_sent", nacks_sent},
                                    {"keyframe_requests", keyframe_requests},
                                    {"rtcp_sent", rtcp_sent},
                                    {"dropped", dropped},
                                    {"ingress", ingress}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Participant::Participant(const ParticipantConfig& config, boost::asio::io_context& shard,
                         Clock& clock, const rtp::VideoReceiveStreamConfig& stream_config)
    : config_(config),
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

  auto transport = MediaTransport::Open(shard, config.name, server.bind_address, local_port,
                                        config.rtcp_mux, config.srtp, p->drops_, clock);
  if (!transport.ok()) return transport.status();
  p->transport_ = std::move(*transport);

  if (!config.remote_address.empty()) {
    auto remote = ParseRemoteAddress(config.name, config.remote_address);
    if (!remote.ok()) return remote.status();
    const boost::asio::ip::address addr = *remote;
    // The address only: where it sends from is learnt from its first packets.
    p->transport_->SetSignalledPeer(addr, 0);
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
  transport_->Start(
      [this](std::span<const uint8_t> d, const net::Endpoint& from) { return OnRtp(d, from); },
      [this](std::span<const uint8_t> d, const net::Endpoint& from) { return OnRtcp(d, from); });
  ArmTimer();
  spdlog::info("participant {} listening on port {} ({}/pt {}, {}{})", config_.name, local_port_,
               rtp::CodecName(config_.video->codec), config_.video->payload_type,
               config_.rtcp_mux ? "rtcp-mux" : "RTCP on port " + std::to_string(local_port_ + 1),
               transport_->encrypted() ? ", SRTP" : "");
}

void Participant::ArmTimer() {
  timer_.expires_after(kTimerPeriod);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    Deliver(stream_.OnTimer(clock_.NowUs()));
    ArmTimer();
  });
}

PacketVerdict Participant::OnRtp(std::span<const uint8_t> clear, const net::Endpoint& from) {
  const int64_t now = clock_.NowUs();
  auto packet = rtp::RtpPacket::Parse(clear);
  if (!packet) return transport_->Reject(DropReason::kMalformed, "malformed RTP packet");
  ++counts_.rtp_received;
  if (!rtcp_destination_fixed_ && !rtcp_destination_) {
    // Symmetric RTP: feedback goes where the media comes from (port + 1 without rtcp-mux) until an
    // RTCP packet tells us the real RTCP source.
    rtcp_destination_ = net::Endpoint(
        from.address(), config_.rtcp_mux ? from.port() : static_cast<uint16_t>(from.port() + 1));
  }
  rtp::VideoReceiveStream::Output out = stream_.OnRtp(*packet, now);
  const PacketVerdict verdict = out.dropped;  // counted by the stream
  Deliver(std::move(out));
  return verdict;
}

PacketVerdict Participant::OnRtcp(std::span<const uint8_t> clear, const net::Endpoint& from) {
  if (!stream_.OnRtcp(clear, clock_.NowUs())) {
    return transport_->Reject(DropReason::kMalformed, "malformed RTCP compound");
  }
  ++counts_.rtcp_received;
  if (!rtcp_destination_fixed_) rtcp_destination_ = from;
  return kAccepted;
}

void Participant::Deliver(rtp::VideoReceiveStream::Output out) {
  for (auto& frame : out.frames) {
    ++counts_.frames_assembled;
    if (!recorder_) continue;
    Status s = recorder_->Write(frame);
    if (!s.ok() && error_log_.Allow(clock_.NowUs())) {
      spdlog::error("participant {}: {}", config_.name, s.ToString());
    }
  }
  if (!out.rtcp.empty()) SendRtcp(std::move(out.rtcp));
}

void Participant::SendRtcp(std::vector<uint8_t> compound) {
  TESSERA_DCHECK_RUN_ON(shard_checker_);
  if (!rtcp_destination_) return;  // nobody to tell yet
  if (transport_->SendRtcp(std::move(compound), *rtcp_destination_)) ++counts_.rtcp_sent;
}

void Participant::Stop() {
  TESSERA_DCHECK_RUN_ON(shard_checker_);
  if (stopped_) return;
  // Take in whatever the peer already sent before closing: a stop loses no received data.
  transport_->DrainAndClose();
  stopped_ = true;
  timer_.cancel();
  Deliver(stream_.Flush(clock_.NowUs()));
  if (recorder_) {
    Status s = recorder_->Close();
    if (!s.ok()) spdlog::error("participant {}: {}", config_.name, s.ToString());
    counts_.frames_recorded = recorder_->frames_written();
  }
}

ParticipantSummary Participant::Summary() const {
  ParticipantSummary s = counts_;
  s.srtcp_received = transport_->srtcp_received();
  if (recorder_) s.frames_recorded = recorder_->frames_written();
  const auto st = stream_.stats();
  s.nacks_sent = st.nacks_sent;
  s.keyframe_requests = st.keyframe_requests;
  s.dropped = DropsJson(drops_);
  s.ingress = IngressJson(transport_->receive_counts());
  return s;
}

}  // namespace tessera::session
