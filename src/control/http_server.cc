#include <openssl/ssl.h>
#include <pthread.h>
#include <tessera/base/logging.h>
#include <tessera/base/metrics.h>
#include <tessera/control/http_server.h>
#include <tessera/control/problem.h>
#include <tessera/net/networks.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "control/http_connection.h"

namespace tessera::control {

namespace asio = boost::asio;
using asio::ip::tcp;
using http_detail::Connection;
using http_detail::ConnectionBase;
using http_detail::kServerName;
using http_detail::ServerShared;
using http_detail::SslStream;

namespace {

int64_t SteadyNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The address a handler sees (rate limits, logs): an IPv4-mapped address as IPv4.
std::string AddressText(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
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
    if (value == 0) {
      return InvalidArgumentError(std::string("control.") + name + " must be at least 1");
    }
  }
  return Status::Ok();
}

}  // namespace

// Runs on: Start, Stop and ReloadTls on their callers' threads (serialised); everything else on
// the io thread.
class HttpServerImpl {
 public:
  HttpServerImpl(const ControlConfig& control, HttpHandler& api_handler,
                 HttpHandler* metrics_handler)
      : shared_(std::make_shared<ServerShared>(control, api_handler, metrics_handler)),
        config_(shared_->config),
        refused_per_source_(GlobalMetrics().GetCounter("tessera_api_connections_refused_total",
                                                       {{"reason", "per_source"}})),
        refused_total_(GlobalMetrics().GetCounter("tessera_api_connections_refused_total",
                                                  {{"reason", "total"}})),
        refusal_per_source_bytes_(RefusalBytes("too many connections from this address")),
        refusal_total_bytes_(RefusalBytes("the server has too many connections")) {}

  ~HttpServerImpl() { Stop(); }

  Status Start();
  void Stop();
  Status ReloadTls();

  asio::io_context& io() { return io_; }
  uint16_t port() const { return port_.load(); }
  uint16_t metrics_port() const { return metrics_port_.load(); }

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

  // With the connections: the configuration, the handlers, the open connections (io thread).
  const std::shared_ptr<ServerShared> shared_;
  const ControlConfig& config_;  // shared_->config
  Counter& refused_per_source_;
  Counter& refused_total_;
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
  LogRateLimiter refusal_log_;
  LogRateLimiter accept_log_;
  std::thread thread_;
};

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
  if (config_.metrics_port != 0 && shared_->metrics == nullptr) {
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
  spdlog::info("control: listening on {}://{}:{}", tls ? "https" : "http", config_.listen_address,
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
  shared_->stopping = true;
  boost::system::error_code ec;
  for (const auto& listener : listeners_) {
    listener->acceptor.close(ec);
    listener->retry.cancel();
  }
  // Copied first: a connection that goes while it is closed leaves the table.
  std::vector<std::shared_ptr<ConnectionBase>> open;
  for (const auto& entry : shared_->live) {
    if (auto c = entry.second.lock()) open.push_back(std::move(c));
  }
  for (const auto& c : open) c->Close();
}

void HttpServerImpl::Accept(Listener* listener) {
  listener->acceptor.async_accept(
      [this, listener](const boost::system::error_code& ec, tcp::socket socket) {
        if (shared_->stopping || ec == asio::error::operation_aborted) return;
        if (ec) {
          // Out of descriptors, most likely: accepting again at once would spin.
          if (accept_log_.Allow(SteadyNowUs())) {
            spdlog::warn("control: accept failed: {} ({} more since the last warning)",
                         ec.message(), accept_log_.suppressed());
          }
          listener->retry.expires_after(std::chrono::milliseconds(100));
          listener->retry.async_wait([this, listener](const boost::system::error_code& wait_ec) {
            if (!wait_ec && !shared_->stopping) Accept(listener);
          });
          return;
        }
        // Re-armed first: a connection that cannot be set up (no memory for its TLS state)
        // must not stop the listener.
        Accept(listener);
        try {
          OnAccepted(*listener, std::move(socket));
        } catch (const std::exception& e) {
          spdlog::error("control: a new connection could not be set up: {}", e.what());
        }
      });
}

void HttpServerImpl::OnAccepted(const Listener& listener, tcp::socket socket) {
  boost::system::error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return;  // gone already; the socket closes with it
  const std::string source = net::ConnectionSourceKey(remote.address());
  const std::string address = AddressText(remote.address());
  if (shared_->total >= config_.max_connections) {
    Refuse(std::move(socket), /*per_source=*/false, listener.tls, source, address);
    return;
  }
  if (shared_->From(source) >= config_.max_connections_per_source) {
    Refuse(std::move(socket), /*per_source=*/true, listener.tls, source, address);
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  std::shared_ptr<ConnectionBase> connection;
  if (listener.tls) {
    connection = std::make_shared<Connection<SslStream>>(shared_, std::move(socket), CurrentTls(),
                                                         source, address, listener.metrics_only);
  } else {
    connection = std::make_shared<Connection<boost::beast::tcp_stream>>(
        shared_, std::move(socket), nullptr, source, address, listener.metrics_only);
  }
  shared_->Add(connection, source);
  connection->Start();
}

void HttpServerImpl::Refuse(tcp::socket socket, bool per_source, bool tls,
                            const std::string& source, const std::string& address) {
  (per_source ? refused_per_source_ : refused_total_).Add();
  if (refusal_log_.Allow(SteadyNowUs())) {
    spdlog::warn(
        "control: refused a connection from {}: {} ({} open, {} from it); {} more refused since "
        "the last warning",
        address, per_source ? "max_connections_per_source" : "max_connections", shared_->total,
        shared_->From(source), refusal_log_.suppressed());
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
