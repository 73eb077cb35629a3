// Parses arbitrary bytes as a VP9 RTP payload (RFC 9628) and as VP9 frame data (uncompressed
// header, superframe index); checks that packetizing arbitrary bytes as a VP9 frame round-trips
// through the depacketizer within the payload budget, and that layer frames joined into a
// superframe split back into the same frames.
#include <tessera/rtp/depacketizer.h>
#include <tessera/rtp/packetizer.h>
#include <tessera/rtp/vp9_bitstream.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "rtp/vp9_depacketizer.h"

namespace {

using namespace tessera::rtp;

void CheckPayload(std::span<const uint8_t> input) {
  auto out = CreateDepacketizer(Codec::kVp9)->Parse(input);
  auto descriptor = ParseVp9Descriptor(input);
  if (out.has_value() && !descriptor.has_value()) __builtin_trap();
  if (!out) return;
  if (out->data.size() + descriptor->size != input.size()) __builtin_trap();
  if (out->keyframe && !out->frame_start) __builtin_trap();
  if (!descriptor->begin_of_frame && (out->keyframe || out->width || out->height)) __builtin_trap();
  if (out->layer_frame_end != descriptor->end_of_frame) __builtin_trap();
  if (descriptor->reference_count > 3) __builtin_trap();
}

void CheckFrameData(std::span<const uint8_t> input) {
  if (auto header = vp9::ParseUncompressedHeader(input)) {
    if (header->width > 65536 || header->height > 65536) __builtin_trap();
    if ((header->width == 0) != (header->height == 0)) __builtin_trap();
  }
  const auto frames = vp9::SplitSuperframe(input);
  size_t bytes = 0;
  for (const auto frame : frames) {
    if (frame.empty() || frame.data() < input.data() ||
        frame.data() + frame.size() > input.data() + input.size()) {
      __builtin_trap();
    }
    bytes += frame.size();
  }
  if (bytes > input.size()) __builtin_trap();
  if (auto joined = vp9::JoinSuperframe(frames)) {
    const auto again = vp9::SplitSuperframe(*joined);
    size_t expected = 0;
    for (const auto frame : frames) expected += vp9::SplitSuperframe(frame).size();
    if (frames.size() > 1 && again.size() != expected) __builtin_trap();
  }
}

// The first byte picks the MTU and whether the frame is a keyframe; the rest is the frame.
void CheckRoundTrip(std::span<const uint8_t> input) {
  if (input.empty()) return;
  PacketizerConfig config;
  config.mtu = kRtpOverhead + 32 + (input[0] >> 1) * 4u;
  const bool keyframe = input[0] & 1;
  const auto frame = input.subspan(1);
  const auto payloads = CreatePacketizer(Codec::kVp9, config)->Packetize(frame, keyframe);
  if (frame.empty() != payloads.empty()) __builtin_trap();
  auto depacketizer = CreateDepacketizer(Codec::kVp9);
  std::vector<DepacketizedPayload> parts;
  for (size_t i = 0; i < payloads.size(); ++i) {
    if (payloads[i].size() > config.mtu - kRtpOverhead) __builtin_trap();
    auto part = depacketizer->Parse(payloads[i]);
    if (!part || part->frame_start != (i == 0) ||
        part->layer_frame_end != (i + 1 == payloads.size())) {
      __builtin_trap();
    }
    parts.push_back(std::move(*part));
  }
  std::vector<const DepacketizedPayload*> pointers;
  for (const auto& p : parts) pointers.push_back(&p);
  const std::vector<uint8_t> joined = AssembleFrame(Codec::kVp9, pointers);
  if (!payloads.empty() && !std::equal(joined.begin(), joined.end(), frame.begin(), frame.end())) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  CheckPayload(input);
  CheckFrameData(input);
  CheckRoundTrip(input);
  return 0;
}
