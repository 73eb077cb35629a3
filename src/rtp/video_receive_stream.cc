#include <tessera/rtp/video_receive_stream.h>

namespace tessera::rtp {

VideoReceiveStream::VideoReceiveStream(const VideoReceiveStreamConfig& config, Clock& clock,
                                       DropCounters* drops)
    : config_(config),
      clock_(clock),
      drops_(drops),
      depacketizer_(CreateDepacketizer(config.codec)),
      keyframes_(config.keyframe) {
  if (config.remb_max_bps > 0) {
    remb_ = std::make_unique<RembEstimator>(RembEstimator::Config{.max_bps = config.remb_max_bps});
  }
}

VideoReceiveStream::~VideoReceiveStream() = default;

void VideoReceiveStream::StartStream(uint32_t ssrc) {
  bytes_received_ = 0;  // the REMB estimate's counters start over with the stream
  if (remote_ssrc_) {
    if (*remote_ssrc_ != ssrc) {
      ++stats_.ssrc_changes;
    } else {
      ++stats_.sequence_restarts;
    }
  }
  // What the old stream left in the jitter buffer can no longer complete: given up.
  if (jitter_ && drops_ && jitter_->size() > 0) {
    drops_->Add(DropReason::kUndecodable, jitter_->size());
  }
  remote_ssrc_ = ssrc;
  statistics_ = std::make_unique<ReceiveStatistics>(ssrc, RtpClockRate(config_.codec), clock_);
  jitter_ = std::make_unique<VideoJitterBuffer>(config_.jitter, config_.codec, clock_);
  jitter_->SetDropCounters(drops_);
  nack_ = std::make_unique<NackTracker>(config_.nack);
}

void VideoReceiveStream::CountDrop(DropReason reason, Output& out) {
  if (drops_) drops_->Add(reason);
  out.dropped = reason;
}

VideoReceiveStream::Output VideoReceiveStream::OnRtp(const RtpPacket& packet, int64_t arrival_us) {
  Output out;
  if (packet.payload_type() != config_.payload_type) {
    CountDrop(DropReason::kUnknownPayloadType, out);
    return out;
  }
  auto payload = depacketizer_->Parse(packet.payload());
  if (!payload) {
    CountDrop(DropReason::kMalformed, out);
    return out;
  }
  std::vector<RtcpMessage> feedback;
  SequenceProbation::Decision decision = probation_.OnPacket(packet);
  switch (decision.kind) {
    case SequenceProbation::Kind::kProbation:
      CountDrop(decision.reason, out);
      return out;
    case SequenceProbation::Kind::kNewStream:
      StartStream(packet.ssrc());
      break;
    case SequenceProbation::Kind::kConfirmed:
      // A new stream (the sender restarted or switched cameras): start afresh, with the packet
      // kept on probation first. It parsed when it arrived; the depacketizer keeps no state.
      StartStream(packet.ssrc());
      if (decision.held) {
        if (auto held_payload = depacketizer_->Parse(decision.held->payload())) {
          (void)Take(*decision.held, std::move(*held_payload), arrival_us, out, feedback);
        }
      }
      break;
    case SequenceProbation::Kind::kAccept:
      break;
  }
  out.dropped = Take(packet, std::move(*payload), arrival_us, out, feedback);
  if (!feedback.empty()) out.rtcp = BuildCompound(std::move(feedback), arrival_us);
  return out;
}

std::optional<DropReason> VideoReceiveStream::Take(const RtpPacket& packet,
                                                   DepacketizedPayload payload, int64_t arrival_us,
                                                   Output& out,
                                                   std::vector<RtcpMessage>& feedback) {
  ++stats_.packets;
  bytes_received_ += packet.size();
  statistics_->OnPacket(packet.sequence_number(), packet.timestamp(), arrival_us);
  if (config_.nack_enabled) {
    if (nack_->OnPacket(packet.sequence_number(), arrival_us).keyframe_needed) {
      AddKeyframeRequest(arrival_us, feedback);
    }
    AddNacks(arrival_us, feedback);
  }
  JitterPacket jp;
  jp.seq = packet.sequence_number();
  jp.timestamp = packet.timestamp();
  jp.marker = packet.marker();
  jp.payload = std::move(payload);
  jp.arrival_us = arrival_us;
  VideoJitterBuffer::InsertResult r = jitter_->Insert(std::move(jp));
  const std::optional<DropReason> dropped = r.dropped;
  Absorb(std::move(r), out, arrival_us, feedback);
  return dropped;
}

void VideoReceiveStream::Absorb(VideoJitterBuffer::InsertResult r, Output& out, int64_t now_us,
                                std::vector<RtcpMessage>& feedback) {
  for (auto& f : r.frames) {
    if (f.keyframe) keyframes_.OnKeyframeReceived();
    ++stats_.frames;
    out.frames.push_back(std::move(f));
  }
  if (r.keyframe_needed) AddKeyframeRequest(now_us, feedback);
}

void VideoReceiveStream::AddNacks(int64_t now_us, std::vector<RtcpMessage>& feedback) {
  if (!nack_ || !remote_ssrc_) return;
  auto seqs = nack_->GetNacksToSend(now_us);
  if (seqs.empty()) return;
  stats_.nacks_sent += seqs.size();
  Nack nack;
  nack.sender_ssrc = config_.local_ssrc;
  nack.media_ssrc = *remote_ssrc_;
  nack.seqs = std::move(seqs);
  feedback.emplace_back(std::move(nack));
}

void VideoReceiveStream::AddKeyframeRequest(int64_t now_us, std::vector<RtcpMessage>& feedback) {
  if (!remote_ssrc_) return;
  auto req = keyframes_.Request(now_us);
  if (!req) return;  // throttled: one is already on its way
  ++stats_.keyframe_requests;
  if (req->kind == KeyframeRequest::Kind::kPli) {
    feedback.emplace_back(Pli{config_.local_ssrc, *remote_ssrc_});
  } else {
    Fir fir;
    fir.sender_ssrc = config_.local_ssrc;
    fir.entries.push_back({*remote_ssrc_, req->fir_seq});
    feedback.emplace_back(std::move(fir));
  }
}

bool VideoReceiveStream::OnRtcp(std::span<const uint8_t> compound, int64_t now_us) {
  auto messages = ParseRtcpCompound(compound);
  if (!messages) return false;
  for (const auto& m : *messages) {
    const std::vector<ReportBlock>* blocks = nullptr;
    if (const auto* sr = std::get_if<SenderReport>(&m)) {
      if (statistics_ && remote_ssrc_ && sr->sender_ssrc == *remote_ssrc_) {
        statistics_->OnSenderReport(sr->ntp.Compact(), now_us);
      }
      blocks = &sr->report_blocks;
    } else if (const auto* rr = std::get_if<ReceiverReport>(&m)) {
      blocks = &rr->report_blocks;
    }
    if (!blocks) continue;
    for (const auto& b : *blocks) {
      if (b.ssrc != config_.local_ssrc) continue;
      const int64_t rtt = RttFromReportBlock(b, clock_.NowNtp());
      if (rtt >= 0) {
        stats_.rtt_us = rtt;
        if (nack_) nack_->UpdateRtt(rtt);
      }
    }
  }
  return true;
}

VideoReceiveStream::Output VideoReceiveStream::OnTimer(int64_t now_us) {
  Output out;
  std::vector<RtcpMessage> feedback;
  if (jitter_) {
    Absorb(jitter_->OnTimer(), out, now_us, feedback);
    if (config_.nack_enabled) AddNacks(now_us, feedback);
  }
  if (!feedback.empty() || now_us - last_rtcp_us_ >= config_.rtcp_interval_us) {
    out.rtcp = BuildCompound(std::move(feedback), now_us);
  }
  return out;
}

VideoReceiveStream::Output VideoReceiveStream::RequestKeyframe(int64_t now_us) {
  Output out;
  std::vector<RtcpMessage> feedback;
  AddKeyframeRequest(now_us, feedback);
  if (!feedback.empty()) out.rtcp = BuildCompound(std::move(feedback), now_us);
  return out;
}

VideoReceiveStream::Output VideoReceiveStream::Flush(int64_t now_us) {
  Output out;
  std::vector<RtcpMessage> ignored;
  if (jitter_) Absorb(jitter_->OnTimer(), out, now_us, ignored);
  return out;
}

std::vector<uint8_t> VideoReceiveStream::BuildCompound(std::vector<RtcpMessage> feedback,
                                                       int64_t now_us) {
  // RFC 3550 6.1: a compound starts with a report and carries an SDES CNAME.
  std::vector<RtcpMessage> messages;
  ReceiverReport rr;
  rr.sender_ssrc = config_.local_ssrc;
  if (statistics_) rr.report_blocks.push_back(statistics_->BuildReportBlock(now_us));
  messages.emplace_back(std::move(rr));
  messages.emplace_back(Sdes::WithCname(config_.local_ssrc, config_.cname));
  for (auto& f : feedback) messages.push_back(std::move(f));
  if (remb_ && statistics_ && remote_ssrc_) {
    if (auto bps = remb_->Update(now_us, statistics_->extended_highest_seq(),
                                 statistics_->packets_lost(), bytes_received_)) {
      Remb remb;
      remb.sender_ssrc = config_.local_ssrc;
      remb.bitrate_bps = static_cast<uint64_t>(*bps);
      remb.ssrcs = {*remote_ssrc_};
      messages.emplace_back(std::move(remb));
      ++stats_.rembs_sent;
    }
  }
  last_rtcp_us_ = now_us;
  return SerializeRtcpCompound(messages);
}

VideoReceiveStats VideoReceiveStream::stats() const {
  VideoReceiveStats s = stats_;
  if (statistics_) {
    s.packets_lost = statistics_->packets_lost();
    s.jitter_ms = statistics_->jitter_ms();
  }
  return s;
}

}  // namespace tessera::rtp
