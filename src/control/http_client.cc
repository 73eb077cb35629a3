// One HTTP(S) request and its answer on an io_context (http_client.h).
#include <openssl/ssl.h>
#include <tessera/control/http_client.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <optional>

namespace tessera::control {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

}  // namespace

StatusOr<HttpUrl> ParseHttpUrl(const std::string& url, const std::string& where) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError(where + " '" + url + "' " + why +
                                " (expected http(s)://host[:port]/path)");
  };
  HttpUrl parsed;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
    parsed.port = "80";
  } else if (url.rfind("https://", 0) == 0) {
    parsed.tls = true;
    rest = url.substr(8);
    parsed.port = "443";
  } else {
    return bad("is not an http:// or https:// URL");
  }
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return bad("has a space or a control character");
    }
  }
  if (url.find('#') != std::string::npos) return bad("has a fragment");
  const size_t slash = rest.find_first_of("/?");
  const std::string authority = rest.substr(0, slash);
  parsed.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (parsed.target[0] == '?') parsed.target = "/" + parsed.target;
  if (authority.find('@') != std::string::npos) return bad("has user information");
  if (authority.empty()) return bad("has no host");
  parsed.host_header = authority;
  std::string port_text;
  bool has_port = false;
  if (authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return bad("has an unclosed '['");
    parsed.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("has text after its IPv6 address");
      has_port = true;
      port_text = after.substr(1);
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(parsed.host, ec);
    if (ec || !address.is_v6()) return bad("has no IPv6 address in its brackets");
  } else {
    const size_t colon = authority.find(':');
    parsed.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
  }
  if (parsed.host.empty()) return bad("has no host");
  if (has_port) {
    if (!AllDigits(port_text) || port_text.size() > 5 || std::stoul(port_text) == 0 ||
        std::stoul(port_text) > 65535) {
      return bad("has a bad port");
    }
    parsed.port = port_text;
  }
  return parsed;
}

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

struct HttpClientTls::Impl {
  Impl() : context(asio::ssl::context::tls_client) {}
  asio::ssl::context context;
};

HttpClientTls::HttpClientTls(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClientTls::~HttpClientTls() = default;
void* HttpClientTls::native_context() { return &impl_->context; }

StatusOr<std::unique_ptr<HttpClientTls>> HttpClientTls::Create(const std::string& ca_file) {
  std::unique_ptr<Impl> impl;
  try {
    impl = std::make_unique<Impl>();
  } catch (const std::exception& e) {
    return InternalError(std::string("cannot create a TLS client context: ") + e.what());
  }
  if (SSL_CTX_set_min_proto_version(impl->context.native_handle(), TLS1_2_VERSION) != 1) {
    return InternalError("cannot require TLS 1.2 of a TLS client context");
  }
  boost::system::error_code ec;
  if (ca_file.empty()) {
    impl->context.set_default_verify_paths(ec);
  } else {
    impl->context.load_verify_file(ca_file, ec);
  }
  if (!ec) impl->context.set_verify_mode(asio::ssl::verify_peer, ec);
  if (ec) {
    return InternalError((ca_file.empty()
                              ? std::string("cannot load the system's CA certificates")
                              : "cannot load the CA certificates of '" + ca_file + "'") +
                         ": " + ec.message());
  }
  return std::unique_ptr<HttpClientTls>(new HttpClientTls(std::move(impl)));
}

namespace {

// resolve, connect, TLS handshake (https), send, read the answer; all within the timeout.
class Exchange : public HttpExchange, public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(asio::io_context& io, HttpUrl where, asio::ssl::context* tls,
           std::chrono::milliseconds timeout, size_t max_body, Done done)
      : where_(std::move(where)),
        resolver_(io),
        deadline_(io),
        timeout_(timeout),
        done_(std::move(done)) {
    if (where_.tls) {
      tls_stream_.emplace(io, *tls);
    } else {
      plain_.emplace(io);
    }
    parser_.body_limit(max_body);
  }

  void Begin(http::request<http::string_body> request) {
    request_ = std::move(request);
    deadline_.expires_after(timeout_);
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

  void Cancel() override {
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
      Fail("cannot connect to " + where_.host_header + ": " + ec.message());
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
            self->Fail("TLS handshake with " + self->where_.host_header +
                       " failed: " + handshake_ec.message());
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
          http::async_read(stream, self->buffer_, self->parser_,
                           [self](const boost::system::error_code& read_ec, size_t) {
                             self->OnAnswer(read_ec);
                           });
        });
  }

  void OnAnswer(const boost::system::error_code& ec) {
    if (finished_) return;
    if (ec == http::error::body_limit) {
      Fail("the answer's body is over " + std::to_string(*parser_.get().payload_size()) + " bytes");
      return;
    }
    if (ec) {
      Fail("no answer: " + ec.message());
      return;
    }
    HttpClientReply reply;
    reply.status = parser_.get().result_int();
    reply.body = std::move(parser_.get().body());
    Finish(std::move(reply));
  }

  void Fail(std::string why) {
    Finish(UnavailableError(timed_out_ ? "no answer from " + where_.host_header + " within " +
                                             std::to_string(timeout_.count()) + " ms"
                                       : std::move(why)));
  }

  void Finish(StatusOr<HttpClientReply> result) {
    if (finished_) return;
    finished_ = true;
    Abort();
    Done done = std::move(done_);
    done(std::move(result));
  }

  const HttpUrl where_;
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  const std::chrono::milliseconds timeout_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  Done done_;
  bool timed_out_ = false;
  bool finished_ = false;
};

}  // namespace

std::shared_ptr<HttpExchange> HttpExchange::Start(asio::io_context& io, const HttpUrl& where,
                                                  HttpClientTls* tls, HttpClientRequest request,
                                                  Done done) {
  const http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown || (where.tls && tls == nullptr)) {
    // Reported like any failure, on io and never from within Start.
    const std::string why = verb == http::verb::unknown
                                ? "'" + request.method + "' is not an HTTP method"
                                : "an https:// URL needs a TLS client context";
    asio::post(io, [done = std::move(done), why] { done(InvalidArgumentError(why)); });
    return nullptr;
  }
  http::request<http::string_body> r(verb, request.target.empty() ? where.target : request.target,
                                     11);
  r.set(http::field::host, where.host_header);
  r.set(http::field::user_agent, "tessera");
  for (const auto& [name, value] : request.headers) r.set(name, value);
  if (!request.content_type.empty()) r.set(http::field::content_type, request.content_type);
  r.keep_alive(false);
  r.body() = std::move(request.body);
  r.prepare_payload();
  auto exchange = std::make_shared<Exchange>(
      io, where, tls ? static_cast<asio::ssl::context*>(tls->native_context()) : nullptr,
      request.timeout, request.max_body_bytes, std::move(done));
  exchange->Begin(std::move(r));
  return exchange;
}

}  // namespace tessera::control
