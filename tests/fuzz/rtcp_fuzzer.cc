// Fuzzes ParseRtcpCompound and the serializers: whatever parses must serialize into a compound
// that parses again to the same messages.
#include <tessera/rtp/rtcp/rtcp_compound.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

namespace {

using tessera::rtp::Nack;
using tessera::rtp::RtcpMessage;
using tessera::rtp::TransportFeedback;

// NACK sequence numbers come back in FCI order, which repacking may change; compare them as sets.
void Normalize(std::vector<RtcpMessage>& messages) {
  for (auto& m : messages) {
    if (auto* nack = std::get_if<Nack>(&m)) std::sort(nack->seqs.begin(), nack->seqs.end());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = tessera::rtp::ParseRtcpCompound(std::span<const uint8_t>(data, size));
  if (!parsed) return 0;
  const std::vector<uint8_t> bytes = tessera::rtp::SerializeRtcpCompound(*parsed);
  // A transport feedback that CanSerialize() refuses (one whose first packet was lost) is valid
  // but left out of the serialized compound.
  std::erase_if(*parsed, [](const RtcpMessage& m) {
    const auto* feedback = std::get_if<TransportFeedback>(&m);
    return feedback && !feedback->CanSerialize();
  });
  if (bytes.empty()) {
    if (!parsed->empty()) abort();
    return 0;
  }
  auto reparsed = tessera::rtp::ParseRtcpCompound(bytes);
  if (!reparsed) abort();
  Normalize(*parsed);
  Normalize(*reparsed);
  if (*parsed != *reparsed) abort();
  return 0;
}
