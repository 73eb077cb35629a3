// ParseSdp on arbitrary text. What parses must survive WriteSdp -> ParseSdp unchanged; it is then
// answered with a fixed capability set (as Tessera answers an INVITE), the answer written and
// parsed back (it must parse, and equal itself), and the answer read by ProcessAnswer as if it
// answered an offer of ours.
#include <tessera/sip/sdp.h>
#include <tessera/sip/sdp_negotiation.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using tessera::sip::LocalMediaCapabilities;

const LocalMediaCapabilities& Caps() {
  static const LocalMediaCapabilities caps = [] {
    LocalMediaCapabilities c;
    c.address = "192.0.2.1";
    c.audio_port = 40000;
    c.video_port = 40002;
    c.h264.packetization_mode_0 = true;
    c.h264.max_fs = 8160;
    c.vp8.max_fs = 3600;
    const std::vector<uint8_t> key(30, 7);
    c.audio_keys = {{tessera::srtp::SrtpSuite::kAesCm128HmacSha1_80, key},
                    {tessera::srtp::SrtpSuite::kAesCm128HmacSha1_32, key}};
    c.video_keys = c.audio_keys;
    return c;
  }();
  return caps;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sdp = tessera::sip::ParseSdp(text);
  if (!sdp.ok()) return 0;
  auto again = tessera::sip::ParseSdp(tessera::sip::WriteSdp(*sdp));
  if (!again.ok() || !(*again == *sdp)) abort();

  auto answer = tessera::sip::Answer(*sdp, Caps());
  if (!answer.ok()) abort();  // Only re-offers can fail.
  if (answer->local.media.size() != sdp->media.size()) abort();
  auto written = tessera::sip::ParseSdp(tessera::sip::WriteSdp(answer->local));
  if (!written.ok() || !(*written == answer->local)) abort();
  auto reanswer = tessera::sip::Answer(*sdp, Caps(), &*answer);
  if (!reanswer.ok() || reanswer->local != answer->local) abort();  // Same offer, same answer.

  // The input as the answer to our own offer: may be refused, must not crash.
  auto offer = tessera::sip::MakeOffer(Caps());
  if (!offer.ok()) abort();
  (void)tessera::sip::ProcessAnswer(*offer, *sdp, Caps());
  return 0;
}
