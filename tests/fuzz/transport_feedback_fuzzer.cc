// Fuzzes TransportFeedback both ways (abort() on a broken property):
//   - the input as a packet: whatever parses and CanSerialize() serializes into a packet that
//     parses back to an equal value;
//   - the input as a recipe for arrival times (below): what CanSerialize() accepts parses back with
//     the same packets received and every time within half a tick (125 us), and what it refuses
//     serializes to nothing; deltas safely inside the limits are never refused.
//
// Recipe: base sequence (16 bits), feedback count (8), reference time (24, signed), then per
// packet one byte, % 8, for its time relative to the previous one: 0: not received, 1: +byte
// ticks, 2: -byte us, 3: +int16 ticks, 4: +int16 * 251 us (past the limit at the ends),
// 5: +u32 us, 6: +0, 7: +byte us.

#include <tessera/rtp/rtcp/transport_feedback.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "fuzz_input.h"

namespace {

using tessera::fuzz::Input;
using tessera::rtp::TransportFeedback;

void Check(bool ok) {
  if (!ok) abort();
}

void CheckPacket(std::span<const uint8_t> data) {
  auto parsed = TransportFeedback::Parse(data);
  if (!parsed) return;
  Check(!parsed->arrivals_us.empty() && parsed->arrivals_us.size() <= 0xFFFF);
  // Parsed times are whole ticks from the reference time, so they come back exactly.
  if (!parsed->CanSerialize()) return;
  std::vector<uint8_t> bytes;
  parsed->Serialize(bytes);
  Check(!bytes.empty() && bytes.size() % 4 == 0);
  auto reparsed = TransportFeedback::Parse(bytes);
  Check(reparsed && *reparsed == *parsed);
}

void CheckRecipe(std::span<const uint8_t> data) {
  Input in(data);
  TransportFeedback fb;
  fb.base_sequence = in.U16();
  fb.feedback_count = in.Byte();
  const uint32_t ref = uint32_t{in.Byte()} << 16 | in.U16();
  fb.reference_time = static_cast<int32_t>(ref << 8) >> 8;
  int64_t t = int64_t{fb.reference_time} * 64000;
  int64_t last = t;  // the previous received packet's time
  bool safe = true;  // every delta well inside what 16-bit ticks hold after rounding
  while (!in.empty() && fb.arrivals_us.size() < 0xFFFF) {
    const uint8_t op = in.Byte();
    switch (op % 8) {
      case 0:
        fb.arrivals_us.emplace_back();
        continue;
      case 1:
        t += int64_t{in.Byte()} * 250;
        break;
      case 2:
        t -= in.Byte();
        break;
      case 3:
        t += int64_t{static_cast<int16_t>(in.U16())} * 250;
        break;
      case 4:
        t += int64_t{static_cast<int16_t>(in.U16())} * 251;
        break;
      case 5:
        t += in.U32();
        break;
      case 6:
        break;
      default:
        t += in.Byte();
        break;
    }
    // The serialized previous time is within 125 us of `last`, so a delta in this range always
    // rounds to -32768..32767 ticks.
    if (t - last < -32768 * 250 || t - last >= 32767 * 250) safe = false;
    last = t;
    fb.arrivals_us.push_back(t);
  }
  const bool first_received = !fb.arrivals_us.empty() && fb.arrivals_us[0].has_value();
  if (first_received && safe) Check(fb.CanSerialize());
  std::vector<uint8_t> bytes;
  fb.Serialize(bytes);
  if (!fb.CanSerialize()) {
    Check(bytes.empty());
    return;
  }
  auto parsed = TransportFeedback::Parse(bytes);
  Check(parsed.has_value());
  Check(parsed->base_sequence == fb.base_sequence && parsed->reference_time == fb.reference_time &&
        parsed->feedback_count == fb.feedback_count);
  Check(parsed->arrivals_us.size() == fb.arrivals_us.size());
  for (size_t i = 0; i < fb.arrivals_us.size(); ++i) {
    const auto& want = fb.arrivals_us[i];
    const auto& got = parsed->arrivals_us[i];
    Check(want.has_value() == got.has_value());
    if (want) Check(*got - *want >= -125 && *got - *want <= 125);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  CheckPacket(input);
  CheckRecipe(input);
  return 0;
}
