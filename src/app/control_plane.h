// The control plane of one node (the `control` block): the HTTP API with its tokens, rate
// limits, metrics and webhooks, over the same ControlService the stdin console uses. It runs on
// the HTTP server's own io_context thread, never on a media thread.
#pragma once

#include <tessera/control/api.h>
#include <tessera/control/config.h>
#include <tessera/session/room_directory.h>

#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "app/config.h"

namespace tessera::sipua {
class SipService;
}
namespace tessera::webrtc {
class WebRtcService;
}

namespace tessera::control {
class Api;
class ControlService;
class HttpServer;
class JwtVerifier;
class HttpHandler;
class SipControl;
class RecorderClient;
class WebhookSender;
class WebRtcControl;
}  // namespace tessera::control

namespace tessera::app {

// The SIP user agent as the control plane sees it (calls, dial, hangup, stats).
std::unique_ptr<control::SipControl> MakeSipControl(sipua::SipService* sip);

// WHIP and WHEP as the control plane sees them; null when WebRTC is not enabled.
std::unique_ptr<control::WebRtcControl> MakeWebRtcControl(webrtc::WebRtcService* webrtc);

// The one service the console and the HTTP API share: rooms decoded by the config's own
// validators (same checks, same messages).
std::unique_ptr<control::ControlService> MakeControlService(session::RoomDirectory& rooms,
                                                            const Config& config,
                                                            control::SipControl* sip);

// Runs on: the main thread (Start, Reload, Drain, Stop); the API on the HTTP server's thread.
class ConsentGuard;

class ControlPlane {
 public:
  // `webrtc` (may be null: WHIP and WHEP answer 503, /join 404) outlives the control plane.
  ControlPlane(const control::ControlConfig& config, control::ControlService& service,
               session::RoomDirectory& rooms, control::SipControl* sip,
               control::WebRtcControl* webrtc = nullptr);
  ~ControlPlane();

  // Every API request and refused token goes to `hook` (AuditTrail::ApiHook). Before Start.
  // The recorder's events (recording.starting, .started, .failed, ...), for the audit trail.
  // Before Start.
  void SetRecordingEventHook(std::function<void(const nlohmann::json&)> hook) {
    recording_hook_ = std::move(hook);
  }
  void SetAuditHook(std::function<void(const control::ApiAuditRecord&)> hook) {
    audit_hook_ = std::move(hook);
  }
  // The cluster's placement (rooms elsewhere redirected, new rooms placed). Before Start.
  void SetPlacement(control::RoomPlacement* placement) { placement_ = placement; }
  // An event for the webhooks (the cluster's room.moved); from any thread once started.
  void EmitEvent(const nlohmann::json& event);

  // Keys loaded (or created where the config says so), listeners bound, thread started.
  // Errors name the key file, the address or the certificate and why.
  Status Start();
  // SIGHUP: the key file and the TLS certificate again. A file that fails keeps what was
  // loaded. The answer says what was applied, for the log.
  std::string Reload();
  // SIGTERM: readyz answers 503, no new rooms or joins (the directory refuses them).
  void Drain();
  void Stop();
  uint16_t port() const;
  uint16_t metrics_port() const;

 private:
  const control::ControlConfig config_;
  control::ControlService& service_;
  session::RoomDirectory& rooms_;
  control::SipControl* sip_;
  control::WebRtcControl* webrtc_;
  control::RoomPlacement* placement_ = nullptr;
  std::atomic<bool> draining_{false};
  std::function<void(const control::ApiAuditRecord&)> audit_hook_;
  std::function<void(const nlohmann::json&)> recording_hook_;
  std::unique_ptr<control::JwtVerifier> verifier_;
  std::unique_ptr<control::Api> api_;
  std::unique_ptr<control::HttpHandler> metrics_;
  std::unique_ptr<control::HttpServer> http_;
  std::shared_ptr<control::WebhookSender> webhooks_;
  std::unique_ptr<control::RecorderClient> recorder_;  // on http_'s io; null: cannot record
  std::shared_ptr<ConsentGuard> consent_guard_;        // stops recordings that lack consent
};

}  // namespace tessera::app
