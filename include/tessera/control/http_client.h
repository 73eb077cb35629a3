// One HTTP(S) request and its answer, asynchronously on an Asio io_context: what the webhooks
// POST, what the MCU asks of its recorder and what the recorder asks of the MCU (a recorder joins
// a room through the MCU's API).
//
// A request has `timeout` from the start to the whole answer: resolve, connect, TLS handshake
// (https: TLS 1.2 or newer, the system's CA certificates or ca_file, the certificate must name
// the host), send, read. An answer body over max_body_bytes is a failure, not a truncated body.
//
// Runs on: `io`; Start may be called from any thread (it posts nothing itself: call it on io when
// other work of the caller's lives there), `done` runs on io exactly once, never after Cancel.
#pragma once

#include <tessera/base/status.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tessera::control {

// http(s)://host[:port][/path][?query]; IPv6 literals in brackets. No user information and no
// fragment (neither has a meaning here, and "user@" hides where requests go).
struct HttpUrl {
  bool tls = false;
  std::string host;         // a name or an IP address (without brackets)
  std::string port;         // "80", "443" or as written
  std::string target;       // path and query, "/" when the URL has none
  std::string host_header;  // host[:port] as written in the URL
};
// Errors (InvalidArgument) name `where` (the config key) and the URL.
StatusOr<HttpUrl> ParseHttpUrl(const std::string& url, const std::string& where);
bool IsIpLiteral(const std::string& host);

// A client TLS context: peers' certificates are checked against the system's CA certificates,
// or against ca_file when it is not empty (a private CA on-prem).
class HttpClientTls {
 public:
  // Internal when the context or the CA certificates cannot be loaded.
  static StatusOr<std::unique_ptr<HttpClientTls>> Create(const std::string& ca_file = "");
  ~HttpClientTls();
  void* native_context();  // asio::ssl::context*, for http_client.cc

 private:
  struct Impl;
  explicit HttpClientTls(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct HttpClientRequest {
  std::string method = "GET";  // GET, POST, PUT, PATCH, DELETE
  std::string target;          // path and query; empty: the URL's
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;  // with a body
  std::string body;
  std::chrono::milliseconds timeout{5000};
  size_t max_body_bytes = 1 << 20;
};

struct HttpClientReply {
  unsigned status = 0;
  std::string body;
};

class HttpExchange {
 public:
  // Why no answer came: "cannot connect: ...", "no answer within 5 s", ... (Unavailable).
  using Done = std::function<void(StatusOr<HttpClientReply>)>;

  // Starts the request. `tls` must be given (and outlive the exchange) for an https URL; without
  // it an https URL fails at once (through `done`).
  static std::shared_ptr<HttpExchange> Start(boost::asio::io_context& io, const HttpUrl& where,
                                             HttpClientTls* tls, HttpClientRequest request,
                                             Done done);
  virtual ~HttpExchange() = default;

  // Ends it: `done` is not called. Call on io.
  virtual void Cancel() = 0;
};

}  // namespace tessera::control
