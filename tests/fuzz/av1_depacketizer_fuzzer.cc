// Parses arbitrary bytes as AV1 RTP payloads (the AOM payload format) and as AV1 data (OBUs,
// sequence header), joins what parsed into a temporal unit, and checks that packetizing arbitrary
// OBUs round-trips through the depacketizer and AssembleFrame within the payload budget.
// Input: byte 0 picks the MTU and the keyframe flag; from byte 3 on, the bytes are cut into
// payloads of the lengths bytes 1 and 2 give (and the rest); from byte 1 on, they are taken
// whole as a temporal unit.
#include <tessera/rtp/av1_bitstream.h>
#include <tessera/rtp/depacketizer.h>
#include <tessera/rtp/packetizer.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "rtp/av1_depacketizer.h"

namespace {

using namespace tessera::rtp;

std::vector<const DepacketizedPayload*> Pointers(const std::vector<DepacketizedPayload>& parts) {
  std::vector<const DepacketizedPayload*> out;
  for (const auto& p : parts) out.push_back(&p);
  return out;
}

// Whatever AssembleFrame gives reads back as OBUs, each with its size field, to the end.
void CheckAssembled(const std::vector<uint8_t>& tu) {
  bool complete = false;
  const auto obus = av1::SplitObus(tu, &complete);
  if (!complete) __builtin_trap();
  for (const auto& obu : obus) {
    if (!obu.header.has_size_field) __builtin_trap();
    if (obu.header.type == av1::ObuType::kTemporalDelimiter ||
        obu.header.type == av1::ObuType::kTileList) {
      __builtin_trap();
    }
  }
}

void CheckPayloads(size_t first, size_t second, std::span<const uint8_t> data) {
  const size_t cut1 = first;
  const size_t cut2 = first + second;
  std::vector<DepacketizedPayload> parts;
  auto depacketizer = CreateDepacketizer(Codec::kAv1);
  size_t begin = 0;
  for (size_t end : {cut1, cut2, data.size()}) {
    if (end <= begin || end > data.size()) continue;
    const auto payload = data.subspan(begin, end - begin);
    begin = end;
    auto out = depacketizer->Parse(payload);
    if (!out) continue;
    const Av1AggregationHeader h = ParseAv1AggregationHeader(payload[0]);
    if (out->frame_start && h.continues_previous) __builtin_trap();
    if (out->keyframe && !h.new_coded_video_sequence) __builtin_trap();
    if (out->obu_continues_previous != h.continues_previous) __builtin_trap();
    parts.push_back(std::move(*out));
  }
  CheckAssembled(AssembleFrame(Codec::kAv1, Pointers(parts)));
}

void CheckObus(std::span<const uint8_t> tu) {
  for (const auto& obu : av1::SplitObus(tu)) {
    if (obu.header.type != av1::ObuType::kSequenceHeader) continue;
    if (auto h = av1::ParseSequenceHeader(obu.payload)) {
      if (h->max_width == 0 || h->max_width > 65536 || h->max_height == 0 ||
          h->max_height > 65536) {
        __builtin_trap();
      }
    }
  }
}

void CheckRoundTrip(uint8_t settings, std::span<const uint8_t> tu) {
  PacketizerConfig config;
  config.mtu = kRtpOverhead + 8 + (settings >> 1) * 4u;
  const auto payloads = CreatePacketizer(Codec::kAv1, config)->Packetize(tu, settings & 1);
  bool complete = false;
  const auto obus = av1::SplitObus(tu, &complete);
  std::vector<uint8_t> expected;
  for (const auto& obu : obus) {
    const auto type = obu.header.type;
    if (type == av1::ObuType::kTemporalDelimiter || type == av1::ObuType::kTileList ||
        type == av1::ObuType::kPadding) {
      continue;
    }
    av1::AppendObu(obu.header_bytes, obu.payload, expected);
  }
  if (!complete || expected.empty()) {
    if (!payloads.empty()) __builtin_trap();
    return;
  }
  auto depacketizer = CreateDepacketizer(Codec::kAv1);
  std::vector<DepacketizedPayload> parts;
  for (size_t i = 0; i < payloads.size(); ++i) {
    if (payloads[i].size() > config.mtu - kRtpOverhead) __builtin_trap();
    auto part = depacketizer->Parse(payloads[i]);
    if (!part || part->obu_continues_previous != (i > 0 && parts.back().obu_continues_next)) {
      __builtin_trap();
    }
    parts.push_back(std::move(*part));
  }
  if (parts.empty() || parts.back().obu_continues_next) __builtin_trap();
  if (AssembleFrame(Codec::kAv1, Pointers(parts)) != expected) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> input(data, size);
  if (size > 3) CheckPayloads(data[1], data[2], input.subspan(3));
  CheckObus(input.subspan(1));
  CheckRoundTrip(data[0], input.subspan(1));
  return 0;
}
