#include <tessera/base/byte_io.h>
#include <tessera/webrtc/stun_writer.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <utility>

namespace tessera::webrtc {
namespace {

constexpr size_t kMaxAttributeValueSize = 0xFFFF;
constexpr size_t kMaxReasonSize = 763;

size_t Padded(size_t length) { return (length + 3) & ~size_t{3}; }

}  // namespace

StunWriter::StunWriter(uint16_t method, StunClass message_class,
                       const StunTransactionId& transaction_id)
    : transaction_id_(transaction_id) {
  out_.reserve(128);
  ByteWriter w(out_);
  w.U16(StunMessageType(method, message_class));
  w.U16(0);
  w.U32(kStunMagicCookie);
  w.Bytes(transaction_id);
}

bool StunWriter::BeginAttribute(uint16_t type, size_t length) {
  if (!ok_) return false;
  if (length > kMaxAttributeValueSize ||
      out_.size() + kStunAttributeHeaderSize + Padded(length) > kStunMaxMessageSize) {
    ok_ = false;
    return false;
  }
  ByteWriter w(out_);
  w.U16(type);
  w.U16(static_cast<uint16_t>(length));
  return true;
}

void StunWriter::Pad() { out_.resize(Padded(out_.size()), 0); }

void StunWriter::UpdateLength() {
  WriteBe16(&out_[2], static_cast<uint16_t>(out_.size() - kStunHeaderSize));
}

void StunWriter::AddBytes(uint16_t type, std::span<const uint8_t> value) {
  if (!BeginAttribute(type, value.size())) return;
  out_.insert(out_.end(), value.begin(), value.end());
  Pad();
  UpdateLength();
}

void StunWriter::AddString(uint16_t type, std::string_view value) {
  AddBytes(type, {reinterpret_cast<const uint8_t*>(value.data()), value.size()});
}

void StunWriter::AddU32(uint16_t type, uint32_t value) {
  uint8_t bytes[4];
  WriteBe32(bytes, value);
  AddBytes(type, bytes);
}

void StunWriter::AddU64(uint16_t type, uint64_t value) {
  uint8_t bytes[8];
  WriteBe32(bytes, static_cast<uint32_t>(value >> 32));
  WriteBe32(bytes + 4, static_cast<uint32_t>(value));
  AddBytes(type, bytes);
}

void StunWriter::AddFlag(uint16_t type) { AddBytes(type, {}); }

void StunWriter::AddXorMappedAddress(const net::Endpoint& address) {
  boost::asio::ip::address ip = address.address();
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) {
    ip = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6());
  }
  uint8_t mask[16];
  WriteBe32(mask, kStunMagicCookie);
  std::copy(transaction_id_.begin(), transaction_id_.end(), mask + 4);
  uint8_t value[20] = {};
  value[1] = ip.is_v4() ? 0x01 : 0x02;
  WriteBe16(&value[2], static_cast<uint16_t>(address.port() ^ (kStunMagicCookie >> 16)));
  size_t size = 4;
  if (ip.is_v4()) {
    const auto bytes = ip.to_v4().to_bytes();
    for (size_t i = 0; i < bytes.size(); ++i) value[4 + i] = bytes[i] ^ mask[i];
    size += bytes.size();
  } else {
    const auto bytes = ip.to_v6().to_bytes();
    for (size_t i = 0; i < bytes.size(); ++i) value[4 + i] = bytes[i] ^ mask[i];
    size += bytes.size();
  }
  AddBytes(kStunAttrXorMappedAddress, {value, size});
}

void StunWriter::AddErrorCode(int code, std::string_view reason) {
  if (code < 300 || code > 699) {
    ok_ = false;
    return;
  }
  reason = reason.substr(0, kMaxReasonSize);
  std::vector<uint8_t> value(4 + reason.size(), 0);
  value[2] = static_cast<uint8_t>(code / 100);
  value[3] = static_cast<uint8_t>(code % 100);
  std::copy(reason.begin(), reason.end(), value.begin() + 4);
  AddBytes(kStunAttrErrorCode, value);
}

void StunWriter::AddUnknownAttributes(std::span<const uint16_t> types) {
  std::vector<uint8_t> value;
  ByteWriter w(value);
  for (uint16_t type : types) w.U16(type);
  AddBytes(kStunAttrUnknownAttributes, value);
}

void StunWriter::AddMessageIntegrity(std::string_view key) {
  const size_t offset = out_.size();
  if (!BeginAttribute(kStunAttrMessageIntegrity, kStunIntegritySize)) return;
  const auto mac = ComputeMessageIntegrity(out_, offset, key);
  if (!mac) {
    ok_ = false;
    return;
  }
  out_.insert(out_.end(), mac->begin(), mac->end());
  UpdateLength();
}

void StunWriter::AddFingerprint() {
  const size_t offset = out_.size();
  if (!BeginAttribute(kStunAttrFingerprint, kStunFingerprintSize)) return;
  const auto crc = ComputeFingerprint(out_, offset);
  if (!crc) {
    ok_ = false;
    return;
  }
  ByteWriter w(out_);
  w.U32(*crc);
  UpdateLength();
}

std::vector<uint8_t> StunWriter::Finish() {
  std::vector<uint8_t> out = ok_ ? std::move(out_) : std::vector<uint8_t>{};
  out_.clear();
  ok_ = false;
  return out;
}

std::string_view StunReasonPhrase(int code) {
  switch (code) {
    case 300:
      return "Try Alternate";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 420:
      return "Unknown Attribute";
    case 437:
      return "Allocation Mismatch";
    case 438:
      return "Stale Nonce";
    case 487:
      return "Role Conflict";
    case 500:
      return "Server Error";
    default:
      return "Error";
  }
}

std::vector<uint8_t> BuildBindingSuccess(const StunTransactionId& transaction_id,
                                         const net::Endpoint& mapped_address,
                                         std::string_view integrity_key) {
  StunWriter w(kStunMethodBinding, StunClass::kSuccessResponse, transaction_id);
  w.AddXorMappedAddress(mapped_address);
  w.AddMessageIntegrity(integrity_key);
  w.AddFingerprint();
  return w.Finish();
}

std::vector<uint8_t> BuildBindingError(const StunTransactionId& transaction_id, int code,
                                       std::string_view integrity_key,
                                       std::span<const uint16_t> unknown_attributes) {
  StunWriter w(kStunMethodBinding, StunClass::kErrorResponse, transaction_id);
  w.AddErrorCode(code, StunReasonPhrase(code));
  if (!unknown_attributes.empty()) w.AddUnknownAttributes(unknown_attributes);
  if (!integrity_key.empty()) w.AddMessageIntegrity(integrity_key);
  w.AddFingerprint();
  return w.Finish();
}

std::vector<uint8_t> BuildBindingRequest(const BindingRequestParams& params) {
  StunWriter w(kStunMethodBinding, StunClass::kRequest, params.transaction_id);
  if (!params.username.empty()) w.AddString(kStunAttrUsername, params.username);
  if (params.priority) w.AddU32(kStunAttrPriority, *params.priority);
  if (params.ice_controlling) w.AddU64(kStunAttrIceControlling, *params.ice_controlling);
  if (params.ice_controlled) w.AddU64(kStunAttrIceControlled, *params.ice_controlled);
  if (params.use_candidate) w.AddFlag(kStunAttrUseCandidate);
  if (!params.integrity_key.empty()) w.AddMessageIntegrity(params.integrity_key);
  if (params.fingerprint) w.AddFingerprint();
  return w.Finish();
}

}  // namespace tessera::webrtc
