// Real sockets on 127.0.0.1: the UDP and TCP transports under a TransactionLayer whose TU
// answers every non-INVITE request with 200.
#include <gtest/gtest.h>
#include <tessera/sip/asio_timer_service.h>
#include <tessera/sip/tcp_transport.h>
#include <tessera/sip/udp_transport.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>

#include "transaction_test_util.h"

namespace tessera::sip {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::string Options(std::string branch) {
  testing::RequestSpec s;
  s.method = "OPTIONS";
  s.branch = std::move(branch);
  s.sent_by = "127.0.0.1";
  std::string text = testing::RequestText(s);
  text.insert(text.find(";branch"), ";rport");  // the reply goes to the source port (RFC 3581)
  return text;
}

class TransportTest : public ::testing::Test {
 protected:
  TransportTest() {
    udp_ = std::move(
        UdpTransport::Open(io_, "127.0.0.1", 0, {}, {.per_second = 1, .burst = 2}).value());
    TcpOptions tcp;
    tcp.max_buffer_bytes = 8 * 1024;
    tcp_ = std::move(TcpTransport::Listen(io_, "127.0.0.1", 0, tcp).value());
    router_.Add("UDP", udp_.get());
    router_.Add("TCP", tcp_.get());
    tu_.layer = &layer_;
    auto deliver = [this](SipMessage m, const Destination& from) {
      layer_.OnMessage(std::move(m), from);
    };
    udp_->Start(deliver);
    tcp_->Start(deliver);
  }

  // Runs the io_context until `done` or two seconds pass.
  void RunUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(5ms);
      io_.restart();
    }
  }

  asio::io_context io_;
  AsioTimerService timers_{io_};
  std::unique_ptr<UdpTransport> udp_;
  std::unique_ptr<TcpTransport> tcp_;
  TransportRouter router_;
  testing::AnswerAll tu_;
  TransactionLayer layer_{SystemClock(), timers_, router_, tu_};
};

TEST_F(TransportTest, UdpAnswersOptionsAndCountsGarbage) {
  asio::ip::udp::socket client(io_,
                               asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const asio::ip::udp::endpoint server(asio::ip::make_address("127.0.0.1"), udp_->local_port());
  for (std::string garbage : {"\x01\x02garbage", "SIP/2.0 abc\r\n\r\n", "INVITE\r\n"}) {
    client.send_to(asio::buffer(garbage), server);
  }
  client.send_to(asio::buffer(Options("z9hG4bKudp1")), server);

  std::array<char, 4096> reply{};
  size_t got = 0;
  asio::ip::udp::endpoint from;
  client.async_receive_from(asio::buffer(reply), from,
                            [&](const boost::system::error_code& ec, size_t n) {
                              if (!ec) got = n;
                            });
  RunUntil([&] { return got > 0; });
  ASSERT_GT(got, 0u);
  ParseResult r = ParseSipMessage(std::string_view(reply.data(), got));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->status_code(), 200);
  EXPECT_EQ(r.message->vias().at(0).branch, "z9hG4bKudp1");
  EXPECT_EQ(tu_.requests, 1);
  EXPECT_EQ(udp_->counters().received, 1u);
  EXPECT_EQ(udp_->counters().total_dropped() + udp_->counters().rejected, 3u);
}

TEST_F(TransportTest, TcpFramesCoalescedAndSplitMessages) {
  asio::ip::tcp::socket client(io_);
  client.connect({asio::ip::make_address("127.0.0.1"), tcp_->local_port()});
  const std::string two = Options("z9hG4bKtcp1") + Options("z9hG4bKtcp2");
  asio::write(client, asio::buffer(two));
  const std::string third = Options("z9hG4bKtcp3");
  asio::write(client, asio::buffer(third.substr(0, 40)));
  RunUntil([&] { return tu_.requests >= 2; });
  EXPECT_EQ(tu_.requests, 2);
  asio::write(client, asio::buffer(third.substr(40)));

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
  auto count = [&] {
    size_t n = 0;
    for (size_t p = received.find("SIP/2.0 200"); p != std::string::npos;
         p = received.find("SIP/2.0 200", p + 1)) {
      ++n;
    }
    return n;
  };
  RunUntil([&] { return count() >= 3; });
  EXPECT_EQ(count(), 3u);
  EXPECT_EQ(tu_.requests, 3);
  EXPECT_EQ(tcp_->connections(), 1u);  // the responses reused the client's connection
  EXPECT_NE(received.find("z9hG4bKtcp3"), std::string::npos);
}

TEST_F(TransportTest, TcpBadFramingClosesTheConnection) {
  asio::ip::tcp::socket client(io_);
  client.connect({asio::ip::make_address("127.0.0.1"), tcp_->local_port()});
  RunUntil([&] { return tcp_->connections() == 1; });
  ASSERT_EQ(tcp_->connections(), 1u);
  asio::write(client,
              asio::buffer(std::string("OPTIONS sip:a SIP/2.0\r\nContent-Length: x\r\n\r\n")));
  RunUntil([&] { return tcp_->connections() == 0; });
  EXPECT_EQ(tcp_->connections(), 0u);
  EXPECT_EQ(tcp_->counters().dropped.at("tcp bad framing"), 1u);
}

TEST_F(TransportTest, UdpRejectionsAreRateLimitedPerSource) {
  asio::ip::udp::socket client(io_,
                               asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const asio::ip::udp::endpoint server(asio::ip::make_address("127.0.0.1"), udp_->local_port());
  std::string bad = Options("z9hG4bKbad");
  bad.replace(bad.find("sip:conf"), 3, "xyz");  // 416: unsupported URI scheme
  for (int i = 0; i < 5; ++i) client.send_to(asio::buffer(bad), server);
  RunUntil([&] { return udp_->counters().rejected + udp_->counters().total_dropped() >= 5; });
  EXPECT_EQ(udp_->counters().rejected, 2u);  // the burst
  EXPECT_EQ(udp_->counters().dropped.at("reply rate limit"), 3u);
}

// The timeouts and connection limits: tcp_transport_test.cc, on a fake clock.
TEST_F(TransportTest, TcpBufferLimitCloses) {
  asio::ip::tcp::socket flooder(io_);
  flooder.connect({asio::ip::make_address("127.0.0.1"), tcp_->local_port()});
  // A header block that never ends.
  asio::write(flooder, asio::buffer("OPTIONS sip:a SIP/2.0\r\n" + std::string(9000, 'x')));
  RunUntil([&] { return tcp_->counters().total_dropped() > 0; });
  EXPECT_EQ(tcp_->connections(), 0u);
  EXPECT_EQ(tcp_->counters().total_dropped(), 1u);
  EXPECT_EQ(tcp_->counters().dropped.at("tcp buffer limit"), 1u);
}

}  // namespace
}  // namespace tessera::sip
