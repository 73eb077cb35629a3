// Decodes arbitrary bytes as one audio payload, then conceals a loss with them as the next
// payload, then decodes them again (the cross-fade out of a loss).
// Input: byte 0 picks the codec (low 2 bits) and the concealed length (the rest); the remaining
// bytes are the payload. Seeds: tests/fuzz/audio_decoder_seeds.py.
#include <tessera/codec/audio_codec.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace {

using tessera::codec::kMaxFrameSamples;

void CheckPcm(const std::vector<float>& pcm) {
  if (pcm.size() > static_cast<size_t>(kMaxFrameSamples)) __builtin_trap();
  for (float s : pcm) {
    if (!std::isfinite(s)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tessera::rtp::Codec;
  if (size < 1) return 0;
  constexpr Codec kCodecs[] = {Codec::kOpus, Codec::kPcmu, Codec::kPcma, Codec::kG722};
  const Codec codec = kCodecs[data[0] & 3];
  // 0, 120, ..., 7560 samples: whole and partial Opus granules, and over the clamp.
  const int conceal = (data[0] >> 2) * 120 + (data[0] & 0x40 ? 7 : 0);
  const std::span<const uint8_t> payload(data + 1, size - 1);

  auto decoder = tessera::codec::CreateAudioDecoder(codec);
  if (!decoder.ok()) __builtin_trap();
  auto& dec = *decoder;
  if (auto pcm = dec->Decode(payload)) CheckPcm(*pcm);
  const auto concealed = dec->Conceal(conceal, payload);
  if (concealed.size() != static_cast<size_t>(std::min(conceal, kMaxFrameSamples))) {
    __builtin_trap();
  }
  CheckPcm(concealed);
  if (auto pcm = dec->Decode(payload)) CheckPcm(*pcm);
  CheckPcm(dec->Conceal(tessera::codec::kMixFrameSamples, std::nullopt));
  return 0;
}
