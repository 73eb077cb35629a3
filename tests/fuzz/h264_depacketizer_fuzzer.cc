// Parses arbitrary bytes as an H.264 RTP payload, and checks that packetizing arbitrary bytes as
// an Annex B frame round-trips through the depacketizer within the payload budget.
#include <tessera/rtp/depacketizer.h>
#include <tessera/rtp/h264_bitstream.h>
#include <tessera/rtp/packetizer.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace {

using namespace tessera::rtp;

void CheckRoundTrip(std::span<const uint8_t> frame, size_t mtu, int mode) {
  PacketizerConfig config;
  config.mtu = mtu;
  config.h264_packetization_mode = mode;
  const auto payloads = CreatePacketizer(Codec::kH264, config)->Packetize(frame, false);
  if (payloads.empty()) return;
  auto depacketizer = CreateDepacketizer(Codec::kH264);
  std::vector<uint8_t> joined;
  for (const auto& p : payloads) {
    if (p.size() > mtu - kRtpOverhead) __builtin_trap();
    auto out = depacketizer->Parse(p);
    if (!out) __builtin_trap();
    joined.insert(joined.end(), out->data.begin(), out->data.end());
  }
  std::vector<uint8_t> expected;
  for (auto nal : h264::SplitAnnexB(frame)) {
    expected.insert(expected.end(), std::begin(h264::kStartCode), std::end(h264::kStartCode));
    expected.insert(expected.end(), nal.begin(), nal.end());
  }
  if (joined != expected) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  auto out = CreateDepacketizer(Codec::kH264)->Parse(input);
  if (out && out->data.size() > size + 2 * size + 4) __builtin_trap();
  if (size > 0) {
    const size_t mtu = kRtpOverhead + 1 + data[0] * 4u;  // 1..1021-byte payload budget
    CheckRoundTrip(input.subspan(1), mtu, 1);
    CheckRoundTrip(input.subspan(1), mtu, 0);
  }
  return 0;
}
