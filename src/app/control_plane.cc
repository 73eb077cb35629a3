#include "app/control_plane.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <tessera/control/api.h>
#include <tessera/control/http_server.h>
#include <tessera/control/jwt.h>
#include <tessera/control/metrics_exporter.h>
#include <tessera/control/recordings.h>
#include <tessera/control/service.h>
#include <tessera/control/sip_control.h>
#include <tessera/control/webhooks.h>
#include <tessera/control/webrtc_control.h>
#include <tessera/sipua/sip_service.h>
#include <tessera/webrtc/webrtc_service.h>

#include <nlohmann/json.hpp>

#include "app/web_pages_html.h"

namespace tessera::app {
namespace {

class SipServiceControl final : public control::SipControl {
 public:
  explicit SipServiceControl(sipua::SipService& sip) : sip_(sip) {}
  StatusOr<nlohmann::json> ListCalls() override { return sip_.Calls(); }
  StatusOr<std::string> Dial(const std::string& room, const std::string& uri,
                             const std::string& name) override {
    return sip_.DialOut(room, uri, name);
  }
  Status Hangup(const std::string& call_id) override { return sip_.Hangup(call_id); }
  StatusOr<nlohmann::json> Stats() override { return sip_.Stats(); }

 private:
  sipua::SipService& sip_;
};

}  // namespace

// Stops a room's recording as soon as someone seen or heard there has not granted consent: a
// participant who joins without it, or one who withdraws it. Not under the room's "exclude"
// policy: there the recording leaves them out (session::RoomService). The directory calls it with
// its lock held: the check runs later, on the control thread, where the recordings live.
class ConsentGuard final : public session::RoomObserver {
 public:
  ConsentGuard(control::HttpServer& http, control::ControlService& service,
               control::RecorderClient& recorder)
      : http_(http), service_(service), recorder_(recorder) {}
  void OnParticipantJoined(const std::string& room, uint32_t, const std::string&) override {
    Check(room);
  }
  void OnConsentChanged(const std::string& room, uint32_t, const std::string&,
                        session::Consent) override {
    Check(room);
  }
  // Before the server stops: the directory outlives this control plane.
  void Stop() { stopped_ = true; }

  // Also when a recording starts, or is taken in after a restart: someone may have joined
  // without consent while it was starting.
  void Check(const std::string& room) {
    if (stopped_.load()) return;
    http_.Post([this, room] {
      if (recorder_.List(room)["recordings"].empty()) return;
      auto lacking = service_.BlockingRecording(room);
      if (!lacking.ok() || lacking->empty()) return;
      std::string names;
      for (const std::string& n : *lacking) names += (names.empty() ? "" : ", ") + n;
      recorder_.StopAll(room, "consent not granted by " + names);
    });
  }

 private:
  control::HttpServer& http_;
  control::ControlService& service_;
  control::RecorderClient& recorder_;
  std::atomic<bool> stopped_{false};
};

// GET /metrics on the metrics port: no token (the HTTP server answers 404 to anything else).
class MetricsPortHandler final : public control::HttpHandler {
 public:
  explicit MetricsPortHandler(std::function<std::string()> render) : render_(std::move(render)) {}
  control::HttpResponse Handle(const control::HttpRequest&) override {
    control::HttpResponse r;
    r.content_type = std::string(control::kMetricsContentType);
    r.body = render_();
    return r;
  }

 private:
  std::function<std::string()> render_;
};

namespace {

class WebRtcServiceControl final : public control::WebRtcControl {
 public:
  explicit WebRtcServiceControl(webrtc::WebRtcService* webrtc) : webrtc_(webrtc) {}
  StatusOr<control::WebRtcOpenAnswer> Open(const control::WebRtcOpenRequest& request) override {
    webrtc::WebRtcOffer offer;
    offer.kind =
        request.view ? webrtc::BrowserSessionKind::kView : webrtc::BrowserSessionKind::kPublish;
    offer.room = request.room;
    offer.sdp = request.offer_sdp;
    offer.name = request.name;
    offer.source_address = request.source_address;
    offer.consent = session::ConsentFromName(request.consent).value_or(session::Consent::kUnknown);
    auto r = webrtc_->Open(offer);
    if (!r.ok()) return r.status();
    return control::WebRtcOpenAnswer{r->id, r->answer_sdp, r->etag};
  }
  Status Close(bool view, const std::string& room, const std::string& id) override {
    return webrtc_->Close(Kind(view), room, id);
  }
  StatusOr<control::WebRtcPatchAnswer> Patch(bool view, const std::string& room,
                                             const std::string& id, const std::string& if_match,
                                             const std::string& fragment) override {
    auto r = webrtc_->Patch(Kind(view), room, id, if_match, fragment);
    if (!r.ok()) return r.status();
    return control::WebRtcPatchAnswer{r->restarted, r->fragment, r->etag};
  }
  std::vector<control::WebRtcIceServer> IceServers() override {
    std::vector<control::WebRtcIceServer> out;
    for (const auto& s : webrtc_->IceServers()) {
      out.push_back({s.url, s.credential.username, s.credential.password});
    }
    return out;
  }

 private:
  static webrtc::BrowserSessionKind Kind(bool view) {
    return view ? webrtc::BrowserSessionKind::kView : webrtc::BrowserSessionKind::kPublish;
  }
  webrtc::WebRtcService* webrtc_;
};

}  // namespace

std::unique_ptr<control::WebRtcControl> MakeWebRtcControl(webrtc::WebRtcService* webrtc) {
  if (!webrtc) return nullptr;
  return std::make_unique<WebRtcServiceControl>(webrtc);
}

std::unique_ptr<control::SipControl> MakeSipControl(sipua::SipService* sip) {
  if (!sip) return nullptr;
  return std::make_unique<SipServiceControl>(*sip);
}

std::unique_ptr<control::ControlService> MakeControlService(session::RoomDirectory& rooms,
                                                            const Config& config,
                                                            control::SipControl* sip) {
  control::ControlHooks hooks;
  hooks.decode_room = [hardware = config.hardware](const nlohmann::json& body) {
    return RoomConfigFromJson(body, hardware);
  };
  hooks.decode_participant = [](const nlohmann::json& body) {
    return RoomParticipantFromJson(body);
  };
  hooks.sip = sip;
  return std::make_unique<control::ControlService>(rooms, std::move(hooks));
}

ControlPlane::ControlPlane(const control::ControlConfig& config, control::ControlService& service,
                           session::RoomDirectory& rooms, control::SipControl* sip,
                           control::WebRtcControl* webrtc)
    : config_(config), service_(service), rooms_(rooms), sip_(sip), webrtc_(webrtc) {}

ControlPlane::~ControlPlane() { Stop(); }

namespace {

// The key file's keys; with create, a missing file is made first (one HS256 key, mode 0600).
StatusOr<std::vector<control::JwtKey>> LoadKeys(const control::ControlConfig& c) {
  if (c.keys_file.empty()) return std::vector<control::JwtKey>{};
  struct stat st {};
  if (c.create_keys_file && ::stat(c.keys_file.c_str(), &st) != 0) {
    const std::string kid = control::NewKid();
    if (Status s = control::CreateKeyFile(c.keys_file, control::JwtKey::Alg::kHs256, kid);
        !s.ok()) {
      return Status(s.code(), "control.keys_file: " + s.message());
    }
    spdlog::info(
        "control: created the key file {} with one HS256 key (kid {}); mint a token with "
        "tessera-token --keys {} --role admin",
        c.keys_file, kid, c.keys_file);
  }
  auto keys = control::LoadJwtKeys(c.keys_file);
  if (!keys.ok())
    return Status(keys.status().code(), "control.keys_file: " + keys.status().message());
  return keys;
}

}  // namespace

Status ControlPlane::Start() {
  auto keys = LoadKeys(config_);
  if (!keys.ok()) return keys.status();
  if (keys->empty()) {
    spdlog::warn("control: no keys_file: every request but /healthz and /readyz is refused (401)");
  }
  control::JwtVerifier::Options auth;
  auth.issuer = config_.issuer;
  auth.audience = config_.audience;
  auth.max_lifetime_s = config_.max_token_lifetime_s;
  verifier_ = std::make_unique<control::JwtVerifier>(std::move(*keys), auth);

  const control::SipStatsFn sip_stats = control::SipStatsFrom(sip_);
  auto render = [this, sip_stats] { return control::RenderMetrics(rooms_, sip_stats); };
  control::ApiOptions options = control::ApiOptionsFrom(config_);
  options.ready = [this] { return !draining_.load() && !rooms_.draining(); };
  options.render_metrics = render;
  options.webrtc = webrtc_;
  options.audit = audit_hook_;
  options.placement = placement_;
  if (webrtc_) options.join_page = kJoinPageHtml;
  options.console_page = kConsolePageHtml;
  api_ = std::make_unique<control::Api>(service_, verifier_.get(), std::move(options));
  if (config_.metrics_port) metrics_ = std::make_unique<MetricsPortHandler>(render);
  http_ = std::make_unique<control::HttpServer>(config_, *api_, metrics_.get());
  if (!config_.recorder.url.empty()) {
    // Its events go where the rooms' go; the webhook sender exists once the server runs, and the
    // recorder's answers come on the server's thread only after that.
    auto recorder = control::RecorderClient::Create(
        http_->io(), config_.recorder, [this](const nlohmann::json& event) {
          if (webhooks_) webhooks_->Emit(event);
          if (recording_hook_) recording_hook_(event);
          if (consent_guard_ && event.value("type", "") == "recording.started") {
            consent_guard_->Check(event.value("room", ""));
          }
        });
    if (!recorder.ok()) return recorder.status();
    recorder_ = std::move(recorder.value());
    api_->SetRecordings(recorder_.get());
    consent_guard_ = std::make_shared<ConsentGuard>(*http_, service_, *recorder_);
    rooms_.AddObserver(consent_guard_);
    spdlog::info("control: recordings go to the recorder at {}", config_.recorder.url);
  } else {
    spdlog::info(
        "control: no recorder (control.recorder): this node cannot record through the API");
  }
  // The webhook sender before the server's thread runs: the recorder's events go to it from there.
  if (!config_.webhooks.empty()) {
    auto sender = control::WebhookSender::Create(http_->io(), config_.webhooks);
    if (!sender.ok()) return sender.status();
    webhooks_ = std::move(*sender);
    rooms_.AddObserver(webhooks_);
    spdlog::info("control: {} webhook(s) get room and participant events", config_.webhooks.size());
  }
  if (Status started = http_->Start(); !started.ok()) {
    if (webhooks_) webhooks_->Stop();  // it stays an observer of the rooms: it must go quiet
    return started;
  }
  if (recorder_) http_->Post([recorder = recorder_.get()] { recorder->Resume(); });
  return Status::Ok();
}

std::string ControlPlane::Reload() {
  std::string out;
  if (!config_.keys_file.empty()) {
    auto keys = control::LoadJwtKeys(config_.keys_file);
    if (keys.ok()) {
      const size_t n = keys->size();
      verifier_->SetKeys(std::move(*keys));
      out = "reloaded " + std::to_string(n) + " key(s) from " + config_.keys_file;
    } else {
      out = "keys not reloaded, the old ones stay: " + keys.status().message();
    }
  } else {
    out = "no keys_file to reload";
  }
  if (!config_.tls_cert_file.empty()) {
    const Status s = http_->ReloadTls();
    out += s.ok() ? "; reloaded the TLS certificate " + config_.tls_cert_file
                  : "; TLS certificate not reloaded, the old one stays: " + s.message();
  }
  return out;
}

void ControlPlane::Drain() { draining_ = true; }

void ControlPlane::EmitEvent(const nlohmann::json& event) {
  if (webhooks_) webhooks_->Emit(event);
}

void ControlPlane::Stop() {
  // The webhook sender first: it posts to the HTTP server's io_context.
  if (webhooks_) webhooks_->Stop();
  if (consent_guard_) consent_guard_->Stop();
  if (http_) http_->Stop();
  // Its requests in flight hold sockets of the server's io_context: closed while that exists.
  if (recorder_) recorder_->Shutdown();
}

uint16_t ControlPlane::port() const { return http_ ? http_->port() : 0; }
uint16_t ControlPlane::metrics_port() const { return http_ ? http_->metrics_port() : 0; }

}  // namespace tessera::app
