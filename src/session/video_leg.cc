#include "session/video_leg.h"

#include <spdlog/spdlog.h>
#include <tessera/rtp/h264_sprop.h>
#include <tessera/rtp/rtcp/rtcp_compound.h>
#include <tessera/rtp/rtx.h>

#include <boost/asio/post.hpp>
#include <future>

namespace tessera::session {
namespace {

constexpr auto kTimerPeriod = std::chrono::milliseconds(20);
constexpr int64_t kReportIntervalUs = 1'000'000;
// Frames waiting for the decoder, per input: a decoder that cannot keep up loses frames (and
// waits for a keyframe) instead of building a queue.
constexpr int kMaxDecodeQueue = 8;

}  // namespace

VideoLeg::VideoLeg(const RoomParticipantConfig& config, const JoinOptions& options, uint32_t id,
                   boost::asio::io_context& shard, Clock& clock, DecodeStrand decode,
                   std::shared_ptr<VideoInput> input, RoomHooks hooks)
    : config_(config),
      keyframes_by_listener_(!options.video_pli && !options.video_fir),
      listener_(options.listener),
      id_(id),
      shard_(shard),
      clock_(clock),
      decode_(std::move(decode)),
      input_(std::move(input)),
      hooks_(std::move(hooks)),
      drops_(GlobalMetrics(), config.name + "/video"),
      timer_(shard),
      decode_in_flight_(std::make_shared<std::atomic<int>>(0)) {}

VideoLeg::~VideoLeg() = default;

StatusOr<std::unique_ptr<VideoLeg>> VideoLeg::Create(
    const RoomParticipantConfig& config, const JoinOptions& options, uint32_t id,
    const ServerConfig& server, boost::asio::io_context& shard, uint16_t local_port, Clock& clock,
    DecodeStrand decode, std::shared_ptr<VideoInput> input, rtp::Codec receive_codec,
    RoomHooks hooks) {
  const RoomParticipantVideoConfig& v = *config.video;
  std::unique_ptr<VideoLeg> leg(new VideoLeg(config, options, id, shard, clock, std::move(decode),
                                             std::move(input), std::move(hooks)));
  if (options.external_link) {
    leg->transport_ = MediaTransport::OpenExternal(options.external_link, MediaKind::kVideo,
                                                   config.name + "/video", leg->drops_, clock);
  } else {
    auto transport = MediaTransport::Open(
        shard, config.name + "/video", server.bind_address, local_port, v.rtcp_mux,
        options.video_srtp ? options.video_srtp : config.srtp, leg->drops_, clock);
    if (!transport.ok()) return transport.status();
    leg->transport_ = std::move(*transport);
  }

  auto remote = ParseRemoteAddress(config.name, config.remote_address);
  if (!remote.ok()) return remote.status();
  const boost::asio::ip::address addr = *remote;
  // A peer that receives the composite on remote_rtp_port is expected to send from it.
  leg->transport_->SetSignalledPeer(addr, v.remote_rtp_port);
  const uint32_t local_ssrc = options.video_ssrc ? options.video_ssrc : RandomSsrc();
  if (v.send) {
    rtp::VideoReceiveStreamConfig c;
    c.codec = v.codec;
    c.payload_type = v.payload_type;
    c.cname = "tessera-" + config.name;
    c.local_ssrc = local_ssrc;
    c.keyframe.min_interval_us = int64_t{server.keyframe_min_interval_ms} * 1000;
    c.keyframe.pli_supported = options.video_pli;
    c.keyframe.fir_supported = options.video_fir;
    c.remb_max_bps = int64_t{v.remb_max_kbps} * 1000;
    c.jitter.max_wait_us = int64_t{server.jitter_max_wait_ms} * 1000;
    if (v.codec == rtp::Codec::kH264 && !v.sprop_parameter_sets.empty()) {
      // Checked already where it came from a config; from a peer's SDP a bad value costs only
      // itself: the stream may still carry its parameter sets in band.
      auto sets = rtp::h264::ParseSpropParameterSets(v.sprop_parameter_sets);
      if (!sets.ok()) {
        spdlog::warn("participant {}: ignoring its sprop-parameter-sets (SDP or config): {}",
                     config.name, sets.status().message());
      } else {
        for (const std::string& why : sets->ignored) {
          spdlog::warn("participant {}: sprop-parameter-sets: {}: left out", config.name, why);
        }
        spdlog::info(
            "participant {}: H.264 parameter sets given out of band ({} bytes), put "
            "before keyframes that come without their own",
            config.name, sets->annex_b.size());
        c.jitter.h264_parameter_sets = std::move(sets->annex_b);
      }
    }
    leg->receive_ = std::make_unique<rtp::VideoReceiveStream>(c, clock, &leg->drops_);
  }
  if (v.remote_rtp_port) {
    leg->rtp_destination_ = net::Endpoint(addr, v.remote_rtp_port);
    const uint16_t rtcp_port = RtcpPortFor(v.remote_rtp_port, v.remote_rtcp_port, v.rtcp_mux);
    leg->rtcp_destination_ = net::Endpoint(addr, rtcp_port);
    leg->rtcp_destination_fixed_ = true;
    rtp::RtpSender::Config sc;
    sc.ssrc = local_ssrc;
    sc.payload_type = CompositePayloadType(v, receive_codec);
    sc.clock_rate = 90000;
    sc.cname = "tessera-" + config.name;
    sc.history_size = 1024;
    leg->sender_ = std::make_unique<rtp::RtpSender>(sc, clock);
    if (v.send_rtx_payload_type && options.video_rtx_ssrc) {
      leg->send_rtx_payload_type_ = v.send_rtx_payload_type;
      leg->rtx_ssrc_ = options.video_rtx_ssrc;
      leg->rtx_seq_ = static_cast<uint16_t>(RandomSsrc());
    }
  }
  if (v.send) {
    leg->rtx_payload_type_ = v.rtx_payload_type;
    leg->remote_rtx_ssrc_ = v.rtx_ssrc;
    leg->remote_rtx_media_ = v.rtx_media_ssrc;
    if (v.simulcast_rids.size() > 1 && v.rid_extension_id != 0) {
      leg->simulcast_.emplace(v.codec, v.simulcast_rids, v.rid_extension_id,
                              v.repaired_rid_extension_id);
    }
  }
  leg->local_ssrc_ = local_ssrc;
  return leg;
}

void VideoLeg::Start() {
  TESSERA_DCHECK_RUN_ON(checker_);
  // What the room sent before the keys was dropped, its joining keyframe with it.
  if (transport_->external() && sender_ && hooks_.ready_to_receive) {
    transport_->OnKeyed([this] { hooks_.ready_to_receive(id_); });
  }
  if (transport_->external() && sender_) {
    // The link's send-side estimate (transport-wide feedback) moves the recipient between
    // profiles like a REMB would, under any TMMBR limit.
    transport_->OnEstimate([this](int64_t bps, double loss) {
      ++counts_.link_estimates;
      link_estimate_bps_ = bps;
      link_loss_ = loss;
      const int64_t estimate =
          std::min({bps, tmmbr_limit_bps_.value_or(INT64_MAX), remb_bps_.value_or(INT64_MAX)});
      if (hooks_.feedback) hooks_.feedback(id_, estimate, std::nullopt);
    });
    transport_->OnPaddingWanted([this](size_t bytes) { return SendPadding(bytes); });
  }
  transport_->Start(
      [this](std::span<const uint8_t> d, const net::Endpoint& from) { return OnRtp(d, from); },
      [this](std::span<const uint8_t> d, const net::Endpoint& from) { return OnRtcp(d, from); });
  ArmTimer();
  const auto& v = *config_.video;
  spdlog::info("participant {} video on port {}: {}{}", config_.name, local_port(),
               v.send ? "sends " + std::string(rtp::CodecName(v.codec)) + "/pt " +
                            std::to_string(v.payload_type)
                      : std::string("sends no video"),
               sender_ ? ", composite to " + rtp_destination_.address().to_string() + ":" +
                             std::to_string(rtp_destination_.port())
                       : std::string(", receives no composite"));
}

bool VideoLeg::SendPadding(size_t bytes) {
  TESSERA_DCHECK_RUN_ON(checker_);
  // Padding-only packets on our RTX stream (RFC 4588): the receiver discards them, the path
  // carries them. Without an RTX stream nothing is sent (padding on the media stream would
  // disturb its sequence numbers).
  if (stopped_ || on_hold_ || !sender_ || !send_rtx_payload_type_ || sender_->packets_sent() == 0) {
    return false;
  }
  constexpr size_t kPadding = 255;
  constexpr size_t kMaxPackets = 64;  // per call: a burst the shard sends at once
  size_t packets = std::min(kMaxPackets, (bytes + kPadding - 1) / kPadding);
  for (size_t i = 0; i < packets; ++i) {
    rtp::RtpHeader h;
    h.payload_type = send_rtx_payload_type_;
    h.sequence_number = rtx_seq_++;
    h.timestamp = sender_->last_timestamp();
    h.ssrc = rtx_ssrc_;
    const rtp::RtpPacket p = rtp::RtpPacket::Build(h, {}, {}, static_cast<uint8_t>(kPadding));
    std::vector<uint8_t> out(p.data().begin(), p.data().end());
    if (!transport_->SendRtp(std::move(out), rtp_destination_, /*probe=*/true)) return false;
    ++counts_.padding_sent;
  }
  return true;
}

void VideoLeg::SetTileSize(int width, int height) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (simulcast_) simulcast_->SetTile(width, height);
}

std::optional<PacketVerdict> VideoLeg::SimulcastFilter(std::optional<rtp::RtpPacket>& packet,
                                                       bool rtx) {
  if (rtx && packet->payload().empty()) {
    ++counts_.rtx_padding;  // a bandwidth probe: nothing in it
    return kAccepted;
  }
  const std::optional<size_t> before = simulcast_->selected();
  const SimulcastSelector::Decision d = simulcast_->OnPacket(*packet, rtx, clock_.NowUs());
  if (d.keyframe_from) {
    std::vector<rtp::RtcpMessage> m;
    m.emplace_back(rtp::Pli{local_ssrc_, *d.keyframe_from});
    SendRtcp(rtp::SerializeRtcpCompound(m));
  }
  if (simulcast_->selected() != before && simulcast_->selected()) {
    const size_t layer = *simulcast_->selected();
    const auto [w, h] = simulcast_->layer_size(layer);
    spdlog::info("participant {}: decoding simulcast layer {} ({}x{}) of {}", config_.name,
                 simulcast_->rids()[layer], w, h, simulcast_->rids().size());
  }
  switch (d.verdict) {
    case SimulcastSelector::Verdict::kUnknown:
      return transport_->Reject(DropReason::kUnknownSsrc,
                                "simulcast RTP of no layer the offer named");
    case SimulcastSelector::Verdict::kSkip:
      return kAccepted;  // a layer not needed now: taken, not decoded
    case SimulcastSelector::Verdict::kDecode:
      break;
  }
  if (rtx) {
    auto original = rtp::UnwrapRtx(*packet, config_.video->payload_type, d.media_ssrc);
    if (!original) return transport_->Reject(DropReason::kMalformed, "RTX without its OSN");
    ++counts_.rtx_received;
    packet = std::move(original);
  }
  return std::nullopt;
}

void VideoLeg::ArmTimer() {
  timer_.expires_after(kTimerPeriod);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    const int64_t now = clock_.NowUs();
    if (receive_) Deliver(receive_->OnTimer(now));
    if (sender_ && sender_->packets_sent() > 0 && now - last_report_us_ >= kReportIntervalUs) {
      last_report_us_ = now;
      // The SR maps the composite's RTP time to wall-clock time (from the last frame's input
      // time: when its pictures reached the room); the audio leg's SRs map the mix's to when its
      // audio reached the room, on the same clock, which is what receivers use for lip sync.
      std::vector<rtp::RtcpMessage> m;
      m.emplace_back(sender_->BuildSenderReport(clock_.NowNtp(), now));
      m.emplace_back(sender_->BuildSdes());
      SendRtcp(rtp::SerializeRtcpCompound(m));
    }
    ArmTimer();
  });
}

PacketVerdict VideoLeg::OnRtp(std::span<const uint8_t> clear, const net::Endpoint& from) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (!receive_) {
    return transport_->Reject(DropReason::kUnknownPayloadType,
                              "video RTP from a receive-only participant");
  }
  auto packet = rtp::RtpPacket::Parse(clear);
  if (!packet) return transport_->Reject(DropReason::kMalformed, "malformed RTP packet");
  ++counts_.rtp_received;
  counts_.bytes_received += clear.size();
  if (simulcast_) {
    if (auto v = SimulcastFilter(
            packet, rtx_payload_type_ && packet->payload_type() == rtx_payload_type_)) {
      return *v;
    }
  } else if (rtx_payload_type_ && packet->payload_type() == rtx_payload_type_) {
    // A retransmission on the sender's RTX stream: the packet it carries, on its media stream.
    if (packet->payload().empty()) {
      // A bandwidth probe (browsers send them from the start): nothing in it.
      ++counts_.rtx_padding;
      return std::nullopt;
    }
    if (!remote_rtx_ssrc_) remote_rtx_ssrc_ = packet->ssrc();  // not signalled: the first heard
    const std::optional<uint32_t> media = receive_->remote_ssrc();
    if (packet->ssrc() != remote_rtx_ssrc_ || !media ||
        (remote_rtx_media_ && *media != remote_rtx_media_)) {
      // Another stream's retransmissions (a simulcast layer, a stream that was replaced) never
      // go into this one's sequence space.
      return transport_->Reject(DropReason::kUnknownSsrc,
                                "RTX that repairs no stream this participant sends now");
    }
    auto original = rtp::UnwrapRtx(*packet, config_.video->payload_type, *media);
    if (!original) return transport_->Reject(DropReason::kMalformed, "RTX without its OSN");
    ++counts_.rtx_received;
    packet = std::move(original);
  }
  if (!rtcp_destination_fixed_ && !rtcp_destination_) {
    rtcp_destination_ = net::Endpoint(from.address(), config_.video->rtcp_mux
                                                          ? from.port()
                                                          : static_cast<uint16_t>(from.port() + 1));
  }
  rtp::VideoReceiveStream::Output out = receive_->OnRtp(*packet, clock_.NowUs());
  // The stream counted its own drops; the verdict goes to the transport's tally.
  const PacketVerdict verdict = out.dropped;
  const rtp::VideoReceiveStats stats = receive_->stats();
  const uint64_t new_streams = stats.ssrc_changes + stats.sequence_restarts;
  if (new_streams != new_streams_seen_) {
    // A new stream from this participant (confirmed by two packets in sequence): its decoder
    // starts over before the first frame of the new stream. Only a stream that completes a frame
    // costs a reset, so stray packets cannot make the decoder restart at packet rate.
    new_streams_seen_ = new_streams;
    reset_pending_ = true;
  }
  Deliver(std::move(out));
  return verdict;
}

void VideoLeg::Deliver(rtp::VideoReceiveStream::Output out) {
  for (auto& frame : out.frames) {
    ++counts_.frames_received;
    if (config_.cascade == CascadeRole::kUplink && hooks_.forward) {
      hooks_.forward(id_, std::move(frame), new_streams_seen_);
    } else {
      PostDecode(std::move(frame));
    }
  }
  if (!out.rtcp.empty()) SendRtcp(std::move(out.rtcp));
}

void VideoLeg::PostDecode(rtp::EncodedFrame frame) {
  if (!input_) return;
  if (reset_pending_) {
    reset_pending_ = false;
    input_->RequestReset();
  }
  if (decode_in_flight_->load(std::memory_order_relaxed) >= kMaxDecodeQueue) {
    ++counts_.decode_queue_full;
    transport_->Drop(DropReason::kBufferFull, "video frame dropped: the decoder is behind");
    // What follows depends on the lost frame: the decoder waits for a keyframe, which we ask for.
    if (receive_) RequestSenderKeyframe();
    input_->RequestReset();
    return;
  }
  decode_in_flight_->fetch_add(1, std::memory_order_relaxed);
  boost::asio::post(decode_,
                    [this, input = input_, in_flight = decode_in_flight_, f = std::move(frame)] {
                      const VideoInput::Result r = input->Decode(f);
                      in_flight->fetch_sub(1, std::memory_order_relaxed);
                      if (!r.keyframe_needed) return;
                      boost::asio::post(shard_, [this] {
                        if (stopped_ || !receive_) return;
                        RequestSenderKeyframe();
                      });
                    });
}

void VideoLeg::AskForKeyframe() {
  if (stopped_ || !receive_) return;
  RequestSenderKeyframe();
}

void VideoLeg::RequestSenderKeyframe() {
  // Throttled by the stream's keyframe requester (PLI, then FIR, as negotiated).
  auto out = receive_->RequestKeyframe(clock_.NowUs());
  if (!out.rtcp.empty()) SendRtcp(std::move(out.rtcp));
  // A SIP peer that negotiated neither PLI nor FIR (a legacy endpoint) is asked by INFO
  // picture_fast_update instead; the SIP service coalesces those.
  if (keyframes_by_listener_ && listener_) listener_->OnKeyframeNeeded();
}

PacketVerdict VideoLeg::OnRtcp(std::span<const uint8_t> clear, const net::Endpoint& from) {
  TESSERA_DCHECK_RUN_ON(checker_);
  const int64_t now = clock_.NowUs();
  auto messages = rtp::ParseRtcpCompound(clear);
  if (!messages) return transport_->Reject(DropReason::kMalformed, "malformed RTCP compound");
  // The transport took it only from the signalled peer's address or the latched media source:
  // feedback steers what we send (keyframes, profile, retransmissions).
  ++counts_.rtcp_received;
  if (!rtcp_destination_fixed_) rtcp_destination_ = from;
  if (receive_) (void)receive_->OnRtcp(clear, now);
  if (!sender_) return kAccepted;
  const uint32_t ours = sender_->ssrc();
  bool bandwidth_news = false;  // a REMB or TMMBR about our stream
  std::optional<double> loss;
  bool keyframe = false;
  auto report_blocks = [&](const std::vector<rtp::ReportBlock>& blocks) {
    for (const auto& b : blocks) {
      if (b.ssrc != ours) continue;
      loss = b.fraction_lost / 256.0;
      remote_loss_ = loss;
      const int64_t rtt = rtp::RttFromReportBlock(b, clock_.NowNtp());
      if (rtt > 0) {
        sender_->UpdateRtt(rtt);
        rtt_us_ = rtt;
      }
    }
  };
  for (const auto& m : *messages) {
    if (const auto* pli = std::get_if<rtp::Pli>(&m)) {
      if (pli->media_ssrc == ours || pli->media_ssrc == 0) {
        ++counts_.plis_received;
        keyframe = true;
      }
    } else if (const auto* fir = std::get_if<rtp::Fir>(&m)) {
      for (const auto& e : fir->entries) {
        if (e.ssrc == ours) {
          ++counts_.firs_received;
          keyframe = true;
        }
      }
    } else if (const auto* nack = std::get_if<rtp::Nack>(&m)) {
      if (nack->media_ssrc != ours) continue;
      ++counts_.nacks_received;
      for (const auto& p : sender_->OnNack(nack->seqs, now)) {
        if (!TakeRetransmitToken(now)) {
          transport_->Drop(DropReason::kRateLimited, "retransmission over the NACK budget");
          continue;
        }
        // On our RTX stream where the recipient asked for one (RFC 4588), else as sent.
        const rtp::RtpPacket resent =
            send_rtx_payload_type_ ? rtp::WrapRtx(p, send_rtx_payload_type_, rtx_ssrc_, rtx_seq_++)
                                   : p;
        std::vector<uint8_t> bytes(resent.data().begin(), resent.data().end());
        const size_t size = bytes.size();
        if (transport_->SendRtp(std::move(bytes), rtp_destination_)) {
          ++counts_.retransmitted;
          counts_.bytes_sent += size;
        }
      }
    } else if (const auto* remb = std::get_if<rtp::Remb>(&m)) {
      if (remb->ssrcs.empty() ||
          std::find(remb->ssrcs.begin(), remb->ssrcs.end(), ours) != remb->ssrcs.end()) {
        ++counts_.remb_received;
        remb_bps_ = static_cast<int64_t>(std::min<uint64_t>(remb->bitrate_bps, INT64_MAX));
        bandwidth_news = true;
      }
    } else if (const auto* tmmbr = std::get_if<rtp::Tmmbr>(&m)) {
      for (const auto& item : tmmbr->items) {
        if (item.ssrc != ours) continue;
        ++counts_.tmmbr_received;
        tmmbr_limit_bps_ = static_cast<int64_t>(std::min<uint64_t>(item.bitrate_bps, INT64_MAX));
        bandwidth_news = true;
        // RFC 5104 4.2.2.2: the media sender answers with the bounding set it now honours: this
        // requester's limit (its profile moves follow it).
        rtp::Tmmbn tmmbn;
        tmmbn.sender_ssrc = ours;
        tmmbn.items.push_back({tmmbr->sender_ssrc, item.bitrate_bps, item.packet_overhead});
        tmmbn_.emplace(std::move(tmmbn));
      }
    } else if (const auto* rr = std::get_if<rtp::ReceiverReport>(&m)) {
      report_blocks(rr->report_blocks);
    } else if (const auto* sr = std::get_if<rtp::SenderReport>(&m)) {
      report_blocks(sr->report_blocks);
    }
  }
  // The estimate is the lowest of the latest REMB, the latest TMMBR (a limit that a later REMB
  // never lifts) and the link's send-side estimate.
  std::optional<int64_t> estimate;
  if (bandwidth_news) {
    estimate = std::min({remb_bps_.value_or(INT64_MAX), tmmbr_limit_bps_.value_or(INT64_MAX),
                         link_estimate_bps_.value_or(INT64_MAX)});
  }
  if (tmmbn_) {
    std::vector<rtp::RtcpMessage> reply;
    reply.emplace_back(sender_->BuildSenderReport(clock_.NowNtp(), now));
    reply.emplace_back(std::move(*tmmbn_));
    tmmbn_.reset();
    SendRtcp(rtp::SerializeRtcpCompound(reply));
  }
  if (keyframe && hooks_.keyframe_request) hooks_.keyframe_request(id_);
  if ((estimate || loss) && hooks_.feedback) hooks_.feedback(id_, estimate, loss);
  return kAccepted;
}

void VideoLeg::SendVideo(const std::shared_ptr<const EncodedVideo>& frame) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (stopped_ || on_hold_ || !sender_ || !frame || frame->payloads.empty()) return;
  const size_t last = frame->payloads.size() - 1;
  // The sender reports map the timestamp to when the frame's pictures reached the room (its
  // slot's time less the video path's hold), as the audio mix's map theirs to the arrival of
  // their audio: receivers line the two up (lip sync). Never the send time: a late tick's frame
  // leaves after its slot.
  const std::optional<int64_t> time_us =
      frame->input_time_us ? frame->input_time_us : frame->slot_time_us;
  for (size_t i = 0; i <= last; ++i) {
    // source_id = the profile: a move to another profile keeps the timestamps continuous.
    rtp::RtpPacket p = sender_->Send(frame->payloads[i], frame->rtp_timestamp, i == last,
                                     static_cast<uint32_t>(frame->profile), {}, time_us);
    std::vector<uint8_t> bytes(p.data().begin(), p.data().end());
    const size_t size = bytes.size();
    if (transport_->SendRtp(std::move(bytes), rtp_destination_)) {
      ++counts_.rtp_sent;
      counts_.bytes_sent += size;
    } else {
      ++counts_.send_failures;
    }
    if (i == 0) {
      const int64_t now = clock_.NowUs();
      for (int64_t received : frame->new_input_receive_us) latency_.Add(now - received);
    }
  }
  ++counts_.frames_sent;
  if (frame->keyframe) ++counts_.keyframes_sent;
}

bool VideoLeg::TakeRetransmitToken(int64_t now_us) {
  // Budget: a quarter of the packets sent in the last second (at least 50 a second), refilled
  // continuously, so a NACK storm cannot multiply the stream.
  const uint64_t sent = counts_.rtp_sent;
  if (now_us - budget_window_start_us_ >= 1'000'000) {
    budget_rate_ = std::max<double>(50.0, static_cast<double>(sent - budget_window_sent_) / 4.0);
    budget_window_start_us_ = now_us;
    budget_window_sent_ = sent;
  }
  retransmit_tokens_ =
      std::min(budget_rate_, retransmit_tokens_ +
                                 budget_rate_ * static_cast<double>(now_us - tokens_at_us_) / 1e6);
  tokens_at_us_ = now_us;
  if (retransmit_tokens_ < 1.0) return false;
  retransmit_tokens_ -= 1.0;
  return true;
}

void VideoLeg::SendRtcp(std::vector<uint8_t> compound) {
  if (!rtcp_destination_ || on_hold_) return;
  (void)transport_->SendRtcp(std::move(compound), *rtcp_destination_);
}

void VideoLeg::SetRemote(const std::optional<boost::asio::ip::address>& address, uint16_t rtp_port,
                         uint16_t rtcp_port) {
  TESSERA_DCHECK_RUN_ON(checker_);
  // Its camera's packets may come from the new place: the latch starts over when signalling
  // moved the peer (a leg that receives no composite has no port to go by: address only).
  const net::Endpoint signalled = transport_->latch().signalled();
  transport_->SetSignalledPeer(address.value_or(signalled.address()),
                               rtp_port ? rtp_port : signalled.port());
  if (!sender_) return;
  const boost::asio::ip::address addr = address.value_or(rtp_destination_.address());
  const uint16_t rtp = rtp_port ? rtp_port : rtp_destination_.port();
  const uint16_t rtcp = rtp_port || rtcp_port || !rtcp_destination_
                            ? RtcpPortFor(rtp, rtcp_port, config_.video->rtcp_mux)
                            : rtcp_destination_->port();
  rtp_destination_ = net::Endpoint(addr, rtp);
  rtcp_destination_ = net::Endpoint(addr, rtcp);
  rtcp_destination_fixed_ = true;
  on_hold_ = addr.is_unspecified();
  spdlog::info("participant {}: composite to {}:{}{}", config_.name, addr.to_string(), rtp,
               on_hold_ ? " (on hold: nothing is sent)" : "");
}

void VideoLeg::WaitForDecodes() {
  std::promise<void> done;
  std::future<void> drained = done.get_future();
  boost::asio::post(decode_, [&done] { done.set_value(); });
  drained.wait();
}

void VideoLeg::Stop() {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (stopped_) return;
  transport_->DrainAndClose();
  stopped_ = true;
  timer_.cancel();
  if (receive_) {
    for (auto& frame : receive_->Flush(clock_.NowUs()).frames) PostDecode(std::move(frame));
  }
}

}  // namespace tessera::session
