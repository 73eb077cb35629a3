#include <gtest/gtest.h>
#include <tessera/net/port_allocator.h>

namespace tessera::net {
namespace {

TEST(PortAllocator, HandsOutEvenPortsWithRtcpNeighbour) {
  PortAllocator a(20001, 20007);  // even ports 20002, 20004, 20006
  auto p1 = a.Allocate(false);
  auto p2 = a.Allocate(false);
  auto p3 = a.Allocate(false);
  ASSERT_TRUE(p1.ok() && p2.ok() && p3.ok());
  EXPECT_EQ(*p1, 20002);
  EXPECT_EQ(*p2, 20004);
  EXPECT_EQ(*p3, 20006);
  EXPECT_EQ(a.in_use(), 6u);
  auto none = a.Allocate(false);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kResourceExhausted);
}

TEST(PortAllocator, ReleasedPortsAreReused) {
  PortAllocator a(30000, 30003);
  auto p1 = a.Allocate(false);
  auto p2 = a.Allocate(false);
  ASSERT_TRUE(p1.ok() && p2.ok());
  EXPECT_FALSE(a.Allocate(false).ok());
  a.Release(*p1, false);
  auto p3 = a.Allocate(false);
  ASSERT_TRUE(p3.ok());
  EXPECT_EQ(*p3, *p1);
}

TEST(PortAllocator, ReserveRefusesPortsInUse) {
  PortAllocator a(40000, 40100);
  ASSERT_TRUE(a.Reserve(40010, false).ok());
  EXPECT_FALSE(a.Reserve(40010, true).ok());
  EXPECT_FALSE(a.Reserve(40011, true).ok());  // the RTCP port of 40010
  EXPECT_TRUE(a.Reserve(40012, true).ok());
}

}  // namespace
}  // namespace tessera::net
