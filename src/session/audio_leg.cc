#include "session/audio_leg.h"

#include <spdlog/spdlog.h>
#include <tessera/rtp/rtcp/rtcp_compound.h>

#include <nlohmann/json.hpp>
#include <utility>
#include <variant>
#include <vector>

#include "session/drops_json.h"

namespace tessera::session {
namespace {

constexpr auto kReportInterval = std::chrono::seconds(1);

}  // namespace

AudioLeg::AudioLeg(const RoomParticipantConfig& config, const JoinOptions& options, uint32_t id,
                   boost::asio::io_context& shard, Clock& clock, RoomSink sink)
    : config_(config),
      telephone_event_pt_(options.telephone_event_pt),
      listener_(options.listener),
      id_(id),
      shard_(shard),
      clock_(clock),
      sink_(std::move(sink)),
      drops_(GlobalMetrics(), config.name),
      report_timer_(shard) {}

AudioLeg::~AudioLeg() = default;

StatusOr<std::unique_ptr<AudioLeg>> AudioLeg::Create(const RoomParticipantConfig& config,
                                                     const JoinOptions& options, uint32_t id,
                                                     const ServerConfig& server,
                                                     boost::asio::io_context& shard,
                                                     uint16_t local_port, Clock& clock,
                                                     RoomSink sink) {
  std::unique_ptr<AudioLeg> leg(new AudioLeg(config, options, id, shard, clock, std::move(sink)));
  if (options.external_link) {
    leg->transport_ = MediaTransport::OpenExternal(options.external_link, MediaKind::kAudio,
                                                   config.name, leg->drops_, clock);
  } else {
    auto transport = MediaTransport::Open(shard, config.name, server.bind_address, local_port,
                                          config.rtcp_mux, config.srtp, leg->drops_, clock);
    if (!transport.ok()) return transport.status();
    leg->transport_ = std::move(*transport);
  }

  auto remote = ParseRemoteAddress(config.name, config.remote_address);
  if (!remote.ok()) return remote.status();
  const boost::asio::ip::address addr = *remote;
  leg->rtp_destination_ = net::Endpoint(addr, config.remote_rtp_port);
  const uint16_t rtcp_port =
      RtcpPortFor(config.remote_rtp_port, config.remote_rtcp_port, config.rtcp_mux);
  leg->rtcp_destination_ = net::Endpoint(addr, rtcp_port);
  leg->transport_->SetSignalledPeer(addr, config.remote_rtp_port);

  rtp::RtpSender::Config sc;
  sc.ssrc = options.audio_ssrc ? options.audio_ssrc : RandomSsrc();
  sc.payload_type = config.audio_payload_type;
  sc.clock_rate = rtp::RtpClockRate(config.audio_codec);
  sc.cname = "tessera-" + config.name;
  leg->sender_ = std::make_unique<rtp::RtpSender>(sc, clock);
  return leg;
}

void AudioLeg::Start() {
  TESSERA_DCHECK_RUN_ON(checker_);
  transport_->Start([this](std::span<const uint8_t> d, const net::Endpoint&) { return OnRtp(d); },
                    [this](std::span<const uint8_t> d, const net::Endpoint&) { return OnRtcp(d); });
  ArmReportTimer();
  spdlog::info("participant {} (audio {}/pt {}) on port {}, mix to {}:{}", config_.name,
               rtp::CodecName(config_.audio_codec), config_.audio_payload_type, local_port(),
               rtp_destination_.address().to_string(), rtp_destination_.port());
}

PacketVerdict AudioLeg::OnRtp(std::span<const uint8_t> clear) {
  TESSERA_DCHECK_RUN_ON(checker_);
  auto packet = rtp::RtpPacket::Parse(clear);
  if (!packet) return transport_->Reject(DropReason::kMalformed, "malformed RTP packet");
  const bool event = telephone_event_pt_ && packet->payload_type() == telephone_event_pt_;
  if (event) {
    if (!rtp::ParseTelephoneEvent(packet->payload())) {
      return transport_->Reject(DropReason::kMalformed, "malformed telephone-event packet");
    }
  } else if (packet->payload_type() != config_.audio_payload_type) {
    return transport_->Reject(DropReason::kUnknownPayloadType,
                              "RTP packet of an unexpected payload type");
  } else if (packet->payload().empty()) {
    return transport_->Reject(DropReason::kMalformed, "audio RTP packet without payload");
  }
  rtp::SequenceProbation::Decision decision = probation_.OnPacket(*packet);
  switch (decision.kind) {
    case rtp::SequenceProbation::Kind::kProbation:
      return transport_->Reject(decision.reason,
                                decision.reason == DropReason::kUnknownSsrc
                                    ? "RTP packet of another SSRC (on probation)"
                                    : "RTP packet far off the stream's sequence (on probation)");
    case rtp::SequenceProbation::Kind::kConfirmed:
      // The sender restarted: the packet kept on probation comes first, and the room's jitter
      // buffer starts over with the new numbering.
      restart_pending_ = true;
      if (decision.held) Take(*decision.held);
      break;
    case rtp::SequenceProbation::Kind::kNewStream:
    case rtp::SequenceProbation::Kind::kAccept:
      break;
  }
  Take(*packet);
  return kAccepted;
}

void AudioLeg::Take(const rtp::RtpPacket& packet) {
  if (!statistics_ || statistics_->ssrc() != packet.ssrc()) {
    statistics_ = std::make_unique<rtp::ReceiveStatistics>(
        packet.ssrc(), rtp::RtpClockRate(config_.audio_codec), clock_);
  }
  statistics_->OnPacket(packet.sequence_number(), packet.timestamp(), clock_.NowUs());
  bytes_received_ += packet.size();
  if (telephone_event_pt_ && packet.payload_type() == telephone_event_pt_) {
    // RFC 4733 events (a PIN): reported once each, never mixed.
    if (auto digit = dtmf_.OnPacket(packet.timestamp(), packet.payload())) {
      ++dtmf_digits_;
      if (listener_) listener_->OnDtmf(*digit);
    }
    return;
  }
  ++rtp_received_;
  ReceivedAudio a;
  a.participant_id = id_;
  a.seq = packet.sequence_number();
  a.rtp_timestamp = packet.timestamp();
  a.payload.assign(packet.payload().begin(), packet.payload().end());
  a.arrival_us = clock_.NowUs();
  a.new_stream = std::exchange(restart_pending_, false);
  if (config_.audio_level_extension_id) {
    // RFC 6464: one byte, V flag in the top bit, the level (-dBov) in the low 7 bits.
    if (auto ext = packet.extension(config_.audio_level_extension_id); ext && !ext->empty()) {
      a.audio_level = (*ext)[0] & 0x7F;
    }
  }
  sink_(std::move(a));
}

PacketVerdict AudioLeg::OnRtcp(std::span<const uint8_t> clear) {
  TESSERA_DCHECK_RUN_ON(checker_);
  const auto messages = rtp::ParseRtcpCompound(clear);
  if (!messages) return transport_->Reject(DropReason::kMalformed, "malformed RTCP compound");
  ++rtcp_received_;
  // Report blocks about the mix we send: the round trip and the loss the participant sees.
  for (const auto& m : *messages) {
    const std::vector<rtp::ReportBlock>* blocks = nullptr;
    if (const auto* rr = std::get_if<rtp::ReceiverReport>(&m)) {
      blocks = &rr->report_blocks;
    } else if (const auto* sr = std::get_if<rtp::SenderReport>(&m)) {
      blocks = &sr->report_blocks;
    }
    if (!blocks) continue;
    for (const auto& b : *blocks) {
      if (b.ssrc != sender_->ssrc()) continue;
      remote_loss_ = b.fraction_lost / 256.0;
      const int64_t rtt = rtp::RttFromReportBlock(b, clock_.NowNtp());
      if (rtt > 0) rtt_us_ = rtt;
    }
  }
  return kAccepted;
}

void AudioLeg::SendAudio(const std::shared_ptr<const std::vector<uint8_t>>& payload,
                         uint32_t rtp_timestamp, int64_t input_time_us) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (stopped_ || on_hold_ || !payload || payload->empty()) return;
  // One source (the room's clock) for the whole call: timestamps stay continuous. The SRs map
  // each timestamp to when its audio reached the room, as the composite's do for its pictures,
  // not to this send: receivers then line the two streams up (lip sync).
  rtp::RtpPacket p = sender_->Send(*payload, rtp_timestamp, false, 0, {}, input_time_us);
  std::vector<uint8_t> bytes(p.data().begin(), p.data().end());
  const size_t size = bytes.size();
  if (transport_->SendRtp(std::move(bytes), rtp_destination_)) {
    ++rtp_sent_;
    bytes_sent_ += size;
  } else {
    ++send_failures_;
  }
}

void AudioLeg::ArmReportTimer() {
  report_timer_.expires_after(kReportInterval);
  report_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    if (sender_->packets_sent() > 0 && !on_hold_) {
      std::vector<rtp::RtcpMessage> m;
      m.emplace_back(sender_->BuildSenderReport(clock_.NowNtp(), clock_.NowUs()));
      m.emplace_back(sender_->BuildSdes());
      transport_->SendRtcp(rtp::SerializeRtcpCompound(m), rtcp_destination_);
    }
    ArmReportTimer();
  });
}

void AudioLeg::SetRemote(const std::optional<boost::asio::ip::address>& address, uint16_t rtp_port,
                         uint16_t rtcp_port) {
  TESSERA_DCHECK_RUN_ON(checker_);
  const boost::asio::ip::address addr = address.value_or(rtp_destination_.address());
  const uint16_t rtp = rtp_port ? rtp_port : rtp_destination_.port();
  const uint16_t rtcp = rtp_port || rtcp_port ? RtcpPortFor(rtp, rtcp_port, config_.rtcp_mux)
                                              : rtcp_destination_.port();
  rtp_destination_ = net::Endpoint(addr, rtp);
  rtcp_destination_ = net::Endpoint(addr, rtcp);
  on_hold_ = addr.is_unspecified();
  // Its media may come from the new place: the latch starts over when signalling moved it.
  transport_->SetSignalledPeer(addr, rtp);
  spdlog::info("participant {}: mix to {}:{}{}", config_.name, addr.to_string(), rtp,
               on_hold_ ? " (on hold: nothing is sent)" : "");
}

void AudioLeg::Stop() {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (stopped_) return;
  transport_->DrainAndClose();
  stopped_ = true;
  report_timer_.cancel();
}

std::string AudioLeg::SummaryJson(const std::string& room) const {
  nlohmann::ordered_json j = {{"participant", config_.name},
                              {"room", room},
                              {"rtp_received", rtp_received_},
                              {"rtcp_received", rtcp_received_},
                              {"rtp_sent", rtp_sent_},
                              {"send_failures", send_failures_},
                              {"bytes_received", bytes_received_},
                              {"bytes_sent", bytes_sent_}};
  if (statistics_) {
    j["packets_lost"] = statistics_->packets_lost();
    j["jitter_ms"] = statistics_->jitter_ms();
  }
  // Absent while unknown.
  if (rtt_us_ >= 0) j["rtt_ms"] = static_cast<double>(rtt_us_) / 1000.0;
  if (remote_loss_) j["remote_loss"] = *remote_loss_;
  j["dropped"] = DropsJson(drops_);
  j["ingress"] = IngressJson(transport_->receive_counts());
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tessera::session
