// Reads a fuzzer's input as a stream of values; past the end every read returns 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tessera::fuzz {

class Input {
 public:
  explicit Input(std::span<const uint8_t> data) : data_(data) {}
  bool empty() const { return pos_ >= data_.size(); }
  uint8_t Byte() { return pos_ < data_.size() ? data_[pos_++] : 0; }
  uint16_t U16() {
    const uint16_t hi = Byte();  // separate statements: the reads happen in order
    return static_cast<uint16_t>(hi << 8 | Byte());
  }
  uint32_t U32() {
    const uint32_t hi = U16();
    return hi << 16 | U16();
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace tessera::fuzz
