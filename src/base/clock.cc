#include <tessera/base/clock.h>

#include <chrono>

namespace tessera {
namespace {

constexpr int64_t kNtpUnixOffsetSeconds = 2'208'988'800LL;

class RealClock : public Clock {
 public:
  int64_t NowUs() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  NtpTime NowNtp() const override {
    return UnixUsToNtp(std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
  }
};

}  // namespace

NtpTime UnixUsToNtp(int64_t unix_us) {
  NtpTime t;
  int64_t secs = unix_us / 1'000'000;
  int64_t frac_us = unix_us % 1'000'000;
  t.seconds = static_cast<uint32_t>(secs + kNtpUnixOffsetSeconds);
  t.fraction = static_cast<uint32_t>((static_cast<uint64_t>(frac_us) << 32) / 1'000'000);
  return t;
}

Clock& SystemClock() {
  static RealClock clock;
  return clock;
}

// The fake clock's wall time starts at 2026-01-01 00:00:00 UTC plus its monotonic time.
NtpTime FakeClock::NowNtp() const { return UnixUsToNtp(1'767'225'600'000'000LL + now_us_); }

}  // namespace tessera
