#include <gtest/gtest.h>
#include <tessera/net/udp_socket.h>

namespace tessera::net {
namespace {

TEST(UdpSocket, DeliversDatagramsOnLoopback) {
  boost::asio::io_context io;
  auto a = UdpSocket::Open(io, "127.0.0.1", 0);
  auto b = UdpSocket::Open(io, "127.0.0.1", 0);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<std::vector<uint8_t>> got;
  (*b)->Start([&](std::span<const uint8_t> d, const Endpoint& from) {
    got.emplace_back(d.begin(), d.end());
    EXPECT_EQ(from.port(), (*a)->local_port());
    if (got.size() == 2) io.stop();
  });
  const Endpoint to(boost::asio::ip::make_address("127.0.0.1"), (*b)->local_port());
  const std::vector<uint8_t> one = {1, 2, 3}, two = {4};
  ASSERT_TRUE((*a)->SendTo(one, to));
  ASSERT_TRUE((*a)->SendTo(two, to));
  io.run_for(std::chrono::seconds(5));  // returns as soon as both arrived
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], one);
  EXPECT_EQ(got[1], two);
}

TEST(UdpSocket, DrainHandlesEverythingAlreadyQueued) {
  boost::asio::io_context io;
  auto a = UdpSocket::Open(io, "127.0.0.1", 0);
  auto b = UdpSocket::Open(io, "127.0.0.1", 0);
  ASSERT_TRUE(a.ok() && b.ok());
  int count = 0;
  (*b)->Start([&](std::span<const uint8_t>, const Endpoint&) { ++count; });
  const Endpoint to(boost::asio::ip::make_address("127.0.0.1"), (*b)->local_port());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE((*a)->SendTo(std::vector<uint8_t>{1}, to));
  // Loopback delivery is synchronous with sendto, so all 50 are queued now.
  EXPECT_EQ((*b)->Drain(), 50u);
  EXPECT_EQ(count, 50);
}

TEST(UdpSocket, BindErrorsNameTheAddress) {
  boost::asio::io_context io;
  auto a = UdpSocket::Open(io, "127.0.0.1", 0);
  ASSERT_TRUE(a.ok());
  auto b = UdpSocket::Open(io, "127.0.0.1", (*a)->local_port());
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("127.0.0.1"), std::string::npos);
  EXPECT_FALSE(UdpSocket::Open(io, "not-an-address", 0).ok());
}

}  // namespace
}  // namespace tessera::net
