// RTP parse, then rebuild from the parsed fields: the rebuilt packet must parse to the same
// header and payload.
#include <tessera/rtp/rtp_packet.h>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tessera::rtp::RtpPacket;
  auto p = RtpPacket::Parse({data, size});
  if (!p) return 0;
  tessera::rtp::RtpHeader h;
  h.marker = p->marker();
  h.payload_type = p->payload_type();
  h.sequence_number = p->sequence_number();
  h.timestamp = p->timestamp();
  h.ssrc = p->ssrc();
  for (size_t i = 0; i < p->csrc_count(); ++i) h.csrcs.push_back(p->csrc(i));
  std::vector<tessera::rtp::ExtensionElement> ext;
  for (uint8_t id = 1; id < 255; ++id) {
    if (auto e = p->extension(id); e && !e->empty()) ext.push_back({id, {e->begin(), e->end()}});
  }
  RtpPacket q = RtpPacket::Build(h, ext, p->payload());
  auto r = RtpPacket::Parse(q.data());
  if (!r || r->sequence_number() != p->sequence_number() || r->ssrc() != p->ssrc() ||
      r->payload().size() != p->payload().size()) {
    std::abort();
  }
  return 0;
}
