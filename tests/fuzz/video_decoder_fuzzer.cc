// Decodes arbitrary bytes as one video frame, twice (the second time against the state the first
// left behind), with a decoder capped at 640x480 so one input costs at most one VGA decode.
// Input: byte 0 picks the codec (modulo 4: H.264, VP8, VP9, AV1), byte 1 the keyframe flag (bit
// 0), the remaining bytes are the frame. Seeds: tests/fuzz/video_decoder_seeds.py.
#include <tessera/codec/video_decoder.h>

#include <cstddef>
#include <cstdint>

namespace {

void Check(const tessera::codec::DecodeResult& r) {
  if (r.picture) {
    if (r.picture.host() == nullptr) __builtin_trap();
    const auto& p = *r.picture.host();
    if (r.error || p.width <= 0 || p.height <= 0 || p.width > 640 || p.height > 480) {
      __builtin_trap();
    }
    const size_t cw = static_cast<size_t>(p.width + 1) / 2;
    const size_t ch = static_cast<size_t>(p.height + 1) / 2;
    if (p.y.size() != static_cast<size_t>(p.width) * p.height || p.u.size() != cw * ch ||
        p.v.size() != cw * ch) {
      __builtin_trap();
    }
  }
  if (r.error != r.keyframe_needed) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tessera::rtp::Codec;
  if (size < 2) return 0;
  tessera::rtp::EncodedFrame frame;
  constexpr Codec kCodecs[] = {Codec::kH264, Codec::kVp8, Codec::kVp9, Codec::kAv1};
  frame.codec = kCodecs[data[0] % 4];
  frame.keyframe = (data[1] & 1) != 0;
  frame.data.assign(data + 2, data + size);
  auto decoder = tessera::codec::CreateVideoDecoder(
      frame.codec, tessera::codec::VideoDecoderConfig{.max_width = 640, .max_height = 480});
  if (!decoder.ok()) __builtin_trap();
  Check((*decoder)->Decode(frame));
  frame.rtp_timestamp = 3000;
  Check((*decoder)->Decode(frame));
  return 0;
}
