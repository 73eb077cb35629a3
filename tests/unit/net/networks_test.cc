#include <gtest/gtest.h>
#include <tessera/net/networks.h>

#include <string>
#include <vector>

namespace tessera::net {
namespace {

TEST(AddressInNetworks, MatchesIpv4Blocks) {
  const std::vector<std::string> nets = {"10.0.0.0/8", "192.168.1.0/24", "172.16.5.4/32"};
  EXPECT_TRUE(AddressInNetworks("10.255.1.2", nets));
  EXPECT_TRUE(AddressInNetworks("192.168.1.77", nets));
  EXPECT_FALSE(AddressInNetworks("192.168.2.1", nets));
  EXPECT_TRUE(AddressInNetworks("172.16.5.4", nets));  // /32: that address only
  EXPECT_FALSE(AddressInNetworks("172.16.5.5", nets));
  EXPECT_FALSE(AddressInNetworks("11.0.0.1", nets));
  EXPECT_TRUE(AddressInNetworks("172.16.5.4", {"172.16.5.4"}));  // a bare address
  EXPECT_TRUE(AddressInNetworks("10.1.2.3", {"10.1.2.0/23"}));
  EXPECT_FALSE(AddressInNetworks("10.1.4.3", {"10.1.2.0/23"}));
  EXPECT_TRUE(AddressInNetworks("10.1.3.3", {"10.1.2.255/23"}));  // host bits ignored
}

TEST(AddressInNetworks, MatchesIpv6Blocks) {
  const std::vector<std::string> nets = {"2001:db8::/32", "fd00::1/128", "fe80::/10"};
  EXPECT_TRUE(AddressInNetworks("2001:db8:1::5", nets));
  EXPECT_FALSE(AddressInNetworks("2001:db9::5", nets));
  EXPECT_TRUE(AddressInNetworks("fd00::1", nets));
  EXPECT_FALSE(AddressInNetworks("fd00::2", nets));
  EXPECT_TRUE(AddressInNetworks("febf::1", nets));
  EXPECT_FALSE(AddressInNetworks("fec0::1", nets));
}

TEST(AddressInNetworks, MappedSourcesMatchIpv4Networks) {
  EXPECT_TRUE(AddressInNetworks("::ffff:10.1.2.3", {"10.0.0.0/8"}));
  EXPECT_FALSE(AddressInNetworks("::ffff:11.1.2.3", {"10.0.0.0/8"}));
  EXPECT_TRUE(AddressInNetworks("10.1.2.3", {"::ffff:10.0.0.0/104"}));
  EXPECT_TRUE(AddressInNetworks("::ffff:10.1.2.3", {"::ffff:10.1.2.3"}));
  // Families stay apart otherwise.
  EXPECT_FALSE(AddressInNetworks("10.1.2.3", {"::/0"}));
  EXPECT_FALSE(AddressInNetworks("2001:db8::1", {"0.0.0.0/0"}));
}

TEST(AddressInNetworks, SlashZeroMatchesItsWholeFamily) {
  EXPECT_TRUE(AddressInNetworks("1.2.3.4", {"0.0.0.0/0"}));
  EXPECT_TRUE(AddressInNetworks("255.255.255.255", {"0.0.0.0/0"}));
  EXPECT_TRUE(AddressInNetworks("2001:db8::1", {"::/0"}));
  EXPECT_TRUE(AddressInNetworks("::ffff:1.2.3.4", {"0.0.0.0/0"}));
}

TEST(AddressInNetworks, BadPrefixesAndAddressesMatchNothing) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0/8",
                          "::/129", "::ffff:10.0.0.0/95", "10.0.0.0/0008", "host/8", ""}) {
    EXPECT_FALSE(IsValidNetwork(bad)) << bad;
    EXPECT_FALSE(AddressInNetworks("10.0.0.1", {bad})) << bad;
    EXPECT_FALSE(AddressInNetworks("::", {bad})) << bad;
  }
  for (const char* good : {"10.0.0.0/8", "10.0.0.0/32", "0.0.0.0/0", "::/0", "::1", "::1/128"}) {
    EXPECT_TRUE(IsValidNetwork(good)) << good;
  }
  EXPECT_FALSE(AddressInNetworks("not-an-address", {"0.0.0.0/0", "::/0"}));
  EXPECT_FALSE(AddressInNetworks("10.0.0.1", {}));
  // A bad entry does not stop later entries from matching.
  EXPECT_TRUE(AddressInNetworks("10.0.0.1", {"10.0.0.0/99", "10.0.0.0/8"}));
}

}  // namespace
}  // namespace tessera::net
