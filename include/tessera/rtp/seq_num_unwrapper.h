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

}  // namespace tessera::rtp
