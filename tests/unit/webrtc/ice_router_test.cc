// The shared-port demultiplexer: checks by ufrag, everything else by the addresses learnt.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tessera/webrtc/ice_router.h>
#include <tessera/webrtc/stun_writer.h>

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace tessera::webrtc {
namespace {

net::Endpoint At(const char* address, uint16_t port) {
  return net::Endpoint(boost::asio::ip::make_address(address), port);
}

std::vector<uint8_t> CheckFor(const std::string& local_ufrag) {
  BindingRequestParams p;
  p.transaction_id.fill(7);
  p.username = local_ufrag + ":browser1";
  p.priority = 1;
  p.ice_controlling = 1;
  p.integrity_key = "whatever-the-password-is";
  return BuildBindingRequest(p);
}

// A DTLS ClientHello's first bytes and an SRTP packet's: both go by address.
const std::vector<uint8_t> kDtls = {0x16, 0xfe, 0xfd, 0x00, 0x00, 0x00, 0x00};
const std::vector<uint8_t> kSrtp = {0x80, 0x6f, 0x00, 0x01, 0x00, 0x00, 0x00,
                                    0x00, 0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb};

TEST(IceRouter, RoutesChecksByUfragThenEverythingElseByAddress) {
  IceRouter router;
  ASSERT_TRUE(router.Register("alice123", 1).ok());
  ASSERT_TRUE(router.Register("bob45678", 2).ok());
  const net::Endpoint alice = At("198.51.100.1", 5000);
  const net::Endpoint bob = At("2001:db8::2", 6000);

  // Before any valid check only STUN finds its session, from anywhere.
  EXPECT_EQ(router.Route(CheckFor("alice123"), alice), 1u);
  EXPECT_EQ(router.Route(CheckFor("bob45678"), bob), 2u);
  EXPECT_FALSE(router.Route(kDtls, alice));
  EXPECT_FALSE(router.Route(CheckFor("nobody00"), alice));

  router.Learn(1, alice);
  router.Learn(2, bob);
  EXPECT_EQ(router.Route(kDtls, alice), 1u);
  EXPECT_EQ(router.Route(kSrtp, bob), 2u);
  EXPECT_FALSE(router.Route(kSrtp, At("198.51.100.1", 5001)));
  // The ufrag wins over the address: bob's check from alice's address is bob's.
  EXPECT_EQ(router.Route(CheckFor("bob45678"), alice), 2u);
  // A check with a ufrag nobody holds (stale after a restart) goes by address.
  EXPECT_EQ(router.Route(CheckFor("oldufrag"), alice), 1u);
}

TEST(IceRouter, AUfragBelongsToOneSession) {
  IceRouter router;
  EXPECT_TRUE(router.Register("shared00", 1).ok());
  EXPECT_TRUE(router.Register("shared00", 1).ok());
  EXPECT_EQ(router.Register("shared00", 2).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(router.Register("", 2).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Route(CheckFor("shared00"), At("192.0.2.1", 1)), 1u);
}

TEST(IceRouter, AnIceRestartHoldsBothUfragsUntilTheOldIsUnregistered) {
  IceRouter router;
  ASSERT_TRUE(router.Register("old00000", 1).ok());
  ASSERT_TRUE(router.Register("new00000", 1).ok());
  EXPECT_EQ(router.ufrag_count(), 2u);
  EXPECT_EQ(router.Route(CheckFor("old00000"), At("192.0.2.1", 1)), 1u);
  EXPECT_EQ(router.Route(CheckFor("new00000"), At("192.0.2.1", 1)), 1u);
  router.Unregister("old00000");
  router.Unregister("never-registered");
  EXPECT_FALSE(router.Route(CheckFor("old00000"), At("192.0.2.1", 1)));
  EXPECT_EQ(router.Route(CheckFor("new00000"), At("192.0.2.1", 1)), 1u);
}

TEST(IceRouter, AnAddressBelongsToTheSessionThatLastValidatedIt) {
  IceRouter router;
  const net::Endpoint nat = At("203.0.113.5", 40000);
  router.Learn(1, nat);
  router.Learn(2, nat);
  EXPECT_EQ(router.Route(kSrtp, nat), 2u);
  EXPECT_TRUE(router.AddressesOf(1).empty());
  EXPECT_THAT(router.AddressesOf(2), ::testing::ElementsAre(nat));
  EXPECT_EQ(router.address_count(), 1u);
}

TEST(IceRouter, RemovingASessionRemovesItsUfragsAndAddresses) {
  IceRouter router;
  ASSERT_TRUE(router.Register("alice123", 1).ok());
  ASSERT_TRUE(router.Register("bob45678", 2).ok());
  router.Learn(1, At("198.51.100.1", 5000));
  router.Learn(1, At("198.51.100.1", 5002));
  router.Learn(2, At("198.51.100.2", 5000));
  router.RemoveSession(1);
  EXPECT_FALSE(router.Route(CheckFor("alice123"), At("198.51.100.1", 5000)));
  EXPECT_FALSE(router.Route(kSrtp, At("198.51.100.1", 5000)));
  EXPECT_FALSE(router.Route(kSrtp, At("198.51.100.1", 5002)));
  EXPECT_EQ(router.Route(kSrtp, At("198.51.100.2", 5000)), 2u);
  EXPECT_EQ(router.ufrag_count(), 1u);
  EXPECT_EQ(router.address_count(), 1u);
}

TEST(IceRouter, KeepsAtMostEightAddressesPerSessionForgettingTheOldest) {
  IceRouter router;
  for (uint16_t port = 1; port <= 8; ++port) router.Learn(1, At("192.0.2.1", port));
  router.Learn(1, At("192.0.2.1", 1));  // confirmed again: now the most recent
  router.Learn(1, At("192.0.2.1", 9));  // forgets port 2, learnt longest ago
  EXPECT_EQ(router.address_count(), 8u);
  EXPECT_FALSE(router.Route(kSrtp, At("192.0.2.1", 2)));
  EXPECT_EQ(router.Route(kSrtp, At("192.0.2.1", 1)), 1u);
  EXPECT_EQ(router.Route(kSrtp, At("192.0.2.1", 9)), 1u);
  for (uint16_t port = 100; port < 1100; ++port) router.Learn(1, At("192.0.2.1", port));
  EXPECT_EQ(router.address_count(), IceRouter::kDefaultMaxAddressesPerSession);
}

TEST(IceRouter, GarbageNeverCrashes) {
  IceRouter router;
  ASSERT_TRUE(router.Register("alice123", 1).ok());
  const std::vector<uint8_t> check = CheckFor("alice123");
  std::mt19937 rng(6544);
  for (int i = 0; i < 5000; ++i) {
    std::vector<uint8_t> data = check;
    data[rng() % data.size()] = static_cast<uint8_t>(rng());
    data.resize(rng() % (data.size() + 1));
    (void)router.Route(data, At("192.0.2.1", 1));
  }
  EXPECT_FALSE(router.Route({}, At("192.0.2.1", 1)));
}

}  // namespace
}  // namespace tessera::webrtc
