// Feeds a DtmfDetector packets cut from the input: each is a 4-byte big-endian RTP timestamp, a
// length byte (its low 4 bits, 0-15) and that many payload bytes. A digit must be a DTMF
// character of a DTMF event, a duplicate sent right after it must not report again, and every
// short payload is counted as malformed.
#include <tessera/base/byte_io.h>
#include <tessera/rtp/telephone_event.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera::rtp;
  DtmfDetector detector;
  uint64_t short_payloads = 0;
  size_t pos = 0;
  while (size - pos >= 5) {
    const uint32_t timestamp = tessera::ReadBe32(data + pos);
    const size_t length = std::min<size_t>(data[pos + 4] & 0x0f, size - pos - 5);
    pos += 5;
    const std::span<const uint8_t> payload(data + pos, length);
    pos += length;
    if (payload.size() < 4) ++short_payloads;
    const auto digit = detector.OnPacket(timestamp, payload);
    if (!digit) continue;
    if (std::string_view("0123456789*#ABCD").find(*digit) == std::string_view::npos) abort();
    if (DtmfEventChar(payload[0]) != *digit) abort();
    if (detector.OnPacket(timestamp, payload)) abort();
  }
  if (detector.malformed() != short_payloads) abort();
  return 0;
}
