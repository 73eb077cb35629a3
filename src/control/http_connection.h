// One connection of the control plane's HTTP server (http_server.h): what it reads, the limits
// it enforces while it reads, how it answers and how it closes. Private to http_server.cc.
#pragma once

#include <tessera/base/logging.h>
#include <tessera/base/metrics.h>
#include <tessera/control/config.h>
#include <tessera/control/http.h>
#include <tessera/control/problem.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

namespace tessera::control::http_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SslStream = beast::ssl_stream<beast::tcp_stream>;

inline constexpr char kServerName[] = "tessera";
// The route label of the answers the server makes itself (the handler counts its own).
inline constexpr char kServerRoute[] = "(server)";
// After an answer that closes the connection, what the client still sends is read and dropped
// for this long (and up to this much), so that the close is a FIN and not a reset that could
// take the answer with it.
inline constexpr std::chrono::seconds kLinger{2};
inline constexpr size_t kMaxLingerBytes = 1 << 20;
inline constexpr size_t kReadChunkBytes = 4096;
inline constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

inline std::string ToString(beast::string_view s) { return std::string(s.data(), s.size()); }

// The method label of a server answer: a known verb or "other" (a client's made-up method must
// not make a new time series).
inline std::string MethodLabel(http::verb verb) {
  return verb == http::verb::unknown ? "other" : ToString(http::to_string(verb));
}

inline Counter& ServerAnswers(const std::string& method, int code) {
  return GlobalMetrics().GetCounter(
      "tessera_api_requests_total",
      {{"route", kServerRoute}, {"method", method}, {"code", std::to_string(code)}});
}

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void Start() = 0;
  // Closes the socket: pending operations end, the connection goes when the last one has.
  virtual void Close() = 0;
};

// What the server and its connections share: the configuration, the handlers, the counters and
// the open connections by source. Connections hold it by shared_ptr, so that one whose handler
// is destroyed with the io_context (after Stop) still finds it.
// Runs on: the server's io thread (and the thread that destroys the server, after it joined);
// config, api, metrics and the counters are set once and only read.
struct ServerShared {
  ServerShared(const ControlConfig& control, HttpHandler& api_handler, HttpHandler* metrics_handler)
      : config(control),
        api(api_handler),
        metrics(metrics_handler),
        request_timeouts(
            GlobalMetrics().GetCounter("tessera_api_timeouts_total", {{"kind", "request"}})),
        idle_timeouts(
            GlobalMetrics().GetCounter("tessera_api_timeouts_total", {{"kind", "idle"}})) {}

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

  const ControlConfig config;
  HttpHandler& api;
  HttpHandler* const metrics;
  Counter& request_timeouts;
  Counter& idle_timeouts;
  bool stopping = false;  // Stop began: no more keep-alive
  std::unordered_map<std::string, uint32_t> per_source;
  uint32_t total = 0;
  std::unordered_map<const ConnectionBase*, std::weak_ptr<ConnectionBase>> live;
};

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

  Connection(std::shared_ptr<ServerShared> server, tcp::socket socket,
             std::shared_ptr<asio::ssl::context> tls, std::string source_key, std::string address,
             bool metrics_only)
      : server_(std::move(server)),
        tls_(std::move(tls)),
        stream_(MakeStream(std::move(socket), tls_.get())),
        deadline_(beast::get_lowest_layer(stream_).get_executor()),
        source_key_(std::move(source_key)),
        address_(std::move(address)),
        metrics_only_(metrics_only) {}

  ~Connection() override { server_->Remove(this, source_key_); }

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
    return std::chrono::seconds(server_->config.request_timeout_s);
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
        server_->request_timeouts.Add();
        spdlog::debug("control: {} did not finish its TLS handshake in time", address_);
      }
      Close();
      return;
    }
    if (timed_out_) {  // shaken hands just as the deadline fired: no time left for the request
      server_->request_timeouts.Add();
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
    ArmDeadline(std::chrono::seconds(server_->config.idle_timeout_s));
    stream_.async_read_some(
        buffer_.prepare(kReadChunkBytes),
        [self = this->shared_from_this()](const boost::system::error_code& ec, size_t n) {
          self->buffer_.commit(n);
          if (self->closed_) return;
          if (ec) {
            if (self->timed_out_) self->server_->idle_timeouts.Add();
            self->Close();
            return;
          }
          self->ArmDeadline(self->RequestTimeout());
          self->ReadHeader();
        });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(server_->config.max_header_bytes);
    parser_->body_limit(static_cast<std::uint64_t>(server_->config.max_body_bytes));
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
    // A Content-Length over the limit is refused while the header is being finished: its
    // request line is parsed by then, though is_header_done() may not say so yet.
    const bool header_done =
        parser_ && (parser_->is_header_done() || ec == http::error::body_limit);
    const std::string method = header_done ? MethodLabel(parser_->get().method()) : "unknown";
    const unsigned version = header_done ? parser_->get().version() : 11;
    const ControlConfig& config = server_->config;
    if (timed_out_) {
      server_->request_timeouts.Add();
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
    request.source_key = source_key_;
    request.tls = kTls;

    HttpResponse response = Dispatch(request, MethodLabel(message.method()));
    const bool keep_alive = message.keep_alive() && !server_->stopping;
    Write(std::move(response), keep_alive, message.method() == http::verb::head, message.version());
  }

  HttpResponse Dispatch(const HttpRequest& request, const std::string& method) {
    try {
      if (!metrics_only_) return server_->api.Handle(request);
      if (request.method == "GET" && request.path == "/metrics") {
        return server_->metrics->Handle(request);
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

  const std::shared_ptr<ServerShared> server_;
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

}  // namespace tessera::control::http_detail
