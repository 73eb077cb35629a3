// ParseSpropParameterSets on arbitrary text (an SDP's or a config's sprop-parameter-sets). What
// parses must be Annex B that splits back into SPS and PPS NAL units only, at least one of each,
// within the bounds; and PrependParameterSets must add them, whole, to the same text read as an
// access unit.
#include <tessera/rtp/h264_bitstream.h>
#include <tessera/rtp/h264_sprop.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera::rtp::h264;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseSpropParameterSets(text);
  if (!parsed.ok()) return 0;
  const std::vector<uint8_t>& annex_b = parsed->annex_b;
  bool sps = false;
  bool pps = false;
  size_t units = 0;
  for (std::span<const uint8_t> nal : SplitAnnexB(annex_b)) {
    const uint8_t type = NalTypeOf(nal[0]);
    sps |= Is(type, NalType::kSps);
    pps |= Is(type, NalType::kPps);
    if (!Is(type, NalType::kSps) && !Is(type, NalType::kPps)) __builtin_trap();
    if (nal.size() > kMaxSpropNalBytes) __builtin_trap();
    ++units;
  }
  if (!sps || !pps || units + parsed->ignored.size() > kMaxSpropNalUnits) __builtin_trap();
  // Each unit behind its own 4-byte start code, nothing more: the split gave them back whole.
  size_t bytes = 0;
  for (std::span<const uint8_t> nal : SplitAnnexB(annex_b)) bytes += 4 + nal.size();
  if (bytes != annex_b.size()) __builtin_trap();

  std::vector<uint8_t> access_unit(data, data + size);
  PrependParameterSets(access_unit, annex_b);
  if (access_unit.size() != size + annex_b.size()) __builtin_trap();
  return 0;
}
