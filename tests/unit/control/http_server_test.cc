// The control plane's HTTP server on 127.0.0.1 with a fake handler, driven by Beast and plain
// Asio clients: answers, the limits (431, 413, 408, idle close, connection caps), the plain HTTP
// rule and HTTPS with a certificate reload. Every wait is bounded by a client-side limit, so a
// broken server fails a test instead of hanging it; nothing sleeps.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <tessera/base/metrics.h>
#include <tessera/control/http_server.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tessera::control {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;
using Response = http::response<http::string_body>;

constexpr std::chrono::milliseconds kWait = 5000ms;

// Answers 200 with its body (and X-Path: the path it saw) and keeps each request; "/throw"
// throws. Called on the server's thread.
class FakeHandler : public HttpHandler {
 public:
  explicit FakeHandler(std::string body = R"({"ok":true})") : body_(std::move(body)) {}

  HttpResponse Handle(const HttpRequest& request) override {
    if (request.path == "/throw") throw std::runtime_error("the fake handler throws");
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    HttpResponse response;
    response.body = body_;
    response.headers.emplace_back("X-Path", request.path);
    return response;
  }

  std::vector<HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  const std::string body_;
  std::mutex mu_;
  std::vector<HttpRequest> requests_;
};

uint64_t CounterValue(const std::string& name, const Labels& labels) {
  return GlobalMetrics().GetCounter(name, labels).Value();
}

uint64_t ServerAnswers(const std::string& method, int code) {
  return CounterValue("tessera_api_requests_total",
                      {{"route", "(server)"}, {"method", method}, {"code", std::to_string(code)}});
}

ControlConfig LocalConfig() {
  ControlConfig config;
  config.enabled = true;
  config.listen_address = "127.0.0.1";
  config.port = 0;
  return config;
}

std::string Get(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: tessera.test\r\n\r\n";
}

std::string ToString(beast::string_view s) { return std::string(s.data(), s.size()); }

// Runs `io` until `done` or `limit` passed; true when done.
bool RunUntil(asio::io_context& io, const std::function<bool()>& done,
              std::chrono::milliseconds limit = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(10ms);
  }
  return done();
}

// A client on its own io_context over `Stream` (a TCP socket or a TLS stream over one).
template <class Stream>
class BasicClient {
 public:
  asio::io_context& io() { return io_; }
  Stream& stream() { return *stream_; }
  tcp::socket& socket() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      return *stream_;
    } else {
      return stream_->next_layer();
    }
  }

  bool Send(const std::string& bytes) {
    bool done = false;
    boost::system::error_code ec;
    asio::async_write(*stream_, asio::buffer(bytes),
                      [&](const boost::system::error_code& e, size_t) {
                        ec = e;
                        done = true;
                      });
    return Wait(done) && !ec;
  }

  // One response; nullopt when none comes whole within `limit`.
  std::optional<Response> Read(std::chrono::milliseconds limit = kWait) {
    Response response;
    bool done = false;
    boost::system::error_code ec;
    http::async_read(*stream_, buffer_, response, [&](const boost::system::error_code& e, size_t) {
      ec = e;
      done = true;
    });
    if (!Wait(done, limit) || ec) return std::nullopt;
    return response;
  }

  std::optional<Response> Ask(const std::string& request) {
    if (!Send(request)) return std::nullopt;
    return Read();
  }

  // True when the server closes the connection (end of file, or a reset) within `limit`.
  bool ClosedByServer(std::chrono::milliseconds limit = kWait) {
    std::array<char, 512> chunk{};
    bool done = false;
    boost::system::error_code ec;
    socket().async_read_some(asio::buffer(chunk), [&](const boost::system::error_code& e, size_t) {
      ec = e;
      done = true;
    });
    return Wait(done, limit) && (ec == asio::error::eof || ec == asio::error::connection_reset);
  }

 protected:
  // Runs until `done`; past `limit`, cancels what is pending and runs until its handler ran (the
  // handlers refer to the caller's locals). True when done in time.
  bool Wait(bool& done, std::chrono::milliseconds limit = kWait) {
    const bool in_time = RunUntil(
        io_, [&] { return done; }, limit);
    if (in_time) return true;
    boost::system::error_code ignored;
    socket().cancel(ignored);
    RunUntil(io_, [&] { return done; });
    return false;
  }

  asio::io_context io_;
  std::optional<Stream> stream_;
  beast::flat_buffer buffer_;
};

class Client : public BasicClient<tcp::socket> {
 public:
  Client() { stream_.emplace(io_); }

  // Connects to 127.0.0.1:port from address `from`.
  bool Connect(uint16_t port, const std::string& from = "127.0.0.1") {
    boost::system::error_code ec;
    socket().open(tcp::v4(), ec);
    if (!ec) socket().bind(tcp::endpoint(asio::ip::make_address(from), 0), ec);
    if (ec) return false;
    bool done = false;
    socket().async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                           [&](const boost::system::error_code& e) {
                             ec = e;
                             done = true;
                           });
    return Wait(done) && !ec;
  }
};

std::string Fingerprint(X509* cert) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  if (X509_digest(cert, EVP_sha256(), md.data(), &size) != 1) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 0x0f]);
  }
  return hex;
}

std::string FileFingerprint(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return "";
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (cert == nullptr) return "";
  const std::string fingerprint = Fingerprint(cert);
  X509_free(cert);
  return fingerprint;
}

class TlsClient : public BasicClient<asio::ssl::stream<tcp::socket>> {
 public:
  TlsClient() : context_(asio::ssl::context::tls_client) {
    stream_.emplace(io_, context_);
    stream_->set_verify_mode(asio::ssl::verify_none);
  }

  bool Connect(uint16_t port) {
    bool done = false;
    boost::system::error_code ec;
    socket().async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                           [&](const boost::system::error_code& e) {
                             ec = e;
                             done = true;
                           });
    if (!Wait(done) || ec) return false;
    done = false;
    stream_->async_handshake(asio::ssl::stream_base::client,
                             [&](const boost::system::error_code& e) {
                               ec = e;
                               done = true;
                             });
    return Wait(done) && !ec;
  }

  // The SHA-256 fingerprint of the certificate the server showed.
  std::string PeerFingerprint() {
    X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
    if (cert == nullptr) return "";
    const std::string fingerprint = Fingerprint(cert);
    X509_free(cert);
    return fingerprint;
  }

 private:
  asio::ssl::context context_;
};

// Writes a fresh self-signed P-256 certificate (common name `name`) and its key as PEM.
bool WriteSelfSigned(const std::string& cert_path, const std::string& key_path,
                     const std::string& name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key != nullptr && cert != nullptr;
  if (ok) {
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* subject = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert, subject);
    ok = X509_sign(cert, key, EVP_sha256()) > 0;
  }
  std::FILE* c = ok ? std::fopen(cert_path.c_str(), "w") : nullptr;
  std::FILE* k = ok ? std::fopen(key_path.c_str(), "w") : nullptr;
  ok = c != nullptr && k != nullptr && PEM_write_X509(c, cert) == 1 &&
       PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (c != nullptr) std::fclose(c);
  if (k != nullptr) std::fclose(k);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

// A folder of its own under the temp dir, removed at the end of the test.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              ("tessera_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The problem JSON of an error answer; an empty object when it is none.
nlohmann::json ProblemOf(const Response& response) {
  EXPECT_EQ(ToString(response[http::field::content_type]), "application/problem+json");
  nlohmann::json problem =
      nlohmann::json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(problem.is_object()) << response.body();
  return problem.is_object() ? problem : nlohmann::json::object();
}

TEST(HttpServer, AnswersARequestWithTheHandlersResponse) {
  FakeHandler handler;
  HttpServer server(LocalConfig(), handler, nullptr);
  ASSERT_TRUE(server.Start().ok());
  ASSERT_NE(server.port(), 0);

  Client client;
  ASSERT_TRUE(client.Connect(server.port()));
  auto response = client.Ask(
      "GET /v1/rooms?limit=5 HTTP/1.1\r\nHost: tessera.test\r\nX-Custom-Header: Yes\r\n\r\n");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 200u);
  EXPECT_EQ(response->body(), R"({"ok":true})");
  EXPECT_EQ(ToString((*response)[http::field::content_type]), "application/json");
  EXPECT_EQ(ToString((*response)[http::field::server]), "tessera");
  EXPECT_EQ(ToString((*response)["X-Path"]), "/v1/rooms");
  EXPECT_TRUE(response->keep_alive());

  // The same connection carries the next request, with a body.
  response = client.Ask(
      "POST /v1/rooms HTTP/1.1\r\nHost: tessera.test\r\nContent-Type: application/json\r\n"
      "Content-Length: 15\r\n\r\n{\"name\":\"main\"}");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 200u);

  const std::vector<HttpRequest> seen = handler.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].path, "/v1/rooms");
  EXPECT_EQ(seen[0].query, "limit=5");
  EXPECT_EQ(seen[0].Header("x-custom-header"), "Yes");
  EXPECT_EQ(seen[0].Header("host"), "tessera.test");
  EXPECT_EQ(seen[0].source_address, "127.0.0.1");
  EXPECT_FALSE(seen[0].tls);
  EXPECT_EQ(seen[1].method, "POST");
  EXPECT_EQ(seen[1].query, "");
  EXPECT_EQ(seen[1].body, R"({"name":"main"})");
  server.Stop();
}

TEST(HttpServer, LetsAClientThatExpects100ContinueSendItsBody) {
  FakeHandler handler;
  HttpServer server(LocalConfig(), handler, nullptr);
  ASSERT_TRUE(server.Start().ok());
  Client client;
  ASSERT_TRUE(client.Connect(server.port()));
  auto interim = client.Ask(
      "POST /v1/rooms HTTP/1.1\r\nHost: tessera.test\r\nExpect: 100-continue\r\n"
      "Content-Length: 2\r\n\r\n");
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->result_int(), 100u);
  auto response = client.Ask("{}");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 200u);
  ASSERT_EQ(handler.requests().size(), 1u);
  EXPECT_EQ(handler.requests()[0].body, "{}");
}

TEST(HttpServer, AnswersAHandlerExceptionWith500AndKeepsServing) {
  FakeHandler handler;
  HttpServer server(LocalConfig(), handler, nullptr);
  ASSERT_TRUE(server.Start().ok());
  const uint64_t before = ServerAnswers("GET", 500);
  Client client;
  ASSERT_TRUE(client.Connect(server.port()));
  auto response = client.Ask(Get("/throw"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 500u);
  const nlohmann::json problem = ProblemOf(*response);
  EXPECT_EQ(problem.value("type", ""), "urn:tessera:problem:internal");
  EXPECT_EQ(problem.value("status", 0), 500);
  EXPECT_EQ(ServerAnswers("GET", 500), before + 1);
  response = client.Ask(Get("/healthz"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 200u);
}

TEST(HttpServer, AnswersAHeaderOverTheLimitWith431AndCloses) {
  ControlConfig config = LocalConfig();
  config.max_header_bytes = 1024;
  FakeHandler handler;
  HttpServer server(config, handler, nullptr);
  ASSERT_TRUE(server.Start().ok());
  const uint64_t before = ServerAnswers("unknown", 431);

  Client client;
  ASSERT_TRUE(client.Connect(server.port()));
  auto response = client.Ask(
      "GET / HTTP/1.1\r\nHost: tessera.test\r\nX-Padding: " + std::string(4000, 'a') + "\r\n\r\n");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 431u);
  const nlohmann::json problem = ProblemOf(*response);
  EXPECT_EQ(problem.value("type", ""), "urn:tessera:problem:header-too-large");
  EXPECT_EQ(problem.value("status", 0), 431);
  EXPECT_FALSE(problem.value("detail", "").empty());
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(client.ClosedByServer());
  EXPECT_EQ(ServerAnswers("unknown", 431), before + 1);
  EXPECT_TRUE(handler.requests().empty());
}

TEST(HttpServer, AnswersABodyOverTheLimitWith413ByContentLengthOrWhileChunked) {
  ControlConfig config = LocalConfig();
  config.max_body_bytes = 100;
  FakeHandler handler;
  HttpServer server(config, handler, nullptr);
  ASSERT_TRUE(server.Start().ok());
  const uint64_t before = ServerAnswers("POST", 413);

  Client declared;
  ASSERT_TRUE(declared.Connect(server.port()));
  auto response =
      declared.Ask("POST /v1/rooms HTTP/1.1\r\nHost: tessera.test\r\nContent-Length: 1000\r\n\r\n" +
                   std::string(1000, 'x'));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 413u);
  EXPECT_EQ(ProblemOf(*response).value("type", ""), "urn:tessera:problem:payload-too-large");

  Client chunked;
  ASSERT_TRUE(chunked.Connect(server.port()));
  std::string request =
      "POST /v1/rooms HTTP/1.1\r\nHost: tessera.test\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) request += "40\r\n" + std::string(64, 'y') + "\r\n";
  request += "0\r\n\r\n";
  response = chunked.Ask(request);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 413u);

  EXPECT_EQ(ServerAnswers("POST", 413), before + 2);
  EXPECT_TRUE(handler.requests().empty());
}

TEST(HttpServer, AnswersHalfARequestWith408AtTheRequestTimeout) {
  ControlConfig config = LocalConfig();
  config.request_timeout_s = 1;
  FakeHandler handler;
  HttpServer server(config, handler, nullptr);
  ASSERT_TRUE(server.Start().ok());
  const uint64_t before = CounterValue("tessera_api_timeouts_total", {{"kind", "request"}});

  Client client;
  ASSERT_TRUE(client.Connect(server.port()));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.Send("GET /v1/rooms HTTP/1.1\r\nHost: tessera.test\r\n"));
  auto response = client.Read();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 408u);
  EXPECT_EQ(ProblemOf(*response).value("type", ""), "urn:tessera:problem:request-timeout");
  EXPECT_GE(elapsed, 500ms);
  EXPECT_LT(elapsed, 3000ms);
  EXPECT_TRUE(client.ClosedByServer());
  EXPECT_EQ(CounterValue("tessera_api_timeouts_total", {{"kind", "request"}}), before + 1);
}

// A slowloris: one byte every 200 ms would keep a per-read timeout alive for half a minute; the
// request's deadline still ends it at request_timeout_s.
TEST(HttpServer, ATrickleOfBytesDoesNotExtendTheRequestTimeout) {
  ControlConfig config = LocalConfig();
  config.request_timeout_s = 1;
  FakeHandler handler;
  HttpServer server(config, handler, nullptr);
  ASSERT_TRUE(server.Start().ok());

  Client client;
  ASSERT_TRUE(client.Connect(server.port()));
  const std::string slow =
      "GET / HTTP/1.1\r\nHost: tessera.test\r\nX-Slow: " + std::string(150, 'a');
  size_t sent = 0;
  asio::steady_timer tick(client.io());
  std::function<void()> send_next = [&] {
    if (sent >= slow.size()) return;
    asio::async_write(client.socket(), asio::buffer(&slow[sent], 1),
                      [&](const boost::system::error_code& ec, size_t) {
                        if (ec) return;
                        ++sent;
                        tick.expires_after(200ms);
                        tick.async_wait([&](const boost::system::error_code& wait_ec) {
                          if (!wait_ec) send_next();
                        });
                      });
  };
  const auto start = std::chrono::steady_clock::now();
  send_next();
  auto response = client.Read();  // the trickle goes on meanwhile, on the same io_context
  const auto elapsed = std::chrono::steady_clock::now() - start;
  tick.cancel();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 408u);
  EXPECT_GE(sent, 2u);
  EXPECT_LT(elapsed, 3000ms);
  EXPECT_LT(sent, slow.size());
}

TEST(HttpServer, ClosesAKeepAliveConnectionIdleForIdleTimeout) {
  ControlConfig config = LocalConfig();
  config.idle_timeout_s = 1;
  FakeHandler handler;
  HttpServer server(config, handler, nullptr);
  ASSERT_TRUE(server.Start().ok());
  const uint64_t before = CounterValue("tessera_api_timeouts_total", {{"kind", "idle"}});

  Client client;
  ASSERT_TRUE(client.Connect(server.port()));
  auto response = client.Ask(Get("/healthz"));
  ASSERT_TRUE(response.has_value());
  EXPECT_TRUE(response->keep_alive());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.ClosedByServer());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3000ms);
  EXPECT_EQ(CounterValue("tessera_api_timeouts_total", {{"kind", "idle"}}), before + 1);
}

TEST(HttpServer, RefusesAConnectionOverThePerSourceLimitButServesAnotherSource) {
  ControlConfig config = LocalConfig();
  config.max_connections_per_source = 2;
  config.request_timeout_s = 30;
  config.idle_timeout_s = 30;
  FakeHandler handler;
  HttpServer server(config, handler, nullptr);
  ASSERT_TRUE(server.Start().ok());
  const uint64_t before =
      CounterValue("tessera_api_connections_refused_total", {{"reason", "per_source"}});

  // Two connections held open, each known to the server by an answer on it.
  Client first;
  Client second;
  for (Client* held : {&first, &second}) {
    ASSERT_TRUE(held->Connect(server.port()));
    auto response = held->Ask(Get("/healthz"));
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->result_int(), 200u);
  }

  Client third;
  ASSERT_TRUE(third.Connect(server.port()));
  auto refused = third.Read();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->result_int(), 503u);
  EXPECT_EQ(ProblemOf(*refused).value("type", ""), "urn:tessera:problem:unavailable");
  EXPECT_TRUE(third.ClosedByServer());
  EXPECT_EQ(CounterValue("tessera_api_connections_refused_total", {{"reason", "per_source"}}),
            before + 1);

  Client other_source;
  if (!other_source.Connect(server.port(), "127.0.0.2")) {
    GTEST_SKIP() << "cannot connect from 127.0.0.2 on this machine";
  }
  auto response = other_source.Ask(Get("/v1/rooms"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 200u);
  ASSERT_FALSE(handler.requests().empty());
  EXPECT_EQ(handler.requests().back().source_address, "127.0.0.2");
}

TEST(HttpServer, RefusesAConnectionOverTheTotalLimit) {
  ControlConfig config = LocalConfig();
  config.max_connections = 1;
  FakeHandler handler;
  HttpServer server(config, handler, nullptr);
  ASSERT_TRUE(server.Start().ok());
  const uint64_t before =
      CounterValue("tessera_api_connections_refused_total", {{"reason", "total"}});

  Client held;
  ASSERT_TRUE(held.Connect(server.port()));
  ASSERT_TRUE(held.Ask(Get("/healthz")).has_value());
  Client refused;
  ASSERT_TRUE(refused.Connect(server.port()));
  auto response = refused.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 503u);
  EXPECT_EQ(CounterValue("tessera_api_connections_refused_total", {{"reason", "total"}}),
            before + 1);

  // Once the server has seen the held one go, a new connection is served (until then each is
  // refused like the one above).
  held.socket().close();
  bool served = false;
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!served && std::chrono::steady_clock::now() < deadline) {
    Client next;
    ASSERT_TRUE(next.Connect(server.port()));
    const auto answer = next.Ask(Get("/healthz"));
    served = answer.has_value() && answer->result_int() == 200u;
  }
  EXPECT_TRUE(served);
}

TEST(HttpServer, RefusesPlainHttpOnANonLoopbackAddressUnlessAllowed) {
  FakeHandler handler;
  ControlConfig config = LocalConfig();
  config.listen_address = "0.0.0.0";
  {
    HttpServer server(config, handler, nullptr);
    const Status status = server.Start();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("allow_plain_http"), std::string::npos) << status.message();
  }
  config.allow_plain_http = true;
  {
    HttpServer server(config, handler, nullptr);
    const Status status = server.Start();
    ASSERT_TRUE(status.ok()) << status.message();
    EXPECT_NE(server.port(), 0);
    server.Stop();
  }
}

TEST(HttpServer, RefusesHalfATlsConfigurationAndABadAddress) {
  FakeHandler handler;
  ControlConfig config = LocalConfig();
  config.tls_cert_file = "/nonexistent/cert.pem";
  {
    HttpServer server(config, handler, nullptr);
    const Status status = server.Start();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("tls_key_file"), std::string::npos) << status.message();
  }
  config = LocalConfig();
  config.listen_address = "localhost:80";
  {
    HttpServer server(config, handler, nullptr);
    EXPECT_EQ(server.Start().code(), StatusCode::kInvalidArgument);
  }
  config = LocalConfig();
  config.tls_cert_file = "/nonexistent/cert.pem";
  config.tls_key_file = "/nonexistent/key.pem";
  {
    HttpServer server(config, handler, nullptr);
    const Status status = server.Start();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("/nonexistent/cert.pem"), std::string::npos)
        << status.message();
  }
}

TEST(HttpServer, ServesOnlyMetricsOnTheMetricsPort) {
  // A free port for the metrics listener (port 0 there means "none").
  uint16_t free_port = 0;
  {
    asio::io_context io;
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    free_port = probe.local_endpoint().port();
  }
  ControlConfig config = LocalConfig();
  config.metrics_port = free_port;
  FakeHandler api;
  FakeHandler metrics("tessera_up 1\n");
  {
    HttpServer without(config, api, nullptr);
    EXPECT_EQ(without.Start().code(), StatusCode::kInvalidArgument);
  }
  HttpServer server(config, api, &metrics);
  const Status status = server.Start();
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(server.metrics_port(), free_port);

  Client client;
  ASSERT_TRUE(client.Connect(server.metrics_port()));
  auto response = client.Ask(Get("/metrics"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 200u);
  EXPECT_EQ(response->body(), "tessera_up 1\n");
  response = client.Ask(Get("/v1/rooms"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 404u);
  EXPECT_EQ(ProblemOf(*response).value("type", ""), "urn:tessera:problem:not-found");
  EXPECT_TRUE(api.requests().empty());
  EXPECT_EQ(metrics.requests().size(), 1u);
}

TEST(HttpServer, StopClosesOpenConnections) {
  FakeHandler handler;
  HttpServer server(LocalConfig(), handler, nullptr);
  ASSERT_TRUE(server.Start().ok());
  Client client;
  ASSERT_TRUE(client.Connect(server.port()));
  ASSERT_TRUE(client.Ask(Get("/healthz")).has_value());
  server.Stop();
  EXPECT_TRUE(client.ClosedByServer());
  server.Stop();  // idempotent
}

TEST(HttpServerTls, ServesHttpsAndANewConnectionSeesTheReloadedCertificate) {
  TempDir dir("http_tls");
  const std::string cert = dir.File("cert.pem");
  const std::string key = dir.File("key.pem");
  ASSERT_TRUE(WriteSelfSigned(cert, key, "first.tessera.test"));
  const std::string first = FileFingerprint(cert);
  ASSERT_FALSE(first.empty());

  ControlConfig config = LocalConfig();
  config.tls_cert_file = cert;
  config.tls_key_file = key;
  FakeHandler handler;
  HttpServer server(config, handler, nullptr);
  const Status started = server.Start();
  ASSERT_TRUE(started.ok()) << started.message();

  TlsClient before;
  ASSERT_TRUE(before.Connect(server.port()));
  EXPECT_EQ(before.PeerFingerprint(), first);
  auto response = before.Ask(Get("/v1/rooms"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 200u);
  ASSERT_EQ(handler.requests().size(), 1u);
  EXPECT_TRUE(handler.requests()[0].tls);

  ASSERT_TRUE(WriteSelfSigned(cert, key, "second.tessera.test"));
  const std::string second = FileFingerprint(cert);
  ASSERT_NE(second, first);
  const Status reloaded = server.ReloadTls();
  ASSERT_TRUE(reloaded.ok()) << reloaded.message();

  TlsClient after;
  ASSERT_TRUE(after.Connect(server.port()));
  EXPECT_EQ(after.PeerFingerprint(), second);
  response = after.Ask(Get("/healthz"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 200u);
  // The open connection keeps its own.
  response = before.Ask(Get("/healthz"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 200u);

  // A broken file: the reload fails and the second certificate stays.
  {
    std::ofstream broken(cert, std::ios::trunc);
    broken << "not a certificate\n";
  }
  EXPECT_FALSE(server.ReloadTls().ok());
  TlsClient later;
  ASSERT_TRUE(later.Connect(server.port()));
  EXPECT_EQ(later.PeerFingerprint(), second);

  // Plain HTTP to the HTTPS port gets no answer from the handler.
  Client plain;
  ASSERT_TRUE(plain.Connect(server.port()));
  EXPECT_FALSE(plain.Ask(Get("/v1/rooms")).has_value());
  EXPECT_EQ(handler.requests().size(), 3u);
  server.Stop();
}

TEST(HttpServerTls, ReloadWithoutTlsIsRefused) {
  FakeHandler handler;
  HttpServer server(LocalConfig(), handler, nullptr);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(server.ReloadTls().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tessera::control
