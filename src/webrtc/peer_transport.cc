#include <spdlog/spdlog.h>
#include <tessera/base/metrics.h>
#include <tessera/net/demux.h>
#include <tessera/rtp/rtcp/rtcp_common.h>
#include <tessera/rtp/rtcp/transport_feedback.h>
#include <tessera/webrtc/peer_transport.h>

#include <algorithm>
#include <chrono>
#include <random>

namespace tessera::webrtc {
namespace {

// How often consent and the DTLS deadline are looked at when nothing sooner is due.
constexpr auto kPollInterval = std::chrono::milliseconds(500);
// Transport-wide feedback goes out every 100 ms (as browsers send theirs); while a probe runs its
// padding is paced every 20 ms.
constexpr int64_t kFeedbackIntervalUs = 100'000;
constexpr int64_t kProbeTickUs = 20'000;

void CountDrop(const char* reason) {
  GlobalMetrics().GetCounter("tessera_webrtc_dropped_total", {{"reason", reason}}).Add();
}

}  // namespace

StatusOr<std::shared_ptr<PeerTransport>> PeerTransport::Create(SharedPort& port,
                                                               PeerTransportConfig config,
                                                               Clock& clock) {
  if (!config.certificate) return InvalidArgumentError("webrtc: no DTLS certificate");
  if (config.remote_fingerprints.empty()) {
    return InvalidArgumentError("webrtc: the offer has no usable a=fingerprint");
  }
  std::unique_ptr<IceLiteAgent> agent;
  if (config.local_ice) {
    agent = std::make_unique<IceLiteAgent>(*config.local_ice, config.ice, clock.NowUs());
  } else {
    auto created = IceLiteAgent::Create(config.ice, clock.NowUs());
    if (!created.ok()) return created.status();
    agent = std::move(*created);
  }
  auto dtls = DtlsTransport::Create(config.dtls_role, config.certificate,
                                    config.remote_fingerprints, config.dtls);
  if (!dtls.ok()) return dtls.status();
  return std::shared_ptr<PeerTransport>(
      new PeerTransport(port, std::move(config), clock, std::move(agent), std::move(*dtls)));
}

PeerTransport::PeerTransport(SharedPort& port, PeerTransportConfig config, Clock& clock,
                             std::unique_ptr<IceLiteAgent> agent,
                             std::unique_ptr<DtlsTransport> dtls)
    : port_(port),
      config_(std::move(config)),
      clock_(clock),
      agent_(std::move(agent)),
      dtls_(std::move(dtls)),
      timer_(port.shard()),
      tcc_timer_(port.shard()) {
  if (config_.transport_cc_extension_id != 0) {
    estimator_ = std::make_unique<rtp::SendSideEstimator>(config_.estimator);
    std::random_device rd;
    feedback_ssrc_ = rd() | 1u;
    next_transport_seq_ = static_cast<uint16_t>(rd());
  }
}

PeerTransport::~PeerTransport() {
  if (keys_) keys_->Wipe();
}

Status PeerTransport::Start(GoneHandler on_gone) {
  TESSERA_DCHECK_RUN_ON(checker_);
  on_gone_ = std::move(on_gone);
  // Here, not in Create: the agent belongs to this thread from its first call.
  agent_->SetRemoteCredentials(config_.remote_ice);
  std::weak_ptr<PeerTransport> weak = weak_from_this();
  auto id = port_.Add(agent_->local().ufrag,
                      [weak](std::span<const uint8_t> d, const net::Endpoint& from) {
                        if (auto self = weak.lock()) self->OnDatagram(d, from);
                      });
  if (!id.ok()) return id.status();
  session_ = *id;
  ArmTimer();
  if (estimator_) ArmTransportCcTimer();
  return Status::Ok();
}

void PeerTransport::Close() {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (closed_) return;
  closed_ = true;
  if (dtls_->state() == DtlsState::kConnected && agent_->selected()) {
    DtlsResult r = dtls_->Close();
    for (const auto& d : r.datagrams) (void)port_.SendTo(d, *agent_->selected());
  }
  if (session_) port_.Remove(*session_);
  session_.reset();
  timer_.cancel();
  tcc_timer_.cancel();
  if (keys_) keys_->Wipe();
  keys_.reset();
}

Status PeerTransport::RestartIce(IceCredentials remote) {
  TESSERA_DCHECK_RUN_ON(checker_);
  const std::string old_ufrag = agent_->local().ufrag;
  Status s = agent_->Restart(std::move(remote), clock_.NowUs());
  if (!s.ok()) return s;
  if (session_) return port_.ChangeUfrag(*session_, old_ufrag, agent_->local().ufrag);
  return Status::Ok();
}

std::optional<srtp::SrtpSuite> PeerTransport::srtp_suite() const {
  if (!keys_) return std::nullopt;
  return keys_->suite;
}

bool PeerTransport::Send(std::vector<uint8_t> datagram) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (closed_ || !agent_->selected() || !keys_) {
    ++counts_.send_failed;
    return false;
  }
  if (!port_.SendTo(datagram, *agent_->selected())) {
    ++counts_.send_failed;
    return false;
  }
  ++counts_.sent;
  return true;
}

void PeerTransport::Attach(session::MediaKind kind, session::LegPacketPath* path) {
  TESSERA_DCHECK_RUN_ON(checker_);
  (kind == session::MediaKind::kAudio ? audio_ : video_) = path;
  if (path && keys_) KeyLeg(kind);
}

void PeerTransport::KeyLeg(session::MediaKind kind) {
  session::LegPacketPath* path = kind == session::MediaKind::kAudio ? audio_ : video_;
  if (!path || !keys_) return;
  Status s = path->SetSrtpKeys(keys_->suite, keys_->local_key_salt, keys_->remote_key_salt);
  if (!s.ok()) spdlog::error("webrtc {}: {}", config_.name, s.ToString());
}

void PeerTransport::OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (closed_) return;
  switch (net::ClassifyPacket(data)) {
    case net::PacketClass::kStun:
      OnStun(data, from);
      return;
    case net::PacketClass::kDtls:
      OnDtls(data, from);
      return;
    case net::PacketClass::kRtp: {
      const uint8_t pt = data[1] & 0x7F;
      session::LegPacketPath* path = nullptr;
      if (config_.audio_payload_type && pt == *config_.audio_payload_type) {
        path = audio_;
        ++counts_.srtp_audio;
      } else if (std::find(config_.video_payload_types.begin(), config_.video_payload_types.end(),
                           pt) != config_.video_payload_types.end()) {
        path = video_;
        ++counts_.srtp_video;
      } else {
        ++counts_.dropped_unknown_payload_type;
        CountDrop("unknown_payload_type");
        return;
      }
      if (!path) {
        ++counts_.dropped_no_leg;
        CountDrop("no_leg");
        return;
      }
      path->DeliverDatagram(data, from);
      return;
    }
    case net::PacketClass::kRtcp:
      ++counts_.srtcp;
      if (!audio_ && !video_) {
        ++counts_.dropped_no_leg;
        CountDrop("no_leg");
        return;
      }
      // Each leg keeps its own SRTCP replay window and takes the reports about its own streams.
      if (audio_) audio_->DeliverDatagram(data, from);
      if (video_) video_->DeliverDatagram(data, from);
      return;
    default:
      ++counts_.dropped_other;
      CountDrop("unknown_protocol");
      return;
  }
}

void PeerTransport::OnStun(std::span<const uint8_t> data, const net::Endpoint& from) {
  ++counts_.stun;
  IceResult r = agent_->HandleStun(data, from, clock_.NowUs());
  if (!r.response.empty()) (void)port_.SendTo(r.response, from);
  if (!r.valid()) {
    GlobalMetrics()
        .GetCounter("tessera_webrtc_ice_checks_dropped_total", {{"reason", IceDropName(r.drop)}})
        .Add();
    return;
  }
  if (session_) port_.Learn(*session_, from);
  if (r.selection_changed) {
    spdlog::info("webrtc {}: media path {}:{} (ICE nominated)", config_.name,
                 from.address().to_string(), from.port());
  }
  if (agent_->selected() && !dtls_started_ && config_.dtls_role == DtlsRole::kClient) {
    dtls_started_ = true;
    Apply(dtls_->Start(clock_.NowUs()));
  }
}

void PeerTransport::OnDtls(std::span<const uint8_t> data, const net::Endpoint& from) {
  ++counts_.dtls;
  dtls_started_ = true;
  // A ClientHello may beat the check that nominates: until then the handshake answers where it
  // came from (an address a valid check came from, or the port would not have routed it here).
  dtls_peer_ = from;
  Apply(dtls_->HandleDatagram(data, clock_.NowUs()));
}

void PeerTransport::Apply(DtlsResult result) {
  const std::optional<net::Endpoint> to = agent_->selected() ? agent_->selected() : dtls_peer_;
  if (to) {
    for (const auto& d : result.datagrams) (void)port_.SendTo(d, *to);
  }
  if (result.drop) {
    ++counts_.dropped_dtls;
    GlobalMetrics()
        .GetCounter("tessera_webrtc_dtls_dropped_total", {{"reason", DtlsDropName(*result.drop)}})
        .Add();
  }
  switch (result.event) {
    case DtlsResult::Event::kConnected:
      keys_ = std::move(result.keys);
      spdlog::info("webrtc {}: DTLS connected ({}), SRTP {}", config_.name,
                   DtlsRoleName(config_.dtls_role),
                   keys_ ? srtp::SrtpSuiteName(keys_->suite) : "none");
      KeyLeg(session::MediaKind::kAudio);
      KeyLeg(session::MediaKind::kVideo);
      break;
    case DtlsResult::Event::kFailed: {
      const char* reason = result.failure ? DtlsFailureName(*result.failure) : "unknown";
      GlobalMetrics().GetCounter("tessera_webrtc_dtls_failures_total", {{"reason", reason}}).Add();
      spdlog::warn("webrtc {}: DTLS failed ({}): {}", config_.name, reason, result.failure_detail);
      Gone(std::string("DTLS failed: ") + reason);
      break;
    }
    case DtlsResult::Event::kClosed:
      Gone("the peer closed DTLS");
      break;
    case DtlsResult::Event::kNone:
      break;
  }
  ArmTimer();
}

void PeerTransport::Poll() {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (closed_ || gone_) return;
  const int64_t now = clock_.NowUs();
  if (agent_->ConsentExpired(now)) {
    spdlog::warn("webrtc {}: consent lost (no valid ICE check for {} s)", config_.name,
                 config_.ice.consent_timeout_us / 1'000'000);
    GlobalMetrics().GetCounter("tessera_webrtc_consent_lost_total").Add();
    Gone("consent lost");
    return;
  }
  if (dtls_started_) {
    DtlsResult r = dtls_->OnTimer(now);
    if (!r.datagrams.empty() || r.event != DtlsResult::Event::kNone || r.drop) {
      Apply(std::move(r));
      return;
    }
  }
  ArmTimer();
}

void PeerTransport::ArmTimer() {
  if (closed_ || gone_) return;
  auto wait = std::chrono::duration_cast<std::chrono::microseconds>(kPollInterval);
  if (dtls_started_) {
    if (auto t = dtls_->NextTimeout(clock_.NowUs())) wait = std::min(wait, *t);
  }
  timer_.expires_after(wait);
  std::weak_ptr<PeerTransport> weak = weak_from_this();
  timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->Poll();
  });
}

void PeerTransport::OnRtpSending(session::MediaKind, std::vector<uint8_t>& rtp, bool probe) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (!estimator_) return;
  const uint16_t seq = next_transport_seq_;
  if (!rtp::WriteTransportSequence(rtp, config_.transport_cc_extension_id, seq)) return;
  ++next_transport_seq_;
  // The size on the wire once protected is what the path carries: the suite's tag included.
  const size_t tag = keys_ && keys_->suite == srtp::SrtpSuite::kAeadAes128Gcm         ? 16
                     : keys_ && keys_->suite == srtp::SrtpSuite::kAesCm128HmacSha1_32 ? 4
                                                                                      : 10;
  estimator_->OnPacketSent(seq, clock_.NowUs(), rtp.size() + tag, probe);
  if (!probe) bytes_since_tick_ += rtp.size() + tag;
}

void PeerTransport::OnRtpReceived(session::MediaKind, std::span<const uint8_t> rtp,
                                  int64_t now_us) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (!estimator_) return;
  if (auto seq = rtp::ReadTransportSequence(rtp, config_.transport_cc_extension_id)) {
    tcc_receiver_.OnPacket(*seq, now_us);
  }
}

void PeerTransport::OnRtcpReceived(session::MediaKind kind, std::span<const uint8_t> compound,
                                   int64_t now_us) {
  TESSERA_DCHECK_RUN_ON(checker_);
  // Each leg hands on the same SRTCP: read it once, from the leg that sends most.
  if (!estimator_ || kind != (video_ ? session::MediaKind::kVideo : session::MediaKind::kAudio)) {
    return;
  }
  // Only the transport feedback in it: a walk over the packets' headers (the legs decode the
  // rest), not a second decoding of the whole compound.
  bool news = false;
  while (!compound.empty()) {
    const auto view = rtp::ParseRtcpPacket(compound);
    if (!view) break;
    const auto packet = compound.first(view->size);
    compound = compound.subspan(view->size);
    if (view->header.packet_type != static_cast<uint8_t>(rtp::RtcpPacketType::kRtpFeedback) ||
        view->header.count != rtp::kTransportFeedbackFmt) {
      continue;
    }
    if (auto fb = rtp::TransportFeedback::Parse(packet)) {
      ++counts_.transport_feedback_received;
      GlobalMetrics().GetCounter("tessera_webrtc_transport_feedback_received_total").Add();
      (void)estimator_->OnFeedback(*fb, now_us);
      news = true;
    }
  }
  if (news && video_) video_->OnLinkEstimate(estimator_->estimate_bps(), estimator_->loss());
}

void PeerTransport::TransportCcTick() {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (!estimator_ || closed_ || gone_) return;
  const int64_t now = clock_.NowUs();
  if (now - last_feedback_us_ >= kFeedbackIntervalUs) {
    last_feedback_us_ = now;
    session::LegPacketPath* path = video_ ? video_ : audio_;
    for (const auto& fb : tcc_receiver_.BuildFeedback(feedback_ssrc_, 0)) {
      if (!fb.CanSerialize()) continue;
      std::vector<uint8_t> bytes;
      fb.Serialize(bytes);
      if (path && path->SendLinkRtcp(std::move(bytes))) {
        ++counts_.transport_feedback_sent;
        GlobalMetrics().GetCounter("tessera_webrtc_transport_feedback_sent_total").Add();
      }
    }
  }
  // Probes: padding on the video leg up to the probe's rate, less what media sent meanwhile;
  // cut short when the feedback shows a queue building (the path found, at the viewer's cost).
  if (!probe_until_us_ && video_ && keys_ && estimator_->ProbeDue(now)) {
    probe_until_us_ = now + rtp::SendSideEstimator::kProbeDurationUs;
    spdlog::debug("webrtc {}: probing the path at {} kbit/s (estimate {} kbit/s)", config_.name,
                  estimator_->probe_target_bps() / 1000, estimator_->estimate_bps() / 1000);
  } else if (probe_until_us_ && now >= *probe_until_us_) {
    probe_until_us_.reset();
  } else if (probe_until_us_ && estimator_->queue_delay_us() > 30'000) {
    estimator_->EndProbeEarly();
    probe_until_us_.reset();
  } else if (probe_until_us_ && video_ && last_tick_us_ > 0) {
    const int64_t want = estimator_->probe_target_bps() * (now - last_tick_us_) / 8'000'000;
    const int64_t pad = want - static_cast<int64_t>(bytes_since_tick_);
    if (pad > 0 && video_->SendProbePadding(static_cast<size_t>(pad))) {
      counts_.probe_padding_bytes += static_cast<uint64_t>(pad);
    }
  }
  last_tick_us_ = now;
  bytes_since_tick_ = 0;
  ArmTransportCcTimer();
}

void PeerTransport::ArmTransportCcTimer() {
  if (closed_ || gone_) return;
  tcc_timer_.expires_after(
      std::chrono::microseconds(probe_until_us_ ? kProbeTickUs : kFeedbackIntervalUs));
  std::weak_ptr<PeerTransport> weak = weak_from_this();
  tcc_timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->TransportCcTick();
  });
}

void PeerTransport::Gone(const std::string& why) {
  if (gone_) return;
  gone_ = true;
  timer_.cancel();
  tcc_timer_.cancel();
  if (on_gone_) on_gone_(why);
}

}  // namespace tessera::webrtc
