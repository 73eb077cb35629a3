#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <tessera/sip/sdp_text.h>
#include <tessera/webrtc/ice_lite.h>
#include <tessera/webrtc/peer_transport.h>
#include <tessera/webrtc/shared_port.h>
#include <tessera/webrtc/trickle_fragment.h>
#include <tessera/webrtc/webrtc_service.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <random>

namespace tessera::webrtc {
namespace {

// Runs f on io's thread and waits for its result.
template <typename F>
auto RunOn(boost::asio::io_context& io, F&& f) -> decltype(f()) {
  std::packaged_task<decltype(f())()> task(std::forward<F>(f));
  auto result = task.get_future();
  boost::asio::post(io, [&task] { task(); });
  return result.get();
}

std::string RandomHex(size_t bytes) {
  std::vector<uint8_t> b(bytes);
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    std::random_device rd;
    for (uint8_t& x : b) x = static_cast<uint8_t>(rd());
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t x : b) {
    out += kHex[x >> 4];
    out += kHex[x & 15];
  }
  return out;
}

uint32_t RandomSsrc() {
  uint32_t v = 0;
  if (RAND_bytes(reinterpret_cast<uint8_t*>(&v), sizeof v) != 1) v = std::random_device{}();
  return v | 1u;
}

const char* KindName(BrowserSessionKind kind) {
  return kind == BrowserSessionKind::kPublish ? "WHIP" : "WHEP";
}

}  // namespace

// Hears the participant leave the room by other hands (DELETE of the room, an operator's kick):
// the session ends without leaving again. Runs under the directory's lock: only posts.
class WebRtcService::Listener final : public session::ParticipantListener {
 public:
  Listener(WebRtcService* service, std::string id) : service_(service), id_(std::move(id)) {}
  void OnLeft(const std::string&, uint32_t) override {
    WebRtcService* service = service_;
    boost::asio::post(service->janitor_,
                      [service, id = id_] { service->End(id, /*leave=*/false, "left the room"); });
  }

 private:
  WebRtcService* service_;
  std::string id_;
};

WebRtcService::WebRtcService(const WebRtcConfig& config, session::RoomDirectory& rooms,
                             boost::asio::io_context& shard, Clock& clock)
    : config_(config), rooms_(rooms), shard_(shard), clock_(clock) {}

WebRtcService::~WebRtcService() {
  Stop();
  if (janitor_thread_) {
    janitor_.stop();
    janitor_thread_->join();
  }
}

StatusOr<std::unique_ptr<WebRtcService>> WebRtcService::Create(const WebRtcConfig& config,
                                                               session::RoomDirectory& rooms,
                                                               boost::asio::io_context& shard,
                                                               Clock& clock) {
  std::unique_ptr<WebRtcService> s(new WebRtcService(config, rooms, shard, clock));
  if (!config.certificate_file.empty() || !config.key_file.empty()) {
    auto cert = DtlsCertificate::LoadPem(config.certificate_file, config.key_file);
    if (!cert.ok()) return Status(cert.status().code(), "webrtc: " + cert.status().message());
    s->certificate_ = *cert;
  } else {
    auto cert = DtlsCertificate::Generate();
    if (!cert.ok()) return Status(cert.status().code(), "webrtc: " + cert.status().message());
    s->certificate_ = *cert;
  }
  s->fingerprint_ = s->certificate_->Fingerprint();
  if (!config.turn.urls.empty()) {
    auto secret = ReadTurnSecret(config.turn.secret_file);
    if (!secret.ok()) return secret.status();
    s->turn_secret_ = std::move(*secret);
  }
  std::optional<uint16_t> tcp_port;
  if (config.tcp) tcp_port = config.tcp_port.value_or(config.udp_port);
  auto port = SharedPort::Open(shard, config.bind_address, config.udp_port, tcp_port);
  if (!port.ok()) return port.status();
  s->port_ = std::move(*port);
  s->udp_port_ = s->port_->local_port();
  s->tcp_port_ = s->port_->tcp_port();
  return s;
}

void WebRtcService::Start() {
  {
    std::lock_guard lock(mu_);
    started_ = true;
  }
  SharedPort* port = port_.get();
  boost::asio::post(shard_, [port] { port->Start(); });
  janitor_thread_ = std::make_unique<std::thread>([this] {
    auto guard = boost::asio::make_work_guard(janitor_);
    janitor_.run();
  });
  spdlog::info("webrtc: browsers' media on UDP {}:{} (announced as {}), DTLS certificate {}",
               config_.bind_address, udp_port_,
               config_.announced_address.empty() ? config_.bind_address : config_.announced_address,
               fingerprint_);
  if (tcp_port_) {
    spdlog::info("webrtc: ICE-TCP (passive) on TCP {}:{}", config_.bind_address, *tcp_port_);
  }
  for (const std::string& url : config_.turn.urls) {
    spdlog::info("webrtc: browsers may relay through {} (credentials valid {} s)", url,
                 config_.turn.ttl_s);
  }
}

void WebRtcService::Stop() {
  std::map<std::string, Session> sessions;
  {
    std::lock_guard lock(mu_);
    if (stopped_ || !started_) {
      stopped_ = true;
      return;
    }
    stopped_ = true;
    sessions.swap(sessions_);
  }
  for (auto& [id, s] : sessions) {
    (void)rooms_.LeaveRoom(s.room, s.participant_id);
    std::shared_ptr<PeerTransport> t = s.transport;
    RunOn(shard_, [t] { t->Close(); });
  }
  SharedPort* port = port_.get();
  RunOn(shard_, [port] { port->Close(); });
}

std::vector<TurnServerCredential> WebRtcService::IceServers() const {
  std::vector<TurnServerCredential> out;
  if (config_.turn.urls.empty()) return out;
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  // One credential for all the servers; its id names nobody (TURN servers log it).
  const TurnCredential c =
      MakeTurnCredential(turn_secret_, RandomHex(6), now_s, config_.turn.ttl_s);
  for (const std::string& url : config_.turn.urls) out.push_back({url, c});
  return out;
}

size_t WebRtcService::Count() {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

StatusOr<BrowserAnswer> WebRtcService::Answer(const WebRtcOffer& offer,
                                              const session::RoomConfig& room,
                                              const IceCredentials& local, const AnswerParams& base,
                                              std::string* profile) {
  auto parsed = ParseBrowserOffer(offer.sdp);
  if (!parsed.ok()) {
    return InvalidArgumentError("not an SDP offer Tessera can read: " + parsed.status().message());
  }
  AnswerParams params = base;
  params.ice_ufrag = local.ufrag;
  params.ice_pwd = local.password;
  if (offer.kind == BrowserSessionKind::kPublish) {
    if (!room.video) params.video_codecs.clear();
    return AnswerOffer(*parsed, params);
  }
  // A viewer gets the first of the room's profiles its browser decodes.
  if (!room.video || room.video->profiles.empty()) {
    params.video_codecs.clear();
    return AnswerOffer(*parsed, params);
  }
  Status first_error = Status::Ok();
  for (const session::VideoProfile& p : room.video->profiles) {
    params.video_codecs = {p.codec};
    params.h264_single_nal = p.single_nal;
    auto answer = AnswerOffer(*parsed, params);
    if (answer.ok()) {
      *profile = p.name;
      return answer;
    }
    if (answer.status().code() != StatusCode::kFailedPrecondition) return answer.status();
    if (first_error.ok()) first_error = answer.status();
  }
  return first_error;
}

StatusOr<WebRtcResource> WebRtcService::Open(const WebRtcOffer& offer) {
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopped_) return UnavailableError("WebRTC is not running");
  }
  // The token's subject is the participant's name (a viewer's with ".viewer"): checked before
  // anything is made for it.
  if (!offer.name.empty()) {
    const std::string name =
        offer.kind == BrowserSessionKind::kView ? offer.name + ".viewer" : offer.name;
    if (Status s = session::CheckParticipantName(name); !s.ok()) {
      return PermissionDeniedError("the token's subject is not a name a participant may have: " +
                                   s.message());
    }
  }
  std::optional<session::RoomConfig> room = rooms_.FindRoom(offer.room);
  if (!room) return NotFoundError("no room '" + offer.room + "'");
  auto local = GenerateIceCredentials();
  if (!local.ok()) return local.status();

  AnswerParams base;
  base.kind = offer.kind;
  base.fingerprint = fingerprint_;
  const std::string& announced =
      config_.announced_address.empty() ? config_.bind_address : config_.announced_address;
  base.candidates.push_back({IceCandidate::Transport::kUdp, announced, udp_port_, 0});
  if (tcp_port_)
    base.candidates.push_back({IceCandidate::Transport::kTcp, announced, *tcp_port_, 0});
  // RTX both ways where offered; transport-wide feedback both ways (what a publisher sends is
  // acknowledged for its own estimator; what a viewer gets is estimated from its feedback). REMB
  // towards publishers only: what Tessera estimates a browser may send, a cap over its own
  // estimate.
  base.rtx = true;
  base.feedback = {.nack = true,
                   .pli = true,
                   .fir = true,
                   .transport_cc = true,
                   .remb = offer.kind == BrowserSessionKind::kPublish};
  if (offer.kind == BrowserSessionKind::kView) {
    base.view.audio_ssrc = RandomSsrc();
    base.view.video_ssrc = RandomSsrc();
    base.view.video_rtx_ssrc = RandomSsrc();
  }
  std::string profile;
  auto answer = Answer(offer, *room, *local, base, &profile);
  if (!answer.ok()) return answer.status();

  session::RoomParticipantConfig pc;
  {
    std::lock_guard lock(mu_);
    pc.name = offer.name.empty() ? "browser-" + std::to_string(next_name_++) : offer.name;
  }
  // A person who publishes and watches has two sessions under one token: the viewer is named
  // apart so that both fit in the room.
  // The viewer never hears its own publisher (one person, one token subject), as no participant
  // hears itself.
  if (offer.kind == BrowserSessionKind::kView) {
    pc.name += ".viewer";
    if (!offer.name.empty()) pc.own_voice = offer.name;
  }
  pc.consent = offer.consent;
  boost::system::error_code ec;
  boost::asio::ip::make_address(offer.source_address, ec);
  pc.remote_address = ec ? "127.0.0.1" : offer.source_address;  // logs only: the link sends
  pc.remote_rtp_port = 9;
  pc.rtcp_mux = true;
  const bool publish = offer.kind == BrowserSessionKind::kPublish;
  pc.has_audio = answer->audio.has_value();
  if (answer->audio) {
    pc.audio_codec = answer->audio->codec;
    pc.audio_payload_type = answer->audio->payload_type;
    pc.audio_level_extension_id = answer->audio->extensions.audio_level;
  }
  pc.deaf = publish;    // a WHIP publisher receives nothing
  pc.muted = !publish;  // a WHEP viewer sends nothing: no voice, no tile
  pc.receive_only = !publish;
  if (answer->video) {
    session::RoomParticipantVideoConfig v;
    v.rtcp_mux = true;
    if (publish) {
      v.send = true;
      v.codec = answer->video->codec;
      v.payload_type = answer->video->payload_type;
      v.rtx_payload_type = answer->video->rtx_payload_type.value_or(0);
      if (answer->video->simulcast && answer->video->extensions.rtp_stream_id != 0) {
        // Simulcast: each layer's first alternative, in the offer's order (lowest first).
        for (const auto& stream : answer->video->simulcast->streams) {
          if (!stream.empty() && !stream.front().paused) {
            v.simulcast_rids.push_back(stream.front().rid);
          }
        }
        v.rid_extension_id = answer->video->extensions.rtp_stream_id;
        v.repaired_rid_extension_id = answer->video->extensions.repaired_rtp_stream_id;
      }
      if (answer->video->remote_rtx_ssrcs.size() == 1) {  // one camera stream and its RTX
        v.rtx_media_ssrc = answer->video->remote_rtx_ssrcs.front().media;
        v.rtx_ssrc = answer->video->remote_rtx_ssrcs.front().rtx;
      }
      if (answer->video->feedback.remb && room->video) {
        // A tile never needs more than the room's largest composite.
        int bps = 150'000;
        for (const auto& p : room->video->profiles) bps = std::max(bps, p.bitrate_bps);
        v.remb_max_kbps = static_cast<uint32_t>(bps / 1000);
      }
      if (v.codec == rtp::Codec::kH264) {
        // Browsers repeat their parameter sets in band; other WHIP senders may give them here.
        v.sprop_parameter_sets =
            std::string(sip::sdp_text::FmtpValue(answer->video->offer_fmtp, "sprop-parameter-sets")
                            .value_or(std::string_view()));
      }
    } else {
      v.send = false;
      v.remote_rtp_port = 9;
      v.profile = profile;
      v.receive_payload_type = answer->video->payload_type;
      v.send_rtx_payload_type = answer->video->rtx_payload_type.value_or(0);
    }
    pc.video = v;
  }
  if (!pc.has_audio && !pc.video) {
    return FailedPreconditionError("the offer has no audio or video Tessera can take");
  }

  PeerTransportConfig tc;
  tc.name = offer.room + "/" + pc.name;
  tc.local_ice = *local;
  tc.remote_ice = {answer->remote_ice_ufrag, answer->remote_ice_pwd};
  for (const DtlsFingerprint& f : answer->remote_fingerprints) {
    if (auto parsed = ParseFingerprint(f.algorithm + " " + f.value)) {
      tc.remote_fingerprints.push_back(*parsed);
    }
  }
  tc.dtls_role = answer->dtls_role;
  tc.certificate = certificate_;
  if (answer->audio) tc.audio_payload_type = answer->audio->payload_type;
  if (answer->video) {
    tc.video_payload_types.push_back(answer->video->payload_type);
    if (answer->video->rtx_payload_type) {
      tc.video_payload_types.push_back(*answer->video->rtx_payload_type);
    }
  }
  // Transport-wide congestion control: one sequence number space for the bundle, so the audio
  // and video sections must name the extension alike.
  {
    const uint8_t a = answer->audio && answer->audio->feedback.transport_cc
                          ? answer->audio->extensions.transport_cc
                          : 0;
    const uint8_t v = answer->video && answer->video->feedback.transport_cc
                          ? answer->video->extensions.transport_cc
                          : 0;
    // Every packet of the bundle is numbered, audio with video: on only when each section
    // there negotiated it, with one id.
    const bool all = (!answer->audio || a != 0) && (!answer->video || v != 0);
    tc.transport_cc_extension_id = all && (a == 0 || v == 0 || a == v) ? std::max(a, v) : 0;
    int64_t largest = 0;
    if (room->video) {
      for (const auto& p : room->video->profiles)
        largest = std::max<int64_t>(largest, p.bitrate_bps);
    }
    // Start above what any profile needs (a viewer moves down only on evidence), probe for what
    // the largest profile needs to be taken up again.
    tc.estimator.start_bps = std::max<int64_t>(300'000, largest * 3 / 2);
    tc.estimator.max_bps = std::max<int64_t>(600'000, largest * 2);
    tc.estimator.probe_bps = publish || largest == 0 ? 0 : largest * 3 / 2;
  }
  auto transport = PeerTransport::Create(*port_, tc, clock_);
  if (!transport.ok()) return transport.status();
  std::shared_ptr<PeerTransport> t = *transport;

  const std::string id = RandomHex(12);
  Status started = RunOn(shard_, [this, t, id] {
    return t->Start([this, id](const std::string& why) {
      boost::asio::post(janitor_, [this, id, why] { End(id, /*leave=*/true, why); });
    });
  });
  if (!started.ok()) return started;

  session::JoinOptions options;
  options.external_link = t;
  options.transport = "webrtc";
  options.listener = std::make_shared<Listener>(this, id);
  if (!publish) {
    options.audio_ssrc = base.view.audio_ssrc;
    options.video_ssrc = base.view.video_ssrc;
    if (answer->video && answer->video->local_rtx_ssrc) {
      options.video_rtx_ssrc = answer->video->local_rtx_ssrc;
    }
  }
  // Registered before the join: the listener may hear the participant leave at once.
  {
    std::lock_guard lock(mu_);
    sessions_[id] =
        Session{offer.kind, offer.room, 0, pc.name, t, "\"" + id + "\"", answer->remote_ice_ufrag,
                answer->sdp};
  }
  auto joined = rooms_.JoinRoom(offer.room, pc, options);
  if (!joined.ok()) {
    {
      std::lock_guard lock(mu_);
      sessions_.erase(id);
    }
    RunOn(shard_, [t] { t->Close(); });
    return joined.status();
  }
  bool ended = false;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it != sessions_.end()) {
      it->second.participant_id = joined->id;
    } else {
      ended = true;  // its transport gave up (or the service stopped) while it was joining
    }
  }
  if (ended) {
    (void)rooms_.LeaveRoom(offer.room, joined->id);
    return UnavailableError("the WebRTC session ended while it was joining; try again");
  }
  spdlog::info("webrtc: {} {} joined room {} as participant {} ({}{}{})", KindName(offer.kind),
               pc.name, offer.room, joined->id, offer.source_address,
               answer->video ? ", video " + std::string(rtp::CodecName(answer->video->codec)) : "",
               profile.empty() ? "" : ", profile " + profile);
  WebRtcResource r;
  r.id = id;
  r.answer_sdp = answer->sdp;
  r.etag = "\"" + id + "\"";
  r.participant_id = joined->id;
  return r;
}

Status WebRtcService::Close(BrowserSessionKind kind, const std::string& room,
                            const std::string& id) {
  Session s;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.room != room || it->second.kind != kind) {
      return NotFoundError("no WebRTC session " + id + " in room " + room);
    }
    s = it->second;
    sessions_.erase(it);
  }
  Status left = rooms_.LeaveRoom(s.room, s.participant_id);
  std::shared_ptr<PeerTransport> t = s.transport;
  RunOn(shard_, [t] { t->Close(); });
  spdlog::info("webrtc: {} left room {} (DELETE)", s.name, s.room);
  // Already gone from the room (kicked an instant before): the resource is gone all the same.
  if (!left.ok() && left.code() != StatusCode::kNotFound) return left;
  return Status::Ok();
}

StatusOr<WebRtcPatchResult> WebRtcService::Patch(BrowserSessionKind kind, const std::string& room,
                                                 const std::string& id, const std::string& if_match,
                                                 std::string_view fragment) {
  auto parsed = ParseTrickleFragment(fragment);
  std::shared_ptr<PeerTransport> t;
  std::string name, answer_sdp;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.room != room || it->second.kind != kind) {
      return NotFoundError("no WebRTC session " + id + " in room " + room);
    }
    if (if_match != "*" && if_match != it->second.etag) {
      return FailedPreconditionError("If-Match " + if_match +
                                     " is not the resource's ETag: it changed (an ICE restart)");
    }
    if (!parsed.ok()) {
      return InvalidArgumentError("not a trickle ICE fragment Tessera can read: " +
                                  parsed.status().message());
    }
    // Trickled candidates: an ICE-lite server learns where the browser is from its checks.
    if (!parsed->ice || parsed->ice->ufrag == it->second.remote_ufrag) return WebRtcPatchResult{};
    t = it->second.transport;
    name = it->second.name;
    answer_sdp = it->second.answer_sdp;
  }
  const IceCredentials remote = *parsed->ice;
  StatusOr<IceCredentials> local = RunOn(shard_, [t, remote]() -> StatusOr<IceCredentials> {
    if (Status s = t->RestartIce(remote); !s.ok()) return s;
    return t->local_ice();
  });
  if (!local.ok()) return local.status();
  WebRtcPatchResult r;
  r.restarted = true;
  r.fragment = RestartAnswerFragment(answer_sdp, *local);
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return NotFoundError("the WebRTC session " + id + " ended");
    it->second.remote_ufrag = remote.ufrag;
    it->second.etag = "\"" + RandomHex(12) + "\"";
    r.etag = it->second.etag;
  }
  spdlog::info("webrtc: {} in room {}: ICE restart", name, room);
  return r;
}

void WebRtcService::End(const std::string& id, bool leave, const std::string& why) {
  Session s;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    s = it->second;
    sessions_.erase(it);
  }
  spdlog::info("webrtc: {} in room {}: {}", s.name, s.room, why);
  if (leave && s.participant_id) (void)rooms_.LeaveRoom(s.room, s.participant_id);
  std::shared_ptr<PeerTransport> t = s.transport;
  boost::asio::post(shard_, [t] { t->Close(); });
}

}  // namespace tessera::webrtc
