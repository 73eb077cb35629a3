#include <openssl/rand.h>
#include <tessera/base/logging.h>
#include <tessera/base/time_format.h>
#include <tessera/control/webhooks.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <utility>

#include "control/webhook_target.h"

namespace tessera::control {

namespace asio = boost::asio;

namespace {

constexpr size_t kMaxPending = 1000;
constexpr std::chrono::milliseconds kTryTimeout{5000};
// Only a receiver's status counts; its answer's body (a page, say) is read and dropped, and a large
// one is a failed try.
constexpr size_t kMaxAnswerBytes = 64 * 1024;
// The waits before the second to the sixth try.
constexpr std::array<std::chrono::milliseconds, 5> kRetryDelays = {
    std::chrono::milliseconds(500), std::chrono::milliseconds(1000),
    std::chrono::milliseconds(2000), std::chrono::milliseconds(4000),
    std::chrono::milliseconds(8000)};
constexpr int64_t kOverflowWarningIntervalUs = 1'000'000;
constexpr int64_t kNever = std::numeric_limits<int64_t>::min();

int64_t SteadyNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// 12 hex digits: event ids of two processes (or a restart) do not collide.
std::string RandomPrefix() {
  std::array<unsigned char, 6> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    std::random_device device;
    for (unsigned char& b : bytes) b = static_cast<unsigned char>(device());
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string prefix;
  for (const unsigned char b : bytes) {
    prefix.push_back(kHex[b >> 4]);
    prefix.push_back(kHex[b & 0x0f]);
  }
  return prefix;
}

}  // namespace

struct WebhookSender::Event {
  std::string id;
  std::string type;
  std::string body;
  size_t remaining = 0;  // URLs not finished with it (on io)
};

// One URL: its queue, delivered front first. Runs on: io (the parsed URL and the secret are set
// at Create and only read).
struct WebhookSender::Target {
  std::string url;
  HttpUrl where;
  std::string secret;
  std::deque<std::shared_ptr<Event>> queue;
  bool busy = false;  // the front is being tried or waits for its next try
  size_t tries = 0;   // of the front
  std::weak_ptr<HttpExchange> attempt;
  std::weak_ptr<asio::steady_timer> backoff;
};

StatusOr<std::shared_ptr<WebhookSender>> WebhookSender::Create(asio::io_context& io,
                                                               std::vector<WebhookConfig> hooks) {
  std::vector<std::unique_ptr<Target>> targets;
  bool any_tls = false;
  for (size_t i = 0; i < hooks.size(); ++i) {
    const std::string where = "control.webhooks[" + std::to_string(i) + "]";
    auto url = ParseHttpUrl(hooks[i].url, where + ".url");
    if (!url.ok()) return url.status();
    auto secret = ReadSecret(hooks[i].secret_file, where + ".secret_file");
    if (!secret.ok()) return secret.status();
    auto target = std::make_unique<Target>();
    target->url = hooks[i].url;
    target->where = std::move(url.value());
    target->secret = std::move(secret.value());
    any_tls = any_tls || target->where.tls;
    targets.push_back(std::move(target));
  }
  std::unique_ptr<HttpClientTls> tls;
  if (any_tls) {
    auto made = HttpClientTls::Create();
    if (!made.ok()) return InternalError("control: webhooks: " + made.status().message());
    tls = std::move(made.value());
  }
  std::shared_ptr<WebhookSender> sender(new WebhookSender(io, std::move(targets), std::move(tls)));
  return sender;
}

WebhookSender::WebhookSender(asio::io_context& io, std::vector<std::unique_ptr<Target>> targets,
                             std::unique_ptr<HttpClientTls> tls)
    : io_(io),
      targets_(std::move(targets)),
      tls_(std::move(tls)),
      id_prefix_(RandomPrefix()),
      last_overflow_warning_us_(kNever),
      delivered_(
          GlobalMetrics().GetCounter("tessera_webhook_deliveries_total", {{"result", "ok"}})),
      failed_(
          GlobalMetrics().GetCounter("tessera_webhook_deliveries_total", {{"result", "failed"}})),
      dropped_(GlobalMetrics().GetCounter("tessera_webhook_deliveries_total",
                                          {{"result", "dropped"}})) {}

WebhookSender::~WebhookSender() = default;

void WebhookSender::OnRoomCreated(const std::string& room) {
  Emit({{"type", "room.started"}, {"room", room}});
}

void WebhookSender::OnRoomEnded(const std::string& room) {
  Emit({{"type", "room.ended"}, {"room", room}});
}

void WebhookSender::OnParticipantJoined(const std::string& room, uint32_t id,
                                        const std::string& name) {
  Emit({{"type", "participant.joined"},
        {"room", room},
        {"participant", {{"id", id}, {"name", name}}}});
}

void WebhookSender::OnParticipantLeft(const std::string& room, uint32_t id,
                                      const std::string& name) {
  Emit({{"type", "participant.left"},
        {"room", room},
        {"participant", {{"id", id}, {"name", name}}}});
}

void WebhookSender::OnConsentChangedBy(const std::string& room, uint32_t id,
                                       const std::string& name, session::Consent consent,
                                       const std::string& source) {
  Emit({{"type", "consent.changed"},
        {"room", room},
        {"participant", {{"id", id}, {"name", name}}},
        {"consent", session::ConsentName(consent)},
        {"source", source}});
}

std::string WebhookSender::NextEventId() {
  return id_prefix_ + "-" + std::to_string(next_id_.fetch_add(1) + 1);
}

void WebhookSender::Emit(nlohmann::json event) {
  if (stopped_.load() || targets_.empty()) return;
  if (!event.is_object()) {
    spdlog::warn("control: a webhook event that is not a JSON object was not sent");
    return;
  }
  if (pending_.fetch_add(1) >= kMaxPending) {
    pending_.fetch_sub(1);
    dropped_.Add(targets_.size());
    WarnOverflow();
    return;
  }
  if (!event.contains("id")) event["id"] = NextEventId();
  if (!event.contains("time")) event["time"] = NowRfc3339Ms();
  auto queued = std::make_shared<Event>();
  const nlohmann::json& id = event.at("id");
  queued->id = id.is_string() ? id.get<std::string>() : id.dump();
  if (event.contains("type") && event.at("type").is_string()) {
    queued->type = event.at("type").get<std::string>();
  }
  // replace: a name that is not UTF-8 must not make dump() throw on the directory's thread.
  queued->body = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  queued->remaining = targets_.size();
  asio::post(io_, [self = shared_from_this(), queued] { self->Enqueue(queued); });
}

void WebhookSender::WarnOverflow() {
  overflow_unwarned_.fetch_add(1);
  const int64_t now = SteadyNowUs();
  int64_t last = last_overflow_warning_us_.load();
  if (last != kNever && now - last < kOverflowWarningIntervalUs) return;
  if (!last_overflow_warning_us_.compare_exchange_strong(last, now)) return;  // another thread
  spdlog::warn("control: {} webhook events wait already; {} more dropped", kMaxPending,
               overflow_unwarned_.exchange(0));
}

void WebhookSender::Stop() {
  if (stopped_.exchange(true)) return;
  asio::post(io_, [self = shared_from_this()] { self->Abandon(); });
}

void WebhookSender::Enqueue(const std::shared_ptr<Event>& event) {
  if (stopped_.load()) {
    dropped_.Add(event->remaining);
    event->remaining = 0;
    pending_.fetch_sub(1);
    return;
  }
  for (const auto& target : targets_) {
    target->queue.push_back(event);
    if (!target->busy) StartNext(*target);
  }
}

void WebhookSender::StartNext(Target& target) {
  if (stopped_.load() || target.queue.empty()) {
    target.busy = false;
    return;
  }
  target.busy = true;
  target.tries = 0;
  TryFront(target);
}

void WebhookSender::TryFront(Target& target) {
  ++target.tries;
  const Event& event = *target.queue.front();
  HttpClientRequest request;
  request.method = "POST";
  request.content_type = "application/json";
  request.headers = {{"X-Tessera-Signature", "sha256=" + HmacSha256Hex(target.secret, event.body)},
                     {"X-Tessera-Event-Id", event.id}};
  request.body = event.body;
  request.timeout = kTryTimeout;
  request.max_body_bytes = kMaxAnswerBytes;
  auto attempt = HttpExchange::Start(
      io_, target.where, tls_.get(), std::move(request),
      [self = shared_from_this(), t = &target](StatusOr<HttpClientReply> reply) {
        if (!reply.ok()) {
          self->OnTried(*t, Outcome::kRetry, reply.status().message());
          return;
        }
        const unsigned status = reply->status;
        const std::string why = "answered " + std::to_string(status);
        if (status >= 200 && status < 300) {
          self->OnTried(*t, Outcome::kDelivered, why);
        } else if (status >= 500) {
          self->OnTried(*t, Outcome::kRetry, why);
        } else {
          self->OnTried(*t, Outcome::kRefused, why);
        }
      });
  target.attempt = attempt;
}

void WebhookSender::OnTried(Target& target, Outcome outcome, std::string why) {
  if (stopped_.load()) return;  // Abandon counted what was queued
  const Event& event = *target.queue.front();
  switch (outcome) {
    case Outcome::kDelivered:
      delivered_.Add();
      spdlog::debug("control: webhook {} got event {} ({})", target.url, event.id, event.type);
      break;
    case Outcome::kRefused:
      failed_.Add();
      spdlog::warn("control: webhook {} refused event {} ({}): {}; not tried again", target.url,
                   event.id, event.type, why);
      break;
    case Outcome::kRetry:
      if (target.tries <= kRetryDelays.size()) {
        const std::chrono::milliseconds delay = kRetryDelays[target.tries - 1];
        spdlog::info("control: webhook {}: try {} of event {} failed ({}); again in {} ms",
                     target.url, target.tries, event.id, why, delay.count());
        auto timer = std::make_shared<asio::steady_timer>(io_, delay);
        target.backoff = timer;
        timer->async_wait(
            [self = shared_from_this(), t = &target, timer](const boost::system::error_code& ec) {
              if (ec || self->stopped_.load()) return;
              self->TryFront(*t);
            });
        return;
      }
      failed_.Add();
      spdlog::warn("control: webhook {} gave up on event {} ({}) after {} tries: {}", target.url,
                   event.id, event.type, target.tries, why);
      break;
  }
  FinishFront(target);
}

void WebhookSender::FinishFront(Target& target) {
  const std::shared_ptr<Event> event = std::move(target.queue.front());
  target.queue.pop_front();
  Release(*event);
  StartNext(target);
}

void WebhookSender::Release(Event& event) {
  if (event.remaining == 0) return;
  if (--event.remaining == 0) pending_.fetch_sub(1);
}

void WebhookSender::Abandon() {
  for (const auto& target : targets_) {
    if (const auto attempt = target->attempt.lock()) attempt->Cancel();
    if (const auto timer = target->backoff.lock()) timer->cancel();
    for (const auto& event : target->queue) {
      dropped_.Add();
      Release(*event);
    }
    target->queue.clear();
    target->busy = false;
  }
}

}  // namespace tessera::control
