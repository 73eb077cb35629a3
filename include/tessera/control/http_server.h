// The control plane's HTTP server: Beast over its own io_context thread. It owns the sockets, the
// TLS context and the limits that keep one slow or oversized client from costing anything else;
// the meaning of a request is the handler's (api.h).
//
// What a client may hold (each refusal answered with a problem JSON, problem.h, and counted):
// - a header over control.max_header_bytes: 431; a body over max_body_bytes (by Content-Length
//   or while a chunked body arrives): 413; a request that is not HTTP/1.x: 400;
// - a request's header and body must arrive within request_timeout_s of its first byte (the
//   first request of a connection: of the accept, TLS handshake included), however slowly they
//   keep coming: 408, then the connection is closed;
// - a keep-alive connection that starts no new request within idle_timeout_s is closed;
// - a connection over max_connections, or over max_connections_per_source from one source (an
//   IPv4 address, or the /64 of an IPv6 one), gets a 503 as it is accepted (plain HTTP; over TLS
//   it is closed at once) and is closed.
// Each answer the server makes itself is counted in tessera_api_requests_total with
// route="(server)"; timeouts in tessera_api_timeouts_total{kind}, refused connections in
// tessera_api_connections_refused_total{reason}.
//
// Runs on: its own thread, which runs io(); the handlers are called there, one request at a time.
// Start, Stop, ReloadTls and Post may be called from any thread (Stop not from the io thread).
#pragma once

#include <tessera/base/status.h>
#include <tessera/control/config.h>
#include <tessera/control/http.h>

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>

namespace tessera::control {

class HttpServerImpl;

class HttpServer {
 public:
  // `api` answers every request on control.port; `metrics` answers GET /metrics on
  // control.metrics_port (everything else there is 404) and may be null when that port is 0.
  // Both must outlive the server.
  HttpServer(const ControlConfig& config, HttpHandler& api, HttpHandler* metrics);
  // Stops it.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds control.listen_address:port (port 0: an ephemeral one, see port()) and, when
  // metrics_port is not 0, the metrics listener; starts the thread. HTTPS when tls_cert_file and
  // tls_key_file are both set (TLS 1.2 or newer); plain HTTP when neither is, and then only on a
  // loopback address unless allow_plain_http (a warning is logged). Errors: InvalidArgument (bad
  // address, certificate or key, half a TLS configuration, plain HTTP refused, a zero limit),
  // Unavailable (cannot listen), FailedPrecondition (already started).
  Status Start();
  // Closes the listeners and every connection, stops io() and joins the thread: work posted and
  // not yet run is dropped, not run. Idempotent. Objects that live on io() (WebhookSender) must
  // be stopped before and destroyed before the server.
  void Stop();

  // The bound ports, once Start succeeded (0 before, and for metrics_port when there is none).
  uint16_t port() const;
  uint16_t metrics_port() const;

  // Re-reads tls_cert_file and tls_key_file (SIGHUP). New connections use the new certificate;
  // open ones keep theirs. On an error the old context stays and the error is returned.
  // FailedPrecondition when the server has no TLS.
  Status ReloadTls();

  // Runs `work` on the server's thread (the webhook sender and the app use it).
  void Post(std::function<void()> work);
  boost::asio::io_context& io();

 private:
  std::unique_ptr<HttpServerImpl> impl_;
};

}  // namespace tessera::control
