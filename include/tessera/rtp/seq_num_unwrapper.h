// Turns 16-bit RTP sequence numbers into a monotonic 64-bit count across the wrap-around.
#pragma once

#include <cstdint>
#include <optional>

namespace tessera::rtp {

// Each value is unwrapped to the 64-bit number closest to the previously unwrapped one (a step
// of at most 32767 forward or 32768 backward). The first value maps to itself; later values may
// become negative when the stream steps back across zero. Runs on: its owner's executor.
class SeqNumUnwrapper {
 public:
  int64_t Unwrap(uint16_t seq) {
    if (!last_) {
      last_ = seq;
    } else {
      *last_ += static_cast<int16_t>(static_cast<uint16_t>(seq - static_cast<uint16_t>(*last_)));
    }
    return *last_;
  }
  // The last value returned by Unwrap, if any.
  std::optional<int64_t> last() const { return last_; }

 private:
  std::optional<int64_t> last_;
};

// Unwraps 32-bit RTP timestamps into a 64-bit value that keeps increasing across the wrap.
// A timestamp older than the newest (a reordered frame) maps below it without moving it.
class TimestampUnwrapper {
 public:
  int64_t Unwrap(uint32_t ts) {
    if (!last_) {
      last_ = ts;
      return ts;
    }
    const int64_t delta =
        static_cast<int32_t>(static_cast<uint32_t>(ts - static_cast<uint32_t>(*last_)));
    const int64_t unwrapped = *last_ + delta;
    if (delta > 0) last_ = unwrapped;
    return unwrapped;
  }

 private:
  std::optional<int64_t> last_;
};

}  // namespace tessera::rtp
