// Parses arbitrary bytes as an H.264 sequence parameter set and a slice header start.
#include <tessera/rtp/h264_bitstream.h>

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera::rtp::h264;
  const std::span<const uint8_t> input(data, size);
  if (auto sps = ParseSps(input)) {
    if (sps->width == 0 || sps->height == 0 || sps->sps_id > 31) __builtin_trap();
  }
  (void)FirstMbInSlice(input);
  BitReader reader(input);
  while (reader.ReadSe()) {
  }
  if (reader.ok()) __builtin_trap();
  return 0;
}
