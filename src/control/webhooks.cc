#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <tessera/base/logging.h>
#include <tessera/control/webhooks.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <exception>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <utility>

#include "control/webhook_target.h"

namespace tessera::control {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr size_t kMaxPending = 1000;
constexpr std::chrono::seconds kTryTimeout{5};
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

// ISO 8601 UTC with milliseconds: "2026-12-06T10:00:00.123Z".
std::string NowIso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::array<char, 32> text{};
  const size_t n = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(text.data(), n);
  out.push_back('.');
  out.push_back(static_cast<char>('0' + ms / 100));
  out.push_back(static_cast<char>('0' + ms / 10 % 10));
  out.push_back(static_cast<char>('0' + ms % 10));
  out.push_back('Z');
  return out;
}

}  // namespace

struct WebhookSender::ClientTls {
  ClientTls() : context(asio::ssl::context::tls_client) {}
  asio::ssl::context context;
};

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
  ParsedUrl where;
  std::string secret;
  std::deque<std::shared_ptr<Event>> queue;
  bool busy = false;  // the front is being tried or waits for its next try
  size_t tries = 0;   // of the front
  std::weak_ptr<Attempt> attempt;
  std::weak_ptr<asio::steady_timer> backoff;
};

// One try of one event to one URL: resolve, connect, TLS handshake (https), POST, read the
// answer's header; all within kTryTimeout. Reports once through `done` (not after Cancel).
// Runs on: io.
class WebhookSender::Attempt : public std::enable_shared_from_this<Attempt> {
 public:
  using Done = std::function<void(Outcome, std::string)>;

  Attempt(asio::io_context& io, ParsedUrl where, asio::ssl::context* tls,
          http::request<http::string_body> request, Done done)
      : where_(std::move(where)),
        resolver_(io),
        deadline_(io),
        request_(std::move(request)),
        done_(std::move(done)) {
    if (where_.tls) {
      tls_stream_.emplace(io, *tls);
    } else {
      plain_.emplace(io);
    }
  }

  void Start() {
    deadline_.expires_after(kTryTimeout);
    deadline_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      const auto self = weak.lock();
      if (!self || self->finished_) return;
      self->timed_out_ = true;
      self->Abort();
    });
    resolver_.async_resolve(where_.host, where_.port,
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        tcp::resolver::results_type results) {
                              self->OnResolved(ec, results);
                            });
  }

  // The sender stops: nothing more is reported.
  void Cancel() {
    finished_ = true;
    Abort();
  }

 private:
  beast::tcp_stream& Lowest() {
    return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *plain_;
  }

  // Ends what is pending: its handlers run with an error.
  void Abort() {
    resolver_.cancel();
    deadline_.cancel();
    Lowest().close();
  }

  void OnResolved(const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
    if (finished_) return;
    if (ec) {
      Fail("cannot resolve " + where_.host + ": " + ec.message());
      return;
    }
    Lowest().async_connect(results, [self = shared_from_this()](
                                        const boost::system::error_code& connect_ec,
                                        const tcp::endpoint&) { self->OnConnected(connect_ec); });
  }

  void OnConnected(const boost::system::error_code& ec) {
    if (finished_) return;
    if (ec) {
      Fail("cannot connect: " + ec.message());
      return;
    }
    if (!tls_stream_) {
      Send(*plain_);
      return;
    }
    // SNI for a name (RFC 6066 3: never for an address); the certificate must name the host.
    if (!IsIpLiteral(where_.host) &&
        SSL_set_tlsext_host_name(tls_stream_->native_handle(), where_.host.c_str()) != 1) {
      Fail("cannot set the TLS server name");
      return;
    }
    boost::system::error_code verify_ec;
    tls_stream_->set_verify_callback(asio::ssl::host_name_verification(where_.host), verify_ec);
    if (verify_ec) {
      Fail("cannot set the certificate check: " + verify_ec.message());
      return;
    }
    tls_stream_->async_handshake(
        asio::ssl::stream_base::client,
        [self = shared_from_this()](const boost::system::error_code& handshake_ec) {
          if (self->finished_) return;
          if (handshake_ec) {
            self->Fail("TLS handshake failed: " + handshake_ec.message());
            return;
          }
          self->Send(*self->tls_stream_);
        });
  }

  template <class Stream>
  void Send(Stream& stream) {
    http::async_write(
        stream, request_,
        [self = shared_from_this(), &stream](const boost::system::error_code& ec, size_t) {
          if (self->finished_) return;
          if (ec) {
            self->Fail("cannot send: " + ec.message());
            return;
          }
          http::async_read_header(stream, self->buffer_, self->parser_,
                                  [self](const boost::system::error_code& read_ec, size_t) {
                                    self->OnAnswer(read_ec);
                                  });
        });
  }

  void OnAnswer(const boost::system::error_code& ec) {
    if (finished_) return;
    if (ec) {
      Fail("no answer: " + ec.message());
      return;
    }
    const unsigned status = parser_.get().result_int();
    const std::string why = "answered " + std::to_string(status);
    if (status >= 200 && status < 300) {
      Finish(Outcome::kDelivered, why);
    } else if (status >= 500) {
      Finish(Outcome::kRetry, why);
    } else {
      Finish(Outcome::kRefused, why);
    }
  }

  void Fail(std::string why) {
    Finish(Outcome::kRetry, timed_out_
                                ? "no answer within " + std::to_string(kTryTimeout.count()) + " s"
                                : std::move(why));
  }

  void Finish(Outcome outcome, std::string why) {
    if (finished_) return;
    finished_ = true;
    Abort();
    Done done = std::move(done_);
    done(outcome, std::move(why));
  }

  const ParsedUrl where_;
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::empty_body> parser_;
  Done done_;
  bool timed_out_ = false;
  bool finished_ = false;
};

StatusOr<std::shared_ptr<WebhookSender>> WebhookSender::Create(asio::io_context& io,
                                                               std::vector<WebhookConfig> hooks) {
  std::vector<std::unique_ptr<Target>> targets;
  bool any_tls = false;
  for (size_t i = 0; i < hooks.size(); ++i) {
    const std::string where = "control.webhooks[" + std::to_string(i) + "]";
    auto url = ParseUrl(hooks[i].url, where);
    if (!url.ok()) return url.status();
    auto secret = ReadSecret(hooks[i].secret_file, where);
    if (!secret.ok()) return secret.status();
    auto target = std::make_unique<Target>();
    target->url = hooks[i].url;
    target->where = std::move(url.value());
    target->secret = std::move(secret.value());
    any_tls = any_tls || target->where.tls;
    targets.push_back(std::move(target));
  }
  std::unique_ptr<ClientTls> tls;
  if (any_tls) {
    try {
      tls = std::make_unique<ClientTls>();
    } catch (const std::exception& e) {
      return InternalError(std::string("control: cannot create the webhooks' TLS context: ") +
                           e.what());
    }
    if (SSL_CTX_set_min_proto_version(tls->context.native_handle(), TLS1_2_VERSION) != 1) {
      return InternalError("control: cannot require TLS 1.2 for webhooks");
    }
    boost::system::error_code ec;
    tls->context.set_default_verify_paths(ec);
    if (!ec) tls->context.set_verify_mode(asio::ssl::verify_peer, ec);
    if (ec) {
      return InternalError("control: cannot load the system's CA certificates for webhooks: " +
                           ec.message());
    }
  }
  std::shared_ptr<WebhookSender> sender(new WebhookSender(io, std::move(targets), std::move(tls)));
  return sender;
}

WebhookSender::WebhookSender(asio::io_context& io, std::vector<std::unique_ptr<Target>> targets,
                             std::unique_ptr<ClientTls> tls)
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
  if (!event.contains("time")) event["time"] = NowIso8601();
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
  http::request<http::string_body> request(http::verb::post, target.where.target, 11);
  request.set(http::field::host, target.where.host_header);
  request.set(http::field::user_agent, "tessera");
  request.set(http::field::content_type, "application/json");
  request.set("X-Tessera-Signature", "sha256=" + HmacSha256Hex(target.secret, event.body));
  request.set("X-Tessera-Event-Id", event.id);
  request.keep_alive(false);
  request.body() = event.body;
  request.prepare_payload();
  auto attempt = std::make_shared<Attempt>(
      io_, target.where, tls_ ? &tls_->context : nullptr, std::move(request),
      [self = shared_from_this(), t = &target](Outcome outcome, std::string why) {
        self->OnTried(*t, outcome, std::move(why));
      });
  target.attempt = attempt;
  attempt->Start();
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
