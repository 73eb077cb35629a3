// TLS on 127.0.0.1 with a throw-away self-signed certificate: the stream transport frames and
// answers requests over boost::asio::ssl as it does over TCP.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <tessera/base/clock.h>
#include <tessera/sip/asio_timer_service.h>
#include <tessera/sip/tcp_transport.h>
#include <tessera/sip/transaction_layer.h>
#include <unistd.h>

#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "transaction_test_util.h"

namespace tessera::sip {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Writes a self-signed P-256 certificate and its key as PEM; false on any OpenSSL failure.
bool WriteSelfSigned(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key && cert;
  if (ok) {
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    ok = X509_sign(cert, key, EVP_sha256()) > 0;
  }
  FILE* c = ok ? std::fopen(cert_path.c_str(), "w") : nullptr;
  FILE* k = ok ? std::fopen(key_path.c_str(), "w") : nullptr;
  ok = c && k && PEM_write_X509(c, cert) == 1 &&
       PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (c) std::fclose(c);
  if (k) std::fclose(k);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

TEST(TlsTransport, AnswersTwoRequestsOverOneConnection) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid());  // parallel runs do not share files
  const std::string cert = (dir / ("tessera_sip_tls_cert_" + tag + ".pem")).string();
  const std::string key = (dir / ("tessera_sip_tls_key_" + tag + ".pem")).string();
  ASSERT_TRUE(WriteSelfSigned(cert, key));

  asio::io_context io;
  AsioTimerService timers(io);
  auto tls = TcpTransport::ListenTls(io, "127.0.0.1", 0, cert, key);
  ASSERT_TRUE(tls.ok()) << tls.status().message();
  TcpTransport& server = *tls.value();
  testing::AnswerAll tu;
  TransactionLayer layer(SystemClock(), timers, server, tu);
  tu.layer = &layer;
  server.Start([&](SipMessage m, const Destination& from) {
    EXPECT_EQ(from.transport, "TLS");
    layer.OnMessage(std::move(m), from);
  });
  auto run_until = [&](const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.run_for(5ms);
      io.restart();
    }
  };

  asio::ssl::context client_context(asio::ssl::context::tls_client);
  client_context.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<asio::ip::tcp::socket> client(io, client_context);
  client.next_layer().connect({asio::ip::make_address("127.0.0.1"), server.local_port()});
  bool handshaken = false;
  client.async_handshake(asio::ssl::stream_base::client,
                         [&](const boost::system::error_code& ec) { handshaken = !ec; });
  run_until([&] { return handshaken; });
  ASSERT_TRUE(handshaken);

  std::string two;
  for (const char* branch : {"z9hG4bKtls1", "z9hG4bKtls2"}) {
    testing::RequestSpec s;
    s.method = "OPTIONS";
    s.transport = "TLS";
    s.branch = branch;
    two += testing::RequestText(s);
  }
  bool written = false;
  asio::async_write(client, asio::buffer(two),
                    [&](const boost::system::error_code& ec, size_t) { written = !ec; });
  std::string received;
  std::array<char, 4096> chunk{};
  std::function<void()> read = [&] {
    client.async_read_some(asio::buffer(chunk), [&](const boost::system::error_code& ec, size_t n) {
      if (ec) return;
      received.append(chunk.data(), n);
      read();
    });
  };
  read();
  run_until([&] { return received.find("z9hG4bKtls2") != std::string::npos; });
  EXPECT_TRUE(written);
  EXPECT_EQ(tu.requests, 2);
  EXPECT_NE(received.find("z9hG4bKtls1"), std::string::npos);
  EXPECT_NE(received.find("z9hG4bKtls2"), std::string::npos);
  EXPECT_EQ(server.connections(), 1u);
  std::filesystem::remove(cert);
  std::filesystem::remove(key);
}

// The message timeout runs from the accept, so it covers a handshake that never ends, and from a
// message's first byte after the handshake, as over TCP.
TEST(TlsTransport, AStalledHandshakeAndASlowMessageAreClosedAtTheMessageTimeout) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid());
  const std::string cert = (dir / ("tessera_sip_tls_slow_cert_" + tag + ".pem")).string();
  const std::string key = (dir / ("tessera_sip_tls_slow_key_" + tag + ".pem")).string();
  ASSERT_TRUE(WriteSelfSigned(cert, key));

  asio::io_context io;
  FakeClock clock;
  ManualTimerService timers(clock);
  TcpOptions options;
  options.message_timeout = 10s;
  options.clock = &clock;
  options.timers = &timers;
  auto tls = TcpTransport::ListenTls(io, "127.0.0.1", 0, cert, key, options);
  ASSERT_TRUE(tls.ok()) << tls.status().message();
  TcpTransport& server = *tls.value();
  server.Start([](SipMessage, const Destination&) {});
  auto run_until = [&](const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.run_for(5ms);
      io.restart();
    }
  };
  auto advance = [&](std::chrono::milliseconds by) {
    clock.AdvanceMs(by.count());
    timers.RunDue();
  };
  auto dropped = [&](const std::string& reason) -> uint64_t {
    const auto it = server.counters().dropped.find(reason);
    return it == server.counters().dropped.end() ? 0 : it->second;
  };
  const asio::ip::tcp::endpoint to(asio::ip::make_address("127.0.0.1"), server.local_port());

  // Connects and never says hello.
  asio::ip::tcp::socket silent(io);
  silent.connect(to);
  run_until([&] { return server.connections() == 1; });
  ASSERT_EQ(server.connections(), 1u);
  advance(9s);
  EXPECT_EQ(server.connections(), 1u);
  advance(1s);
  EXPECT_EQ(server.connections(), 0u);
  EXPECT_EQ(dropped("tls handshake timeout"), 1u);

  // Shakes hands, then sends one byte a second.
  asio::ssl::context client_context(asio::ssl::context::tls_client);
  client_context.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<asio::ip::tcp::socket> client(io, client_context);
  client.next_layer().connect(to);
  bool handshaken = false;
  client.async_handshake(asio::ssl::stream_base::client,
                         [&](const boost::system::error_code& ec) { handshaken = !ec; });
  run_until([&] { return handshaken; });
  ASSERT_TRUE(handshaken);
  ASSERT_EQ(server.connections(), 1u);
  const std::string message = "OPTIONS sip:conf@127.0.0.1 SIP/2.0\r\n";
  for (size_t i = 0; i < 10; ++i) {
    if (i > 0) advance(1s);
    bool wrote = false;
    asio::async_write(client, asio::buffer(message.data() + i, 1),
                      [&](const boost::system::error_code& ec, size_t) { wrote = !ec; });
    run_until([&] { return wrote && server.counters().bytes_received == i + 1; });
    ASSERT_TRUE(wrote);
    ASSERT_EQ(server.counters().bytes_received, i + 1);
    ASSERT_EQ(server.connections(), 1u) << "closed after " << i << " s";
  }
  advance(1s);
  EXPECT_EQ(server.connections(), 0u);
  EXPECT_EQ(dropped("tcp header timeout"), 1u);
  std::filesystem::remove(cert);
  std::filesystem::remove(key);
}

TEST(TlsTransport, RefusesAMissingCertificate) {
  asio::io_context io;
  EXPECT_FALSE(
      TcpTransport::ListenTls(io, "127.0.0.1", 0, "/nonexistent.pem", "/nonexistent.pem").ok());
}

}  // namespace
}  // namespace tessera::sip
