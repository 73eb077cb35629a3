// Injectable clock. Everything time-dependent takes a Clock& so tests drive time by hand.
#pragma once

#include <cstdint>

namespace tessera {

// NTP timestamp: seconds since 1900-01-01 in the high 32 bits, fraction in the low 32 bits.
struct NtpTime {
  uint32_t seconds = 0;
  uint32_t fraction = 0;
  uint64_t ToU64() const { return (uint64_t{seconds} << 32) | fraction; }
  // The middle 32 bits, as used by RTCP LSR/DLSR.
  uint32_t Compact() const { return (seconds << 16) | (fraction >> 16); }
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time in microseconds; the origin is arbitrary. Thread-safe.
  virtual int64_t NowUs() const = 0;
  // Wall-clock time as NTP. Thread-safe.
  virtual NtpTime NowNtp() const = 0;
  int64_t NowMs() const { return NowUs() / 1000; }
};

// The process clock: steady_clock for NowUs, system_clock for NowNtp.
Clock& SystemClock();

// A clock that moves only when told. Not thread-safe: for single-threaded tests.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_us = 1'000'000) : now_us_(start_us) {}
  int64_t NowUs() const override { return now_us_; }
  NtpTime NowNtp() const override;
  void AdvanceUs(int64_t us) { now_us_ += us; }
  void AdvanceMs(int64_t ms) { now_us_ += ms * 1000; }

 private:
  int64_t now_us_;
};

// Converts microseconds since the Unix epoch to NTP time.
NtpTime UnixUsToNtp(int64_t unix_us);

}  // namespace tessera
