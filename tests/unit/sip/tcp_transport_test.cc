// What a peer may hold of the SIP TCP transport (docs/security.md, "SIP connections"): real
// sockets on loopback addresses, deadlines on a FakeClock that a ManualTimerService fires, so no
// test waits for time to pass. The io_context runs only until what a step waits for has happened
// (a connection accepted, bytes read, a close seen), bounded by two seconds.
#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <tessera/net/networks.h>
#include <tessera/sip/tcp_transport.h>
#include <tessera/sip/transaction_layer.h>

#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "transaction_test_util.h"

namespace tessera::sip {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

std::string Options(const std::string& branch) {
  testing::RequestSpec s;
  s.method = "OPTIONS";
  s.transport = "TCP";
  s.sent_by = "127.0.0.1";
  s.branch = branch;
  return testing::RequestText(s);
}

class TcpLimitsTest : public ::testing::Test {
 protected:
  void Listen(TcpOptions options) {
    options.clock = &clock_;
    options.timers = &timers_;
    transport_ = std::move(TcpTransport::Listen(io_, "127.0.0.1", 0, options).value());
    transport_->SetInUse([this](const Destination& remote) {
      ++in_use_asked_;
      return in_use_ && remote.connection == last_source_.connection;
    });
    transport_->Start([this](SipMessage, const Destination& from) {
      ++received_;
      last_source_ = from;
    });
  }

  // Runs the io_context until `done` or two seconds pass.
  void RunUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(5ms);
      io_.restart();
    }
  }

  // A client connected from `from` (a loopback address), once the transport holds it.
  std::unique_ptr<tcp::socket> Connect(const std::string& from = "127.0.0.1") {
    const size_t before = transport_->connections();
    auto s = Dial(from);
    RunUntil([&] { return transport_->connections() > before; });
    EXPECT_EQ(transport_->connections(), before + 1) << "not accepted from " << from;
    return s;
  }

  // A client connected from `from` at the TCP level, whatever the transport makes of it.
  std::unique_ptr<tcp::socket> Dial(const std::string& from) {
    auto s = std::make_unique<tcp::socket>(io_);
    s->open(tcp::v4());
    s->bind(tcp::endpoint(asio::ip::make_address(from), 0));
    s->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), transport_->local_port()));
    return s;
  }

  // Writes `bytes` and runs until the transport has read them.
  void Send(tcp::socket& s, const std::string& bytes) {
    const uint64_t expected = transport_->counters().bytes_received + bytes.size();
    asio::write(s, asio::buffer(bytes));
    RunUntil([&] { return transport_->counters().bytes_received >= expected; });
    ASSERT_EQ(transport_->counters().bytes_received, expected);
  }

  // Moves the clock on and fires what is due.
  void Advance(std::chrono::milliseconds by) {
    clock_.AdvanceMs(by.count());
    timers_.RunDue();
  }

  // True when the server closes `s` (the client reads end of stream or a reset).
  bool SeesClose(tcp::socket& s) {
    bool done = false;
    boost::system::error_code error;
    std::array<char, 1024> chunk{};
    std::function<void()> read = [&] {
      s.async_read_some(asio::buffer(chunk), [&](const boost::system::error_code& ec, size_t) {
        if (!ec) return read();
        error = ec;
        done = true;
      });
    };
    read();
    RunUntil([&] { return done; });
    if (!done) {
      s.cancel();
      while (!done) io_.run_one();
      io_.restart();
    }
    return error != asio::error::operation_aborted;
  }

  uint64_t Dropped(const std::string& reason) const {
    const auto& dropped = transport_->counters().dropped;
    const auto it = dropped.find(reason);
    return it == dropped.end() ? 0 : it->second;
  }

  FakeClock clock_;
  ManualTimerService timers_{clock_};
  asio::io_context io_;
  std::unique_ptr<TcpTransport> transport_;
  int received_ = 0;
  Destination last_source_;
  bool in_use_ = false;
  int in_use_asked_ = 0;
};

TcpOptions Limits() {
  TcpOptions o;
  o.message_timeout = 10s;
  o.idle_timeout = 60s;
  o.max_connections = 16;
  o.max_connections_per_source = 4;
  return o;
}

// The attack of issue 16: one byte a second is never idle, but its message never ends.
TEST_F(TcpLimitsTest, ASenderOfOneByteASecondIsClosedAtTheMessageTimeout) {
  Listen(Limits());
  auto client = Connect();
  const std::string message = Options("z9hG4bKslow");
  for (size_t i = 0; i < 10; ++i) {
    if (i > 0) Advance(1s);
    Send(*client, message.substr(i, 1));
    ASSERT_EQ(transport_->connections(), 1u) << "closed after " << i << " s";
  }
  Advance(1s);  // 10 s after the accept
  EXPECT_EQ(transport_->connections(), 0u);
  EXPECT_EQ(Dropped("tcp header timeout"), 1u);
  EXPECT_TRUE(SeesClose(*client));
  EXPECT_EQ(received_, 0);
}

TEST_F(TcpLimitsTest, AConnectionThatSendsNothingOwesItsFirstMessageFromTheAccept) {
  Listen(Limits());
  auto client = Connect();
  Send(*client, "\r\n\r\n");  // keep-alives are not a message
  Advance(9999ms);
  EXPECT_EQ(transport_->connections(), 1u);
  Advance(1ms);
  EXPECT_EQ(transport_->connections(), 0u);
  EXPECT_EQ(Dropped("tcp header timeout"), 1u);
  EXPECT_TRUE(SeesClose(*client));
}

TEST_F(TcpLimitsTest, EachMessageHasItsOwnTimeoutFromItsFirstByte) {
  Listen(Limits());
  auto client = Connect();
  Advance(9s);
  Send(*client, Options("z9hG4bKfirst"));
  EXPECT_EQ(received_, 1);
  Advance(30s);  // between messages: only the idle timeout runs
  EXPECT_EQ(transport_->connections(), 1u);
  const std::string next = Options("z9hG4bKnext");
  Send(*client, next.substr(0, 20));
  Advance(9s);
  Send(*client, next.substr(20, 20));
  EXPECT_EQ(transport_->connections(), 1u);
  Advance(1s);
  EXPECT_EQ(transport_->connections(), 0u);
  EXPECT_EQ(Dropped("tcp header timeout"), 1u);
  EXPECT_EQ(received_, 1);
}

TEST_F(TcpLimitsTest, AfterWholeMessagesOnlyTheIdleTimeoutRuns) {
  Listen(Limits());
  auto client = Connect();
  Send(*client, Options("z9hG4bKa") + Options("z9hG4bKb"));
  EXPECT_EQ(received_, 2);
  Advance(59s);
  EXPECT_EQ(transport_->connections(), 1u);
  EXPECT_EQ(transport_->counters().total_dropped(), 0u);
}

TEST_F(TcpLimitsTest, ABodyThatNeverArrivesIsABodyTimeout) {
  Listen(Limits());
  auto client = Connect();
  std::string message = Options("z9hG4bKbody");
  message.replace(message.find("Content-Length: 0"), 17, "Content-Length: 40");
  Send(*client, message + "only part of the body");
  Advance(10s);
  EXPECT_EQ(transport_->connections(), 0u);
  EXPECT_EQ(Dropped("tcp body timeout"), 1u);
  EXPECT_EQ(received_, 0);
}

TEST_F(TcpLimitsTest, AConnectionWithoutMessagesForTheIdleTimeoutIsClosed) {
  Listen(Limits());
  auto client = Connect();
  Send(*client, Options("z9hG4bKidle"));
  ASSERT_EQ(received_, 1);
  Advance(30s);
  Send(*client, "\r\n\r\n");  // a keep-alive is no message: the idle clock runs on
  Advance(29999ms);
  EXPECT_EQ(transport_->connections(), 1u);
  Advance(1ms);
  EXPECT_EQ(transport_->connections(), 0u);
  EXPECT_EQ(Dropped("tcp idle timeout"), 1u);
  EXPECT_EQ(in_use_asked_, 1);
  EXPECT_TRUE(SeesClose(*client));
}

TEST_F(TcpLimitsTest, AConnectionInUseOutlivesTheIdleTimeoutButNotTheMessageTimeout) {
  Listen(Limits());
  auto client = Connect();
  Send(*client, Options("z9hG4bKcall"));
  ASSERT_EQ(received_, 1);
  in_use_ = true;  // a call's requests go back over it
  Advance(60s);
  Advance(60s);
  EXPECT_EQ(transport_->connections(), 1u);
  EXPECT_EQ(in_use_asked_, 2);
  in_use_ = false;  // the call ended
  Advance(60s);
  EXPECT_EQ(transport_->connections(), 0u);
  EXPECT_EQ(Dropped("tcp idle timeout"), 1u);

  auto trickler = Connect();
  Send(*trickler, Options("z9hG4bKcall2"));
  ASSERT_EQ(received_, 2);
  in_use_ = true;
  Send(*trickler, "OPTIONS sip:");
  Advance(10s);
  EXPECT_EQ(transport_->connections(), 0u);
  EXPECT_EQ(Dropped("tcp header timeout"), 1u);
}

TEST_F(TcpLimitsTest, ConnectionsOverThePerSourceLimitAreRefusedAtAccept) {
  TcpOptions o = Limits();
  o.max_connections_per_source = 2;
  Listen(o);
  auto a = Connect("127.0.0.2");
  auto b = Connect("127.0.0.2");
  auto refused = Dial("127.0.0.2");
  RunUntil([&] { return Dropped("tcp source limit") == 1; });
  EXPECT_EQ(Dropped("tcp source limit"), 1u);
  EXPECT_TRUE(SeesClose(*refused));
  EXPECT_EQ(transport_->connections(), 2u);
  EXPECT_EQ(transport_->connections_from("127.0.0.2"), 2u);

  auto other = Connect("127.0.0.3");  // another source is not affected
  EXPECT_EQ(transport_->connections_from("127.0.0.3"), 1u);

  a->close();  // a slot of 127.0.0.2 comes free once the transport sees the close
  RunUntil([&] { return transport_->connections() == 2; });
  EXPECT_EQ(transport_->connections_from("127.0.0.2"), 1u);
  auto again = Connect("127.0.0.2");
  EXPECT_EQ(transport_->connections_from("127.0.0.2"), 2u);
  EXPECT_EQ(Dropped("tcp source limit"), 1u);
}

TEST_F(TcpLimitsTest, ConnectionsOverTheGlobalLimitAreRefusedAtAccept) {
  TcpOptions o = Limits();
  o.max_connections = 3;
  o.max_connections_per_source = 2;
  Listen(o);
  auto a = Connect("127.0.0.2");
  auto b = Connect("127.0.0.2");
  auto c = Connect("127.0.0.3");
  auto refused = Dial("127.0.0.4");
  RunUntil([&] { return Dropped("tcp connection limit") == 1; });
  EXPECT_EQ(Dropped("tcp connection limit"), 1u);
  EXPECT_TRUE(SeesClose(*refused));
  EXPECT_EQ(transport_->connections(), 3u);
  EXPECT_EQ(transport_->connections_from("127.0.0.4"), 0u);
}

TEST_F(TcpLimitsTest, TimedOutConnectionsGiveTheirSourceSlotBack) {
  TcpOptions o = Limits();
  o.max_connections_per_source = 2;
  Listen(o);
  auto a = Connect("127.0.0.2");
  auto b = Connect("127.0.0.2");
  Advance(10s);
  EXPECT_EQ(transport_->connections(), 0u);
  EXPECT_EQ(transport_->connections_from("127.0.0.2"), 0u);
  EXPECT_EQ(Dropped("tcp header timeout"), 2u);
  auto c = Connect("127.0.0.2");
  EXPECT_EQ(Dropped("tcp source limit"), 0u);
}

TEST(TcpSourceKey, IsTheIpv4AddressOrTheIpv6Slash64) {
  auto key = [](const char* text) {
    return net::ConnectionSourceKey(asio::ip::make_address(text));
  };
  EXPECT_EQ(key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(key("::ffff:192.0.2.7"), "192.0.2.7");  // a dual-stack listener's IPv4 peer
  EXPECT_EQ(key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
  EXPECT_NE(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
}

}  // namespace
}  // namespace tessera::sip
