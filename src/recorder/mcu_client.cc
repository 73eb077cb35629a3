#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <tessera/base/base64.h>
#include <tessera/base/percent.h>
#include <tessera/recorder/mcu_client.h>
#include <tessera/srtp/sdes.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <exception>
#include <nlohmann/json.hpp>
#include <utility>

#include "control/webhook_target.h"

namespace tessera::recorder {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {
constexpr size_t kMaxAnswerBytes = 1 << 20;
}  // namespace

StatusOr<SrtpKeys> GenerateSrtpKeys(srtp::SrtpSuite suite) {
  SrtpKeys keys;
  keys.suite = suite;
  auto key = srtp::GenerateSrtpKey(suite);
  if (!key.ok()) return key.status();
  auto send_key = srtp::GenerateSrtpKey(suite);
  if (!send_key.ok()) return send_key.status();
  keys.key = std::move(*key);
  keys.send_key = std::move(*send_key);
  keys.key_inline = "inline:" + EncodeBase64(keys.key);
  keys.send_key_inline = "inline:" + EncodeBase64(keys.send_key);
  return keys;
}

nlohmann::json JoinBody(const McuClientConfig& c) {
  nlohmann::json body = {
      {"name", c.participant_name},
      // It sends nothing: no tile in the layout, no voice in the mix.
      {"receive_only", true},
      {"remote_address", c.media_address},
      {"remote_rtp_port", c.audio_port},
      {"rtcp_mux", true},
      {"audio",
       {{"codec", "opus"}, {"payload_type", c.audio_payload_type}, {"channels", c.audio_channels}}},
      {"srtp",
       {{"suite", std::string(srtp::SrtpSuiteName(c.keys.suite))},
        {"key", c.keys.key_inline},
        {"send_key", c.keys.send_key_inline}}},
  };
  if (c.video_codec && c.video_port) {
    nlohmann::json v = {{"send", false},
                        {"remote_rtp_port", c.video_port},
                        {"rtcp_mux", true},
                        {"receive_payload_type", c.video_payload_type},
                        // A recording keeps its profile whatever its feedback says.
                        {"adapt", false}};
    if (!c.profile.empty()) v["profile"] = c.profile;
    body["video"] = std::move(v);
  }
  return body;
}

struct McuClient::Answer {
  int status = 0;        // HTTP status; 0: no answer (error says why)
  std::string error;     // connection, TLS or timeout
  bool refused = false;  // the connection was refused (the MCU is down or restarting)
  std::string body;
};

struct McuClient::Impl {
  control::ParsedUrl where;
  std::string base_path;  // the URL's path without a trailing '/'
  std::optional<asio::ssl::context> tls;
  std::weak_ptr<Call> in_flight;
};

// One request: resolve, connect, TLS (https), write, read the whole answer, within a deadline.
// Reports once through `done` (never after Cancel). Runs on: io.
class McuClient::Call : public std::enable_shared_from_this<Call> {
 public:
  using Done = std::function<void(const Answer&)>;

  Call(asio::io_context& io, const control::ParsedUrl& where, asio::ssl::context* tls,
       http::request<http::string_body> request, int64_t timeout_ms, Done done)
      : where_(where),
        resolver_(io),
        deadline_(io),
        request_(std::move(request)),
        timeout_ms_(timeout_ms),
        done_(std::move(done)) {
    if (where_.tls) {
      tls_stream_.emplace(io, *tls);
    } else {
      plain_.emplace(io);
    }
    parser_.body_limit(kMaxAnswerBytes);
  }

  void Start() {
    deadline_.expires_after(std::chrono::milliseconds(timeout_ms_));
    deadline_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      const auto self = weak.lock();
      if (ec || !self || self->finished_) return;
      self->Finish(Failed("no answer within " + std::to_string(self->timeout_ms_) + " ms"));
    });
    resolver_.async_resolve(where_.host, where_.port,
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        tcp::resolver::results_type results) {
                              if (self->finished_) return;
                              if (ec)
                                return self->Finish(Failed("cannot resolve " + self->where_.host));
                              self->Lowest().async_connect(
                                  results,
                                  [self](const boost::system::error_code& cec,
                                         const tcp::endpoint&) { self->OnConnected(cec); });
                            });
  }

  static Answer Failed(std::string why) {
    Answer a;
    a.error = std::move(why);
    return a;
  }

  void Cancel() {
    finished_ = true;
    Abort();
  }

 private:
  beast::tcp_stream& Lowest() {
    return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *plain_;
  }

  void Abort() {
    resolver_.cancel();
    deadline_.cancel();
    boost::system::error_code ignored;
    Lowest().socket().close(ignored);
  }

  void OnConnected(const boost::system::error_code& ec) {
    if (finished_) return;
    if (ec) {
      Answer a = Failed("cannot connect: " + ec.message());
      a.refused = ec == asio::error::connection_refused;
      return Finish(std::move(a));
    }
    if (!tls_stream_) return Send(*plain_);
    if (!control::IsIpLiteral(where_.host) &&
        SSL_set_tlsext_host_name(tls_stream_->native_handle(), where_.host.c_str()) != 1) {
      return Finish(Failed("cannot set the TLS server name"));
    }
    boost::system::error_code verify_ec;
    tls_stream_->set_verify_callback(asio::ssl::host_name_verification(where_.host), verify_ec);
    if (verify_ec) return Finish(Failed("cannot set the certificate check"));
    tls_stream_->async_handshake(
        asio::ssl::stream_base::client,
        [self = shared_from_this()](const boost::system::error_code& hec) {
          if (self->finished_) return;
          if (hec) {
            return self->Finish(Failed("TLS handshake failed: " + hec.message()));
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
          if (ec) return self->Finish(Failed("cannot send: " + ec.message()));
          http::async_read(stream, self->buffer_, self->parser_,
                           [self](const boost::system::error_code& rec, size_t) {
                             if (self->finished_) return;
                             if (rec) return self->Finish(Failed("no answer: " + rec.message()));
                             Answer a;
                             a.status = static_cast<int>(self->parser_.get().result_int());
                             a.body = self->parser_.get().body();
                             self->Finish(std::move(a));
                           });
        });
  }

  void Finish(Answer answer) {
    if (finished_) return;
    finished_ = true;
    Abort();
    Done done = std::move(done_);
    done(answer);
  }

  const control::ParsedUrl where_;
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  const int64_t timeout_ms_;
  Done done_;
  bool finished_ = false;
};

StatusOr<std::shared_ptr<McuClient>> McuClient::Create(asio::io_context& io, McuClientConfig config,
                                                       GapHandler on_gap) {
  auto impl = std::make_unique<Impl>();
  auto url = control::ParseUrl(config.url, "mcu.url");
  if (!url.ok()) return url.status();
  impl->where = std::move(*url);
  impl->base_path = impl->where.target;
  while (!impl->base_path.empty() && impl->base_path.back() == '/') impl->base_path.pop_back();
  if (impl->where.tls) {
    try {
      impl->tls.emplace(asio::ssl::context::tls_client);
    } catch (const std::exception& e) {
      return InternalError(std::string("mcu.url: cannot create a TLS context: ") + e.what());
    }
    if (SSL_CTX_set_min_proto_version(impl->tls->native_handle(), TLS1_2_VERSION) != 1) {
      return InternalError("mcu.url: cannot require TLS 1.2");
    }
    boost::system::error_code ec;
    impl->tls->set_default_verify_paths(ec);
    if (!ec) impl->tls->set_verify_mode(asio::ssl::verify_peer, ec);
    if (ec) {
      return InternalError("mcu.url: cannot load the system's CA certificates: " + ec.message());
    }
  }
  return std::shared_ptr<McuClient>(
      new McuClient(io, std::move(config), std::move(on_gap), std::move(impl)));
}

McuClient::McuClient(asio::io_context& io, McuClientConfig config, GapHandler on_gap,
                     std::unique_ptr<Impl> impl)
    : io_(io),
      config_(std::move(config)),
      on_gap_(std::move(on_gap)),
      impl_(std::move(impl)),
      retry_timer_(io),
      check_timer_(io) {}

McuClient::~McuClient() {
  if (auto call = impl_->in_flight.lock()) call->Cancel();
}

std::string McuClient::ParticipantsPath() const {
  return impl_->base_path + "/v1/rooms/" + PercentEncodeSegment(config_.room) + "/participants";
}

void McuClient::Request(std::string method, std::string target, std::string body,
                        std::function<void(const Answer&)> done) {
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, impl_->where.host_header);
  req.set(http::field::user_agent, "tessera-recorder");
  req.set(http::field::authorization, "Bearer " + config_.token);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
  }
  req.prepare_payload();
  auto call = std::make_shared<Call>(io_, impl_->where, impl_->tls ? &*impl_->tls : nullptr,
                                     std::move(req), config_.request_timeout_ms, std::move(done));
  impl_->in_flight = call;
  call->Start();
}

void McuClient::Start() {
  running_ = true;
  Join();
}

void McuClient::Join() {
  if (!running_) return;
  joining_ = true;
  Request("POST", ParticipantsPath(), JoinBody(config_).dump(),
          [weak = weak_from_this()](const Answer& a) {
            if (auto self = weak.lock()) self->OnJoinAnswer(a);
          });
}

void McuClient::OnJoinAnswer(const Answer& a) {
  if (!running_) return;
  if (a.status == 201) {
    auto json = nlohmann::json::parse(a.body, nullptr, /*allow_exceptions=*/false);
    if (json.is_object() && json.contains("id") && json["id"].is_number_unsigned()) {
      participant_id_ = json["id"].get<uint32_t>();
      joining_ = false;
      consecutive_failures_ = 0;
      ++joins_;
      spdlog::info("recorder: joined room {} as {} (participant {})", config_.room,
                   config_.participant_name, *participant_id_);
      ArmCheck();
      return;
    }
    return ScheduleJoin("the MCU answered 201 without a participant id");
  }
  if (a.status == 409) {
    // A participant of our name is left over (our earlier join, the MCU did not see us leave):
    // find it and delete it, then join again.
    Request("GET", ParticipantsPath(), "", [weak = weak_from_this()](const Answer& list) {
      auto self = weak.lock();
      if (!self || !self->running_) return;
      auto json = nlohmann::json::parse(list.body, nullptr, false);
      std::optional<uint32_t> stale;
      if (list.status == 200 && json.is_object() && json["participants"].is_array()) {
        for (const auto& p : json["participants"]) {
          if (p.value("name", "") == self->config_.participant_name && p["id"].is_number()) {
            stale = p["id"].get<uint32_t>();
          }
        }
      }
      if (!stale) return self->ScheduleJoin("409: the name is taken and not found in the list");
      self->Request("DELETE", self->ParticipantsPath() + "/" + std::to_string(*stale), "",
                    [weak](const Answer&) {
                      if (auto s = weak.lock()) s->ScheduleJoin("409: removed a stale participant");
                    });
    });
    return;
  }
  ScheduleJoin(a.status
                   ? "the MCU answered " + std::to_string(a.status) + ": " + a.body.substr(0, 200)
                   : a.error);
}

void McuClient::ScheduleJoin(std::string why) {
  if (!running_) return;
  joining_ = true;
  ++failed_tries_;
  // 1, 2, 4 .. max_backoff_ms: the MCU restarting is not hammered, and is found within 30 s.
  const int shift = std::min(consecutive_failures_, 20);
  const int64_t delay_ms = std::min<int64_t>(int64_t{1000} << shift, config_.max_backoff_ms);
  ++consecutive_failures_;
  spdlog::warn("recorder: cannot join room {} at {} (try {}): {}; trying again in {} s",
               config_.room, config_.url, consecutive_failures_, why, delay_ms / 1000.0);
  retry_timer_.expires_after(std::chrono::milliseconds(delay_ms));
  retry_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->Join();
  });
}

void McuClient::Rejoin(std::string reason) {
  if (!running_ || joining_) return;
  spdlog::warn("recorder: re-joining room {}: {}", config_.room, reason);
  if (on_gap_) on_gap_(reason);
  check_timer_.cancel();
  joining_ = true;
  const std::optional<uint32_t> old = std::exchange(participant_id_, std::nullopt);
  if (!old) return Join();
  // The old participant may still exist (a network partition): two legs would send to our ports.
  Request("DELETE", ParticipantsPath() + "/" + std::to_string(*old), "",
          [weak = weak_from_this()](const Answer&) {
            if (auto self = weak.lock()) self->Join();
          });
}

void McuClient::OnSilence(bool silent) {
  if (!silent) {
    consecutive_failures_ = 0;
    return;
  }
  if (joining_) return;  // a join is under way: the silence is its gap already
  if (consecutive_failures_ > 0) {
    // A re-join that brought no media: back off as for a failed join.
    joining_ = true;
    participant_id_.reset();
    return ScheduleJoin("joined, but no media came");
  }
  ++consecutive_failures_;
  Rejoin("no media for 3 s");
}

void McuClient::ArmCheck() {
  check_timer_.expires_after(std::chrono::milliseconds(config_.check_interval_ms));
  check_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->Check();
  });
}

void McuClient::Check() {
  if (!running_ || joining_ || !participant_id_) return;
  Request("GET", ParticipantsPath() + "/" + std::to_string(*participant_id_), "",
          [weak = weak_from_this()](const Answer& a) {
            auto self = weak.lock();
            if (!self || !self->running_ || self->joining_) return;
            if (a.status == 404) return self->Rejoin("the participant or the room is gone");
            if (a.refused) return self->Rejoin("the MCU refuses connections (restarting?)");
            if (a.status != 200) {
              spdlog::warn("recorder: checking room {}: {}", self->config_.room,
                           a.status ? "answered " + std::to_string(a.status) : a.error);
            }
            self->ArmCheck();
          });
}

void McuClient::Stop(std::function<void()> done) {
  running_ = false;
  retry_timer_.cancel();
  check_timer_.cancel();
  if (auto call = impl_->in_flight.lock()) call->Cancel();
  const std::optional<uint32_t> id = std::exchange(participant_id_, std::nullopt);
  if (!id) {
    asio::post(io_, std::move(done));
    return;
  }
  Request("DELETE", ParticipantsPath() + "/" + std::to_string(*id), "",
          [room = config_.room, done = std::move(done)](const Answer& a) {
            if (a.status != 204 && a.status != 404) {
              spdlog::warn("recorder: leaving room {}: {}", room,
                           a.status ? "answered " + std::to_string(a.status) : a.error);
            }
            done();
          });
}

}  // namespace tessera::recorder
