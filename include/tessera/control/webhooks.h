// Events (webhooks): rooms and participants coming and going, POSTed as JSON to each URL of
// control.webhooks, signed with HMAC-SHA256 (docs: the API contract, "Events").
//
//   {"type":"room.started"|"room.ended"|"participant.joined"|"participant.left","room":"main",
//    "participant":{"id":1,"name":"alice"} (participant events only),
//    "time":"2026-12-06T10:00:00.123Z","id":"<unique event id>"}
//   X-Tessera-Signature: sha256=<hex HMAC-SHA256(secret, body)>
//   X-Tessera-Event-Id: <id>
//
// Each URL gets the events one at a time, in order. A try has 5 s to connect, send and get the
// answer's status line: 2xx is delivered; any other 1xx-4xx is refused and not tried again; a
// 5xx, a connection error or a timeout is tried again after 0.5, 1, 2, 4 and 8 s (six tries in
// all), then given up. At most 1000 events wait; more are dropped (and a warning is logged at
// most once a second). Counted in tessera_webhook_deliveries_total{result="ok"|"failed"|
// "dropped"}, one per event and URL.
//
// Runs on: the observer callbacks, Emit and Stop on any thread (the callbacks with the
// directory's lock held: they only build the event and post it); the deliveries on `io` (the
// control thread's, HttpServer::io()).
#pragma once

#include <tessera/base/metrics.h>
#include <tessera/base/status.h>
#include <tessera/control/config.h>
#include <tessera/control/http_client.h>
#include <tessera/session/room_directory.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace tessera::control {

class WebhookSender : public session::RoomObserver,
                      public std::enable_shared_from_this<WebhookSender> {
 public:
  // Reads each secret_file now (its bytes, trailing newlines stripped). InvalidArgument when a
  // URL is not http(s)://host[:port][/path] or a secret file is unreadable or empty; Internal
  // when the TLS client context (system CA certificates) cannot be made. `io` must outlive
  // every use of the sender until Stop() (after Stop it is no longer touched by Emit).
  static StatusOr<std::shared_ptr<WebhookSender>> Create(boost::asio::io_context& io,
                                                         std::vector<WebhookConfig> hooks);
  ~WebhookSender() override;
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // session::RoomObserver: each Emits its event.
  void OnRoomCreated(const std::string& room) override;
  void OnRoomEnded(const std::string& room) override;
  void OnParticipantJoined(const std::string& room, uint32_t id, const std::string& name) override;
  void OnParticipantLeft(const std::string& room, uint32_t id, const std::string& name) override;
  void OnConsentChangedBy(const std::string& room, uint32_t id, const std::string& name,
                          session::Consent consent, const std::string& source) override;

  // Queues `event` (a JSON object) for every URL, with "id" and "time" added when it has none.
  // Never blocks: a full queue drops it. Nothing after Stop().
  void Emit(nlohmann::json event);

  // Gives up on every queued and running delivery (counted as dropped); later events are
  // ignored. Call it while `io` still exists (it posts there), before the server stops.
  void Stop();

 private:
  struct Event;
  struct Target;
  enum class Outcome { kDelivered, kRefused, kRetry };

  WebhookSender(boost::asio::io_context& io, std::vector<std::unique_ptr<Target>> targets,
                std::unique_ptr<HttpClientTls> tls);

  std::string NextEventId();
  void WarnOverflow();
  // On io.
  void Enqueue(const std::shared_ptr<Event>& event);
  void StartNext(Target& target);
  void TryFront(Target& target);
  void OnTried(Target& target, Outcome outcome, std::string why);
  void FinishFront(Target& target);
  void Release(Event& event);
  void Abandon();

  boost::asio::io_context& io_;
  const std::vector<std::unique_ptr<Target>> targets_;  // their queues: on io
  const std::unique_ptr<HttpClientTls> tls_;            // null without https:// URLs
  const std::string id_prefix_;                         // random, per process
  std::atomic<uint64_t> next_id_{0};
  std::atomic<size_t> pending_{0};  // events queued and not yet finished by every URL
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> last_overflow_warning_us_;
  std::atomic<uint64_t> overflow_unwarned_{0};
  Counter& delivered_;
  Counter& failed_;
  Counter& dropped_;
};

}  // namespace tessera::control
