// Building STUN messages (RFC 8489): a writer that appends attributes, and the messages an ICE-lite
// agent answers with (Binding success and error responses) or, as a client or in tests, sends
// (Binding requests).
#pragma once

#include <tessera/net/udp_socket.h>
#include <tessera/webrtc/stun.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::webrtc {

// Appends attributes to one message, keeping the header's length up to date, so that
// MESSAGE-INTEGRITY covers what was added before it. Add MESSAGE-INTEGRITY after the other
// attributes and FINGERPRINT last. Attribute values are padded with zeros.
//
// A message that would grow past kStunMaxMessageSize (or an attribute value past 65535 bytes)
// fails: Finish() then returns an empty vector. Never throws beyond std::bad_alloc.
class StunWriter {
 public:
  StunWriter(uint16_t method, StunClass message_class, const StunTransactionId& transaction_id);

  void AddBytes(uint16_t type, std::span<const uint8_t> value);
  void AddString(uint16_t type, std::string_view value);
  void AddU32(uint16_t type, uint32_t value);
  void AddU64(uint16_t type, uint64_t value);
  // A zero-length attribute (USE-CANDIDATE).
  void AddFlag(uint16_t type);
  // An IPv4-mapped IPv6 address (from a dual-stack socket) is written as the IPv4 address it maps.
  void AddXorMappedAddress(const net::Endpoint& address);
  // `code` 300..699; the reason is cut to RFC 8489's 763 bytes.
  void AddErrorCode(int code, std::string_view reason);
  void AddUnknownAttributes(std::span<const uint16_t> types);
  // HMAC-SHA1 keyed with `key` (ICE: the password of the agent that answers the request).
  void AddMessageIntegrity(std::string_view key);
  void AddFingerprint();

  // The message, or an empty vector if it failed. The writer is empty afterwards.
  std::vector<uint8_t> Finish();

 private:
  // Appends a header for `length` bytes of value; false (and failed) when it would not fit.
  bool BeginAttribute(uint16_t type, size_t length);
  void Pad();
  void UpdateLength();

  std::vector<uint8_t> out_;
  StunTransactionId transaction_id_;
  bool ok_ = true;
};

// The reason phrase RFC 8489 and RFC 8445 give an error code: "Bad Request" (400),
// "Unauthorized" (401), "Unknown Attribute" (420), "Role Conflict" (487), ... "Error" otherwise.
std::string_view StunReasonPhrase(int code);

// A Binding success response: XOR-MAPPED-ADDRESS (where the request came from),
// MESSAGE-INTEGRITY keyed with `integrity_key`, FINGERPRINT. Empty if building failed.
std::vector<uint8_t> BuildBindingSuccess(const StunTransactionId& transaction_id,
                                         const net::Endpoint& mapped_address,
                                         std::string_view integrity_key);

// A Binding error response with ERROR-CODE (the code and its reason phrase), UNKNOWN-ATTRIBUTES
// when `unknown_attributes` is not empty (a 420), MESSAGE-INTEGRITY when `integrity_key` is not
// empty (only for a request that passed the integrity check: 400 and 401 for a failed check carry
// none, RFC 8489 section 9.1.3), and FINGERPRINT. Empty if building failed.
std::vector<uint8_t> BuildBindingError(const StunTransactionId& transaction_id, int code,
                                       std::string_view integrity_key = {},
                                       std::span<const uint16_t> unknown_attributes = {});

// An ICE connectivity check (RFC 8445 section 7).
struct BindingRequestParams {
  StunTransactionId transaction_id{};
  std::string username;  // "<receiver ufrag>:<sender ufrag>"; not written when empty
  std::optional<uint32_t> priority;
  std::optional<uint64_t> ice_controlling;  // tie breakers
  std::optional<uint64_t> ice_controlled;
  bool use_candidate = false;
  std::string integrity_key;  // the receiver's password; no MESSAGE-INTEGRITY when empty
  bool fingerprint = true;
};

// USERNAME, PRIORITY, ICE-CONTROLLING or ICE-CONTROLLED, USE-CANDIDATE, MESSAGE-INTEGRITY,
// FINGERPRINT, each where `params` asks for it. Empty if building failed.
std::vector<uint8_t> BuildBindingRequest(const BindingRequestParams& params);

}  // namespace tessera::webrtc
