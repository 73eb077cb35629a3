#include <openssl/ssl.h>
#include <pthread.h>
#include <tessera/base/logging.h>
#include <tessera/base/metrics.h>
#include <tessera/control/http_server.h>
#include <tessera/control/problem.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tessera::control {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using SslStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

constexpr char kServerName[] = "tessera";
// The route label of the answers the server makes itself (the handler counts its own).
constexpr char kServerRoute[] = "(server)";
// After an answer that closes the connection, what the client still sends is read and dropped
// for this long (and up to this much), so that the close is a FIN and not a reset that could
// take the answer with it.
constexpr std::chrono::seconds kLinger{2};
constexpr size_t kMaxLingerBytes = 1 << 20;
constexpr size_t kReadChunkBytes = 4096;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string ToString(beast::string_view s) { return std::string(s.data(), s.size()); }

int64_t SteadyNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// What max_connections_per_source counts by: an IPv4 address (also one that arrives IPv4-mapped
// on a dual-stack listener), or the /64 of an IPv6 address (one site, as one IPv4 address behind
// NAT is). The SIP listeners count the same way.
std::string SourceKey(const asio::ip::address& address) {
  if (!address.is_v6()) return address.to_string();
  const asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), static_cast<unsigned char>(0));
  return asio::ip::address_v6(bytes).to_string() + "/64";
}

// The address a handler sees (rate limits, logs): an IPv4-mapped address as IPv4.
std::string AddressText(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// The method label of a server answer: a known verb or "other" (a client's made-up method must
// not make a new time series).
std::string MethodLabel(http::verb verb) {
  return verb == http::verb::unknown ? "other" : ToString(http::to_string(verb));
}

Counter& ServerAnswers(const std::string& method, int code) {
  return GlobalMetrics().GetCounter(
      "tessera_api_requests_total",
      {{"route", kServerRoute}, {"method", method}, {"code", std::to_string(code)}});
}

// The whole 503 a refused connection gets, built once: it goes out in one non-blocking write.
std::string RefusalBytes(const std::string& detail) {
  const HttpResponse p = Problem(503, "unavailable", "Too many connections", detail);
  return "HTTP/1.1 503 Service Unavailable\r\nServer: " + std::string(kServerName) +
         "\r\nContent-Type: " + p.content_type +
         "\r\nContent-Length: " + std::to_string(p.body.size()) +
         "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + p.body;
}

// A server context with the certificate chain and key of the files: TLS 1.2 or newer.
StatusOr<std::shared_ptr<asio::ssl::context>> LoadTlsContext(const std::string& cert_file,
                                                             const std::string& key_file) {
  std::shared_ptr<asio::ssl::context> context;
  try {
    context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  } catch (const std::exception& e) {
    return InternalError(std::string("control: cannot create a TLS context: ") + e.what());
  }
  if (SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
    return InternalError("control: cannot require TLS 1.2 or newer");
  }
  boost::system::error_code ec;
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression,
                       ec);
  if (ec) return InternalError("control: cannot set the TLS options: " + ec.message());
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return InvalidArgumentError("control.tls_cert_file '" + cert_file +
                                "' is not a readable PEM certificate chain: " + ec.message());
  }
  context->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return InvalidArgumentError("control.tls_key_file '" + key_file +
                                "' is not a readable PEM private key: " + ec.message());
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return InvalidArgumentError("control.tls_key_file '" + key_file +
                                "' is not the key of the certificate in '" + cert_file + "'");
  }
  return context;
}

Status CheckLimits(const ControlConfig& config) {
  const std::pair<const char*, uint32_t> limits[] = {
      {"max_header_bytes", config.max_header_bytes},
      {"max_connections", config.max_connections},
      {"max_connections_per_source", config.max_connections_per_source},
      {"request_timeout_s", config.request_timeout_s},
      {"idle_timeout_s", config.idle_timeout_s}};
  for (const auto& [name, value] : limits) {
    if (value == 0)
      return InvalidArgumentError(std::string("control.") + name + " must be at least 1");
  }
  return Status::Ok();
}

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void Start() = 0;
  // Closes the socket: pending operations end, the connection goes when the last one has.
  virtual void Close() = 0;
};

// The open connections, by source. Shared by the server and every connection, so that a
// connection whose handler is destroyed with the io_context (after Stop) still has it.
// Runs on: the server's io thread (and the thread that destroys the server, after it joined).
struct ConnectionTable {
  std::unordered_map<std::string, uint32_t> per_source;
  uint32_t total = 0;
  std::unordered_map<const ConnectionBase*, std::weak_ptr<ConnectionBase>> live;

  uint32_t From(const std::string& source) const {
    const auto it = per_source.find(source);
    return it == per_source.end() ? 0 : it->second;
  }
  void Add(const std::shared_ptr<ConnectionBase>& c, const std::string& source) {
    live.emplace(c.get(), c);
    ++per_source[source];
    ++total;
  }
  void Remove(const ConnectionBase* c, const std::string& source) {
    if (live.erase(c) == 0) return;
    const auto it = per_source.find(source);
    if (it != per_source.end() && --it->second == 0) per_source.erase(it);
    --total;
  }
};

}  // namespace

// Runs on: Start, Stop and ReloadTls on their callers' threads (serialised); everything else on
// the io thread.
class HttpServerImpl {
 public:
  HttpServerImpl(const ControlConfig& control, HttpHandler& api_handler,
                 HttpHandler* metrics_handler)
      : config_(control),
        api_(api_handler),
        metrics_(metrics_handler),
        refused_per_source_(GlobalMetrics().GetCounter("tessera_api_connections_refused_total",
                                                       {{"reason", "per_source"}})),
        refused_total_(GlobalMetrics().GetCounter("tessera_api_connections_refused_total",
                                                  {{"reason", "total"}})),
        request_timeouts_(
            GlobalMetrics().GetCounter("tessera_api_timeouts_total", {{"kind", "request"}})),
        idle_timeouts_(
            GlobalMetrics().GetCounter("tessera_api_timeouts_total", {{"kind", "idle"}})),
        refusal_per_source_bytes_(RefusalBytes("too many connections from this address")),
        refusal_total_bytes_(RefusalBytes("the server has too many connections")),
        table_(std::make_shared<ConnectionTable>()) {}

  ~HttpServerImpl() { Stop(); }

  Status Start();
  void Stop();
  Status ReloadTls();

  asio::io_context& io() { return io_; }
  uint16_t port() const { return port_.load(); }
  uint16_t metrics_port() const { return metrics_port_.load(); }

  // For the connections (io thread).
  const ControlConfig& config() const { return config_; }
  HttpHandler& api() { return api_; }
  HttpHandler* metrics() { return metrics_; }
  bool stopping() const { return stopping_; }
  void CountTimeout(bool idle) { (idle ? idle_timeouts_ : request_timeouts_).Add(); }

 private:
  struct Listener {
    Listener(asio::io_context& io, bool with_tls, bool only_metrics)
        : acceptor(io), retry(io), tls(with_tls), metrics_only(only_metrics) {}
    tcp::acceptor acceptor;
    asio::steady_timer retry;  // after an accept error (out of descriptors): try again later
    bool tls;
    bool metrics_only;
  };

  StatusOr<std::unique_ptr<Listener>> Listen(const asio::ip::address& address, uint16_t port,
                                             bool tls, bool metrics_only);
  std::shared_ptr<asio::ssl::context> CurrentTls();
  void Run();
  void Accept(Listener* listener);
  void OnAccepted(const Listener& listener, tcp::socket socket);
  void Refuse(tcp::socket socket, bool per_source, bool tls, const std::string& source,
              const std::string& address);
  void CloseAll();

  const ControlConfig config_;
  HttpHandler& api_;
  HttpHandler* const metrics_;
  Counter& refused_per_source_;
  Counter& refused_total_;
  Counter& request_timeouts_;
  Counter& idle_timeouts_;
  const std::string refusal_per_source_bytes_;
  const std::string refusal_total_bytes_;

  std::mutex lifecycle_mu_;  // Start, Stop
  bool started_ = false;
  bool ended_ = false;

  std::mutex tls_mu_;
  std::shared_ptr<asio::ssl::context> tls_;  // guarded by tls_mu_; null: plain HTTP

  std::atomic<uint16_t> port_{0};
  std::atomic<uint16_t> metrics_port_{0};

  // Declared before everything that lives on it, so that it is destroyed after them.
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::shared_ptr<ConnectionTable> table_;
  LogRateLimiter refusal_log_;
  LogRateLimiter accept_log_;
  bool stopping_ = false;  // io thread
  std::thread thread_;
};

namespace {

// One accepted connection: reads requests one at a time, calls the handler, writes the answer.
// One deadline timer: from the accept (handshake and first request) or a request's first byte
// until it is read whole; while an answer is written; while a keep-alive connection waits.
// It is armed once per phase, not per read, so a client that trickles bytes gains nothing; when
// it fires it cancels the socket's operations (not closes: a 408 still goes out).
// Runs on: the server's io thread.
template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, SslStream>;

  Connection(HttpServerImpl& server, std::shared_ptr<ConnectionTable> table, tcp::socket socket,
             std::shared_ptr<asio::ssl::context> tls, std::string source_key, std::string address,
             bool metrics_only)
      : server_(server),
        table_(std::move(table)),
        tls_(std::move(tls)),
        stream_(MakeStream(std::move(socket), tls_.get())),
        deadline_(server.io()),
        source_key_(std::move(source_key)),
        address_(std::move(address)),
        metrics_only_(metrics_only) {}

  ~Connection() override { table_->Remove(this, source_key_); }

  void Start() override {
    // The first request's time runs from the accept and covers the TLS handshake.
    ArmDeadline(RequestTimeout());
    if constexpr (kTls) {
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](
                                  const boost::system::error_code& ec) { self->OnHandshake(ec); });
    } else {
      ReadHeader();
    }
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    Disarm();
    boost::system::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).close();
  }

 private:
  static Stream MakeStream(tcp::socket socket, [[maybe_unused]] asio::ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  std::chrono::seconds RequestTimeout() const {
    return std::chrono::seconds(server_.config().request_timeout_s);
  }

  void ArmDeadline(std::chrono::steady_clock::duration after) {
    ++deadline_id_;
    timed_out_ = false;
    deadline_.expires_after(after);
    deadline_.async_wait(
        [weak = this->weak_from_this(), id = deadline_id_](const boost::system::error_code& ec) {
          if (ec) return;
          const auto self = weak.lock();
          if (!self || self->closed_ || id != self->deadline_id_) return;
          self->timed_out_ = true;
          beast::get_lowest_layer(self->stream_).cancel();
        });
  }

  void Disarm() {
    ++deadline_id_;
    deadline_.cancel();
  }

  void OnHandshake(const boost::system::error_code& ec) {
    if (closed_) return;
    if (ec) {
      if (timed_out_) {
        server_.CountTimeout(/*idle=*/false);
        spdlog::debug("control: {} did not finish its TLS handshake in time", address_);
      }
      Close();
      return;
    }
    if (timed_out_) {  // shaken hands just as the deadline fired: no time left for the request
      server_.CountTimeout(/*idle=*/false);
      Close();
      return;
    }
    ReadHeader();
  }

  // Between requests of a keep-alive connection: the idle deadline until a byte arrives, then
  // the request's.
  void WaitForRequest() {
    if (buffer_.size() > 0) {  // a pipelined request already began: its time runs from now
      ArmDeadline(RequestTimeout());
      ReadHeader();
      return;
    }
    ArmDeadline(std::chrono::seconds(server_.config().idle_timeout_s));
    stream_.async_read_some(
        buffer_.prepare(kReadChunkBytes),
        [self = this->shared_from_this()](const boost::system::error_code& ec, size_t n) {
          self->buffer_.commit(n);
          if (self->closed_) return;
          if (ec) {
            if (self->timed_out_) self->server_.CountTimeout(/*idle=*/true);
            self->Close();
            return;
          }
          self->ArmDeadline(self->RequestTimeout());
          self->ReadHeader();
        });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(server_.config().max_header_bytes);
    parser_->body_limit(static_cast<std::uint64_t>(server_.config().max_body_bytes));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](const boost::system::error_code& ec,
                                                              size_t) { self->OnHeader(ec); });
  }

  void OnHeader(const boost::system::error_code& ec) {
    if (closed_) return;
    if (ec) {
      OnReadError(ec);
      return;
    }
    const auto& request = parser_->get();
    if (!parser_->is_done() && request.version() >= 11 &&
        beast::iequals(request[http::field::expect], "100-continue")) {
      // The limits passed (a Content-Length over max_body_bytes failed above): the client may
      // send its body.
      asio::async_write(
          stream_, asio::buffer(kContinue.data(), kContinue.size()),
          [self = this->shared_from_this()](const boost::system::error_code& write_ec, size_t) {
            if (self->closed_) return;
            if (write_ec) {
              self->OnReadError(write_ec);
              return;
            }
            self->ReadBody();
          });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) {
      OnRequest();
      return;
    }
    if (timed_out_) {  // the header came just as the deadline fired: the body has no time left
      OnReadError(asio::error::operation_aborted);
      return;
    }
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](const boost::system::error_code& ec, size_t) {
          if (self->closed_) return;
          if (ec) {
            self->OnReadError(ec);
            return;
          }
          self->OnRequest();
        });
  }

  void OnReadError(const boost::system::error_code& ec) {
    const bool header_done = parser_ && parser_->is_header_done();
    const std::string method = header_done ? MethodLabel(parser_->get().method()) : "unknown";
    const unsigned version = header_done ? parser_->get().version() : 11;
    const ControlConfig& config = server_.config();
    if (timed_out_) {
      server_.CountTimeout(/*idle=*/false);
      Answer(Problem(408, "request-timeout", "Request timeout",
                     "the request did not arrive whole within " +
                         std::to_string(config.request_timeout_s) + " s"),
             method, version);
    } else if (ec == http::error::header_limit) {
      Answer(Problem(431, "header-too-large", "Request header too large",
                     "the request header is larger than " +
                         std::to_string(config.max_header_bytes) + " bytes"),
             method, version);
    } else if (ec == http::error::body_limit) {
      Answer(Problem(413, "payload-too-large", "Payload too large",
                     "the request body is larger than " + std::to_string(config.max_body_bytes) +
                         " bytes"),
             method, version);
    } else if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
               ec.category() != http::make_error_code(http::error::bad_method).category()) {
      Close();  // the client went away, or the socket failed: nobody to answer
    } else {
      Answer(Problem(400, "bad-request", "Bad request",
                     "the request is not valid HTTP/1.1: " + ec.message()),
             method, version);
    }
  }

  // An answer the server makes itself; the connection closes after it.
  void Answer(HttpResponse response, const std::string& method, unsigned version) {
    ServerAnswers(method, response.status).Add();
    spdlog::debug("control: {} from {}", response.status, address_);
    Write(std::move(response), /*keep_alive=*/false, /*head=*/false, version);
  }

  void OnRequest() {
    Disarm();
    http::request<http::string_body> message = parser_->release();
    HttpRequest request;
    request.method = ToString(message.method_string());
    const beast::string_view target = message.target();
    const size_t query = target.find('?');
    request.path = ToString(target.substr(0, query));
    if (query != beast::string_view::npos) request.query = ToString(target.substr(query + 1));
    for (const auto& field : message) {
      std::string name = ToString(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[std::move(name)] = ToString(field.value());
    }
    request.body = std::move(message.body());
    request.source_address = address_;
    request.tls = kTls;

    HttpResponse response = Dispatch(request, MethodLabel(message.method()));
    const bool keep_alive = message.keep_alive() && !server_.stopping();
    Write(std::move(response), keep_alive, message.method() == http::verb::head, message.version());
  }

  HttpResponse Dispatch(const HttpRequest& request, const std::string& method) {
    try {
      if (!metrics_only_) return server_.api().Handle(request);
      if (request.method == "GET" && request.path == "/metrics") {
        return server_.metrics()->Handle(request);
      }
      ServerAnswers(method, 404).Add();
      return Problem(404, "not-found", "Not found", "this port serves only GET /metrics");
    } catch (const std::exception& e) {
      spdlog::error("control: the handler of {} {} failed: {}", request.method, request.path,
                    e.what());
    } catch (...) {
      spdlog::error("control: the handler of {} {} failed", request.method, request.path);
    }
    ServerAnswers(method, 500).Add();
    return Problem(500, "internal", "Internal error",
                   "the server failed to handle the request (logged)");
  }

  void Write(HttpResponse response, bool keep_alive, bool head, unsigned version) {
    if (response.status < 100 || response.status > 599) {
      spdlog::error("control: a handler answered status {}; sending 500 instead", response.status);
      response = Problem(500, "internal", "Internal error", "the server made an invalid answer");
    }
    const int status = response.status;
    response_ = http::response<http::string_body>();
    response_.version(version);
    response_.result(static_cast<unsigned>(status));
    response_.set(http::field::server, kServerName);
    for (const auto& [name, value] : response.headers) {
      // The framing is the server's.
      if (beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding") ||
          beast::iequals(name, "connection")) {
        continue;
      }
      // A line break would let a value (a room name in a Location) start a header of its own.
      if (name.empty() || name.find_first_of("\r\n: ") != std::string::npos ||
          value.find_first_of("\r\n") != std::string::npos) {
        spdlog::error("control: dropped a response header that would break the framing: {}", name);
        continue;
      }
      response_.insert(name, value);
    }
    // RFC 9110 8.6, 15.3.5: no content (and no Content-Length) in 1xx, 204 and 304.
    const bool bodiless = status < 200 || status == 204 || status == 304;
    if (!bodiless) {
      if (!response.content_type.empty()) {
        response_.set(http::field::content_type, response.content_type);
      }
      response_.content_length(static_cast<std::uint64_t>(response.body.size()));
      if (!head) response_.body() = std::move(response.body);
    }
    response_.keep_alive(keep_alive);
    close_after_write_ = !keep_alive;
    ArmDeadline(RequestTimeout());
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](const boost::system::error_code& ec,
                                                        size_t) { self->OnWritten(ec); });
  }

  void OnWritten(const boost::system::error_code& ec) {
    if (closed_) return;
    Disarm();
    if (ec) {
      Close();
      return;
    }
    if (close_after_write_) {
      Linger();
      return;
    }
    parser_.reset();
    WaitForRequest();
  }

  void Linger() {
    ArmDeadline(kLinger);
    if constexpr (kTls) {
      // close_notify; what the client still sends is read until its close_notify, its close or
      // the deadline.
      stream_.async_shutdown(
          [self = this->shared_from_this()](const boost::system::error_code&) { self->Close(); });
    } else {
      boost::system::error_code ec;
      beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
      if (ec) {
        Close();
        return;
      }
      Drain();
    }
  }

  void Drain() {
    buffer_.consume(buffer_.size());
    beast::get_lowest_layer(stream_).async_read_some(
        buffer_.prepare(kReadChunkBytes),
        [self = this->shared_from_this()](const boost::system::error_code& ec, size_t n) {
          self->lingered_ += n;
          if (self->closed_) return;
          if (ec || self->lingered_ > kMaxLingerBytes) {
            self->Close();
            return;
          }
          self->Drain();
        });
  }

  HttpServerImpl& server_;
  std::shared_ptr<ConnectionTable> table_;
  std::shared_ptr<asio::ssl::context> tls_;  // the context it was accepted with; null: plain
  Stream stream_;
  asio::steady_timer deadline_;
  const std::string source_key_;
  const std::string address_;
  const bool metrics_only_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  uint64_t deadline_id_ = 0;  // a deadline that fires for an older id is stale
  bool timed_out_ = false;    // the current deadline fired
  bool closed_ = false;
  bool close_after_write_ = false;
  size_t lingered_ = 0;
};

}  // namespace

Status HttpServerImpl::Start() {
  std::lock_guard lock(lifecycle_mu_);
  if (started_ || ended_) {
    return FailedPreconditionError("control: the HTTP server was started already");
  }
  TESSERA_RETURN_IF_ERROR(CheckLimits(config_));
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(config_.listen_address, ec);
  if (ec) {
    return InvalidArgumentError("control.listen_address '" + config_.listen_address +
                                "' is not an IP address");
  }
  const bool tls = !config_.tls_cert_file.empty();
  if (tls != !config_.tls_key_file.empty()) {
    return InvalidArgumentError(
        "control.tls_cert_file and control.tls_key_file must be set together (both: HTTPS; "
        "neither: plain HTTP)");
  }
  if (tls) {
    auto context = LoadTlsContext(config_.tls_cert_file, config_.tls_key_file);
    if (!context.ok()) return context.status();
    std::lock_guard tls_lock(tls_mu_);
    tls_ = std::move(context.value());
  } else if (!address.is_loopback()) {
    if (!config_.allow_plain_http) {
      return InvalidArgumentError(
          "control: plain HTTP on " + config_.listen_address +
          " would carry bearer tokens unencrypted; set control.tls_cert_file and "
          "control.tls_key_file, listen on a loopback address, or set "
          "control.allow_plain_http: true (behind a TLS-terminating proxy)");
    }
    spdlog::warn(
        "control: plain HTTP on {} (allow_plain_http): bearer tokens cross the network "
        "unencrypted unless a proxy terminates TLS in front",
        config_.listen_address);
  }
  if (config_.metrics_port != 0 && metrics_ == nullptr) {
    return InvalidArgumentError("control.metrics_port is set but nothing serves /metrics there");
  }

  auto api_listener = Listen(address, config_.port, tls, /*metrics_only=*/false);
  if (!api_listener.ok()) return api_listener.status();
  std::unique_ptr<Listener> metrics_listener;
  if (config_.metrics_port != 0) {
    auto m = Listen(address, config_.metrics_port, /*tls=*/false, /*metrics_only=*/true);
    if (!m.ok()) return m.status();
    metrics_listener = std::move(*m);
  }
  port_ = (*api_listener)->acceptor.local_endpoint(ec).port();
  listeners_.push_back(std::move(*api_listener));
  if (metrics_listener) {
    metrics_port_ = metrics_listener->acceptor.local_endpoint(ec).port();
    listeners_.push_back(std::move(metrics_listener));
  }
  // The io thread is not running yet: the first accepts can be started from here.
  for (const auto& listener : listeners_) Accept(listener.get());
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] { Run(); });
  started_ = true;
  spdlog::info("control: API on {}://{}:{}", tls ? "https" : "http", config_.listen_address,
               port_.load());
  if (metrics_port_.load() != 0) {
    spdlog::info("control: /metrics on http://{}:{}", config_.listen_address, metrics_port_.load());
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<HttpServerImpl::Listener>> HttpServerImpl::Listen(
    const asio::ip::address& address, uint16_t port, bool tls, bool metrics_only) {
  auto listener = std::make_unique<Listener>(io_, tls, metrics_only);
  const tcp::endpoint endpoint(address, port);
  boost::system::error_code ec;
  listener->acceptor.open(endpoint.protocol(), ec);
  if (!ec) listener->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) listener->acceptor.bind(endpoint, ec);
  if (!ec) listener->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return UnavailableError("control: cannot listen on " + config_.listen_address + " port " +
                            std::to_string(port) + ": " + ec.message());
  }
  StatusOr<std::unique_ptr<Listener>> result(std::move(listener));
  return result;
}

void HttpServerImpl::Run() {
  pthread_setname_np(pthread_self(), "tessera-http");
  for (;;) {
    // A handler's exception must not end the control plane: log it and go on.
    try {
      io_.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("control: the HTTP thread caught: {}", e.what());
    } catch (...) {
      spdlog::error("control: the HTTP thread caught an unknown exception");
    }
  }
}

void HttpServerImpl::Stop() {
  std::lock_guard lock(lifecycle_mu_);
  if (!started_ || ended_) return;
  if (std::this_thread::get_id() == thread_.get_id()) {
    spdlog::error("control: HttpServer::Stop called on its own thread; not stopped");
    return;
  }
  // The handlers of what CloseAll cancels are not run: they are destroyed with io_, and the
  // connections they hold with them.
  asio::post(io_, [this] {
    CloseAll();
    io_.stop();
  });
  thread_.join();
  work_.reset();
  ended_ = true;
  spdlog::info("control: HTTP server stopped");
}

void HttpServerImpl::CloseAll() {
  stopping_ = true;
  boost::system::error_code ec;
  for (const auto& listener : listeners_) {
    listener->acceptor.close(ec);
    listener->retry.cancel();
  }
  // Copied first: a connection that goes while it is closed leaves the table.
  std::vector<std::shared_ptr<ConnectionBase>> open;
  for (const auto& entry : table_->live) {
    if (auto c = entry.second.lock()) open.push_back(std::move(c));
  }
  for (const auto& c : open) c->Close();
}

void HttpServerImpl::Accept(Listener* listener) {
  listener->acceptor.async_accept(
      [this, listener](const boost::system::error_code& ec, tcp::socket socket) {
        if (stopping_ || ec == asio::error::operation_aborted) return;
        if (ec) {
          // Out of descriptors, most likely: accepting again at once would spin.
          if (accept_log_.Allow(SteadyNowUs())) {
            spdlog::warn("control: accept failed: {} ({} more since the last warning)",
                         ec.message(), accept_log_.suppressed());
          }
          listener->retry.expires_after(std::chrono::milliseconds(100));
          listener->retry.async_wait([this, listener](const boost::system::error_code& wait_ec) {
            if (!wait_ec && !stopping_) Accept(listener);
          });
          return;
        }
        OnAccepted(*listener, std::move(socket));
        Accept(listener);
      });
}

void HttpServerImpl::OnAccepted(const Listener& listener, tcp::socket socket) {
  boost::system::error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return;  // gone already; the socket closes with it
  const std::string source = SourceKey(remote.address());
  const std::string address = AddressText(remote.address());
  if (table_->total >= config_.max_connections) {
    Refuse(std::move(socket), /*per_source=*/false, listener.tls, source, address);
    return;
  }
  if (table_->From(source) >= config_.max_connections_per_source) {
    Refuse(std::move(socket), /*per_source=*/true, listener.tls, source, address);
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  std::shared_ptr<ConnectionBase> connection;
  if (listener.tls) {
    connection = std::make_shared<Connection<SslStream>>(
        *this, table_, std::move(socket), CurrentTls(), source, address, listener.metrics_only);
  } else {
    connection = std::make_shared<Connection<beast::tcp_stream>>(
        *this, table_, std::move(socket), nullptr, source, address, listener.metrics_only);
  }
  table_->Add(connection, source);
  connection->Start();
}

void HttpServerImpl::Refuse(tcp::socket socket, bool per_source, bool tls,
                            const std::string& source, const std::string& address) {
  (per_source ? refused_per_source_ : refused_total_).Add();
  if (refusal_log_.Allow(SteadyNowUs())) {
    spdlog::warn(
        "control: refused a connection from {}: {} ({} open, {} from it); {} more refused since "
        "the last warning",
        address, per_source ? "max_connections_per_source" : "max_connections", table_->total,
        table_->From(source), refusal_log_.suppressed());
  }
  boost::system::error_code ec;
  if (!tls) {
    // One try: a client that does not read gets no more than the close.
    socket.non_blocking(true, ec);
    if (!ec) {
      socket.write_some(asio::buffer(per_source ? refusal_per_source_bytes_ : refusal_total_bytes_),
                        ec);
    }
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

std::shared_ptr<asio::ssl::context> HttpServerImpl::CurrentTls() {
  std::lock_guard lock(tls_mu_);
  return tls_;
}

Status HttpServerImpl::ReloadTls() {
  if (config_.tls_cert_file.empty() || config_.tls_key_file.empty()) {
    return FailedPreconditionError("control: TLS is not configured; nothing to reload");
  }
  auto context = LoadTlsContext(config_.tls_cert_file, config_.tls_key_file);
  if (!context.ok()) {
    spdlog::error("control: TLS reload failed, the old certificate stays: {}",
                  context.status().message());
    return context.status();
  }
  {
    std::lock_guard lock(tls_mu_);
    tls_ = std::move(context.value());
  }
  spdlog::info("control: TLS certificate reloaded from {}", config_.tls_cert_file);
  return Status::Ok();
}

HttpServer::HttpServer(const ControlConfig& config, HttpHandler& api, HttpHandler* metrics)
    : impl_(std::make_unique<HttpServerImpl>(config, api, metrics)) {}

HttpServer::~HttpServer() = default;

Status HttpServer::Start() { return impl_->Start(); }
void HttpServer::Stop() { impl_->Stop(); }
uint16_t HttpServer::port() const { return impl_->port(); }
uint16_t HttpServer::metrics_port() const { return impl_->metrics_port(); }
Status HttpServer::ReloadTls() { return impl_->ReloadTls(); }
void HttpServer::Post(std::function<void()> work) { asio::post(impl_->io(), std::move(work)); }
boost::asio::io_context& HttpServer::io() { return impl_->io(); }

}  // namespace tessera::control
