#include <gtest/gtest.h>
#include <tessera/base/clock.h>

namespace tessera {
namespace {

TEST(Clock, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(5'000);
  EXPECT_EQ(clock.NowUs(), 5'000);
  clock.AdvanceMs(2);
  EXPECT_EQ(clock.NowUs(), 7'000);
  const NtpTime a = clock.NowNtp();
  clock.AdvanceUs(500'000);
  const NtpTime b = clock.NowNtp();
  EXPECT_NEAR(static_cast<double>(b.ToU64() - a.ToU64()) / 4294967296.0, 0.5, 1e-6);
}

TEST(Clock, UnixEpochMapsToNtpEra) {
  EXPECT_EQ(UnixUsToNtp(0).seconds, 2'208'988'800u);
  EXPECT_EQ(UnixUsToNtp(1'500'000).fraction, 0x80000000u);
}

}  // namespace
}  // namespace tessera
