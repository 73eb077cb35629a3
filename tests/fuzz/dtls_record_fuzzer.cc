// SplitDtlsRecords, LooksLikeClientHello and PackDtlsRecords on arbitrary bytes (one datagram).
//
// Checks: the records that parse cover the datagram exactly, in order, each header and body where
// the view says; a ClientHello is always a parse; packing what parsed gives back the same bytes,
// in datagrams that parse again and stay within the MTU unless a single record is larger.
#include <tessera/webrtc/dtls_record.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

using tessera::webrtc::DtlsRecordView;
using tessera::webrtc::kDtlsRecordHeaderSize;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  const auto records = tessera::webrtc::SplitDtlsRecords(input);
  const bool hello = tessera::webrtc::LooksLikeClientHello(input);
  if (hello && !records) abort();
  if (!records) return 0;
  if (records->empty()) abort();

  size_t offset = 0;
  for (const DtlsRecordView& r : *records) {
    if (r.wire.data() != data + offset || r.wire.size() != kDtlsRecordHeaderSize + r.body.size() ||
        r.body.data() != r.wire.data() + kDtlsRecordHeaderSize) {
      abort();
    }
    if (r.content_type < 20 || r.content_type > 25 || (r.sequence_number >> 48) != 0) abort();
    offset += r.wire.size();
  }
  if (offset != size) abort();

  const size_t mtu = 256 + size % 1024;
  std::vector<uint8_t> joined;
  for (const std::vector<uint8_t>& datagram : tessera::webrtc::PackDtlsRecords(input, mtu)) {
    const auto parsed = tessera::webrtc::SplitDtlsRecords(datagram);
    if (!parsed) abort();
    if (datagram.size() > mtu && parsed->size() != 1) abort();
    joined.insert(joined.end(), datagram.begin(), datagram.end());
  }
  if (joined.size() != size || !std::equal(joined.begin(), joined.end(), data)) abort();
  return 0;
}
