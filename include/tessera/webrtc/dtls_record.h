// DTLS record-layer framing (RFC 6347 section 4.1): the 13-byte plaintext header that every DTLS
// 1.0/1.2 record starts with. Used before OpenSSL sees a datagram (is it DTLS at all? a hello
// flood?) and to cut what OpenSSL writes into datagrams no larger than the path MTU.
//
// Nothing here decrypts or looks inside a record beyond the handshake type of a ClientHello.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::webrtc {

inline constexpr size_t kDtlsRecordHeaderSize = 13;
// The largest record body RFC 6347 allows: 2^14 plaintext plus 2048 bytes of expansion.
inline constexpr size_t kDtlsMaxRecordBody = 16384 + 2048;

inline constexpr uint16_t kDtls10Version =
    0xFEFF;  // also the record version of a first ClientHello
inline constexpr uint16_t kDtls12Version = 0xFEFD;
inline constexpr uint16_t kDtls13Version = 0xFEFC;  // parsed, but DtlsTransport does not speak it

enum class DtlsContentType : uint8_t {
  kChangeCipherSpec = 20,
  kAlert = 21,
  kHandshake = 22,
  kApplicationData = 23,
  kHeartbeat = 24,
  kTls12Cid = 25,  // RFC 9146 connection ID records
};

// One record inside a datagram; the spans point into the datagram given to SplitDtlsRecords and
// live as long as it does.
struct DtlsRecordView {
  uint8_t content_type = 0;  // 20..25, see DtlsContentType
  uint16_t version = 0;      // kDtls10Version, kDtls12Version or kDtls13Version
  uint16_t epoch = 0;
  uint64_t sequence_number = 0;   // 48 bits
  std::span<const uint8_t> body;  // `length` bytes after the header
  std::span<const uint8_t> wire;  // header and body, as on the wire
};

// Cuts a datagram into its records. nullopt unless the datagram is one or more whole records
// back to back: an empty datagram, a content type outside 20..25, a version other than the three
// above, a length over kDtlsMaxRecordBody, a record running past the end, or trailing bytes after
// the last record all reject it. Never reads outside `datagram`.
std::optional<std::vector<DtlsRecordView>> SplitDtlsRecords(std::span<const uint8_t> datagram);

// True when the datagram's records parse and the first one is a handshake record of epoch 0
// whose body starts a ClientHello (handshake type 1): cheap enough to run on every datagram from
// an address that has no DTLS session yet, for rate limiting hello floods. A true answer says
// nothing about whether the ClientHello is well formed.
bool LooksLikeClientHello(std::span<const uint8_t> datagram);

// Packs whole records (as SplitDtlsRecords accepts them) into datagrams of at most `mtu` bytes,
// in order, as many records per datagram as fit (RFC 6347 section 4.1.1 allows several). A single
// record longer than `mtu` travels alone, unsplit. If `records` does not parse as records it is
// returned as one datagram, untouched (never expected from OpenSSL). Empty input, no datagrams.
std::vector<std::vector<uint8_t>> PackDtlsRecords(std::span<const uint8_t> records, size_t mtu);

}  // namespace tessera::webrtc
