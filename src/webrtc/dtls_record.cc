#include <tessera/base/byte_io.h>
#include <tessera/webrtc/dtls_record.h>

#include <utility>

namespace tessera::webrtc {
namespace {

constexpr uint8_t kFirstContentType = 20;
constexpr uint8_t kLastContentType = 25;
constexpr uint8_t kClientHelloType = 1;
// A DTLS handshake message header: type, length (24), message_seq (16), fragment offset (24) and
// fragment length (24).
constexpr size_t kHandshakeHeaderSize = 12;

bool IsKnownVersion(uint16_t version) {
  return version == kDtls10Version || version == kDtls12Version || version == kDtls13Version;
}

}  // namespace

std::optional<std::vector<DtlsRecordView>> SplitDtlsRecords(std::span<const uint8_t> datagram) {
  if (datagram.empty()) return std::nullopt;
  std::vector<DtlsRecordView> records;
  size_t pos = 0;
  while (pos < datagram.size()) {
    const std::span<const uint8_t> rest = datagram.subspan(pos);
    if (rest.size() < kDtlsRecordHeaderSize) return std::nullopt;
    DtlsRecordView record;
    record.content_type = rest[0];
    if (record.content_type < kFirstContentType || record.content_type > kLastContentType) {
      return std::nullopt;
    }
    record.version = ReadBe16(&rest[1]);
    if (!IsKnownVersion(record.version)) return std::nullopt;
    record.epoch = ReadBe16(&rest[3]);
    record.sequence_number = (uint64_t{ReadBe16(&rest[5])} << 32) | ReadBe32(&rest[7]);
    const size_t length = ReadBe16(&rest[11]);
    if (length > kDtlsMaxRecordBody || length > rest.size() - kDtlsRecordHeaderSize) {
      return std::nullopt;
    }
    record.body = rest.subspan(kDtlsRecordHeaderSize, length);
    record.wire = rest.first(kDtlsRecordHeaderSize + length);
    records.push_back(record);
    pos += kDtlsRecordHeaderSize + length;
  }
  return records;
}

bool LooksLikeClientHello(std::span<const uint8_t> datagram) {
  const std::optional<std::vector<DtlsRecordView>> records = SplitDtlsRecords(datagram);
  if (!records) return false;
  const DtlsRecordView& first = records->front();
  return first.content_type == static_cast<uint8_t>(DtlsContentType::kHandshake) &&
         first.epoch == 0 && first.body.size() >= kHandshakeHeaderSize &&
         first.body[0] == kClientHelloType;
}

std::vector<std::vector<uint8_t>> PackDtlsRecords(std::span<const uint8_t> records, size_t mtu) {
  std::vector<std::vector<uint8_t>> datagrams;
  if (records.empty()) return datagrams;
  const std::optional<std::vector<DtlsRecordView>> views = SplitDtlsRecords(records);
  if (!views) {
    datagrams.emplace_back(records.begin(), records.end());
    return datagrams;
  }
  std::vector<uint8_t> current;
  for (const DtlsRecordView& record : *views) {
    if (!current.empty() && current.size() + record.wire.size() > mtu) {
      datagrams.push_back(std::move(current));
      current.clear();
    }
    current.insert(current.end(), record.wire.begin(), record.wire.end());
  }
  if (!current.empty()) datagrams.push_back(std::move(current));
  return datagrams;
}

}  // namespace tessera::webrtc
