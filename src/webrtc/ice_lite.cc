#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <tessera/webrtc/ice_lite.h>
#include <tessera/webrtc/stun_writer.h>

#include <string_view>
#include <utility>

namespace tessera::webrtc {
namespace {

// RFC 8839 section 5.4: ice-char = ALPHA / DIGIT / "+" / "/". 64 characters, so a random byte's
// low six bits pick one without bias.
constexpr char kIceChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static_assert(sizeof(kIceChars) - 1 == 64);

bool RandomIceString(size_t length, std::string& out) {
  uint8_t bytes[64];
  if (length > sizeof(bytes) || RAND_bytes(bytes, static_cast<int>(length)) != 1) return false;
  out.resize(length);
  for (size_t i = 0; i < length; ++i) out[i] = kIceChars[bytes[i] & 0x3F];
  OPENSSL_cleanse(bytes, sizeof(bytes));
  return true;
}

}  // namespace

StatusOr<IceCredentials> GenerateIceCredentials() {
  IceCredentials c;
  if (!RandomIceString(kIceUfragLength, c.ufrag) ||
      !RandomIceString(kIcePasswordLength, c.password)) {
    return InternalError("RAND_bytes could not generate ICE credentials");
  }
  return c;
}

const char* IceDropName(IceDrop drop) {
  switch (drop) {
    case IceDrop::kNone:
      return "ok";
    case IceDrop::kMalformed:
      return "malformed";
    case IceDrop::kNotRequest:
      return "not_request";
    case IceDrop::kNotBinding:
      return "not_binding";
    case IceDrop::kNoFingerprint:
      return "no_fingerprint";
    case IceDrop::kBadFingerprint:
      return "bad_fingerprint";
    case IceDrop::kNoCredentials:
      return "no_credentials";
    case IceDrop::kWrongUsername:
      return "wrong_username";
    case IceDrop::kBadIntegrity:
      return "bad_integrity";
    case IceDrop::kUnknownAttribute:
      return "unknown_attribute";
    case IceDrop::kNoPriority:
      return "no_priority";
    case IceDrop::kBadRole:
      return "bad_role";
    case IceDrop::kRoleConflict:
      return "role_conflict";
  }
  return "unknown";
}

StatusOr<std::unique_ptr<IceLiteAgent>> IceLiteAgent::Create(const IceLiteOptions& options,
                                                             int64_t now_us) {
  StatusOr<IceCredentials> local = GenerateIceCredentials();
  if (!local.ok()) return local.status();
  return std::make_unique<IceLiteAgent>(std::move(local).value(), options, now_us);
}

IceLiteAgent::IceLiteAgent(IceCredentials local, const IceLiteOptions& options, int64_t now_us)
    : local_(std::move(local)), options_(options), started_us_(now_us) {}

void IceLiteAgent::SetRemoteCredentials(IceCredentials remote) {
  TESSERA_DCHECK_RUN_ON(checker_);
  remote_ = std::move(remote);
}

Status IceLiteAgent::Restart(IceCredentials remote, int64_t now_us) {
  TESSERA_DCHECK_RUN_ON(checker_);
  StatusOr<IceCredentials> local = GenerateIceCredentials();
  if (!local.ok()) return local.status();
  OPENSSL_cleanse(local_.password.data(), local_.password.size());
  local_ = std::move(local).value();
  remote_ = std::move(remote);
  if (!selected_) started_us_ = now_us;
  return Status::Ok();
}

std::optional<int64_t> IceLiteAgent::last_consent_us() const {
  if (!selected_) return std::nullopt;
  return last_consent_us_;
}

bool IceLiteAgent::ConsentExpired(int64_t now_us) const {
  if (!selected_) return now_us - started_us_ >= options_.initial_timeout_us;
  return now_us - last_consent_us_ >= options_.consent_timeout_us;
}

std::optional<std::string> IceLiteAgent::UsernameLocalUfrag(const StunMessage& message) {
  if (!message.username) return std::nullopt;
  const size_t colon = message.username->find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  return message.username->substr(0, colon);
}

bool IceLiteAgent::UsernameMatches(const std::string& username) const {
  const std::string_view name(username);
  const size_t colon = local_.ufrag.size();
  if (name.size() <= colon || name[colon] != ':' || name.substr(0, colon) != local_.ufrag) {
    return false;
  }
  // The peer's ufrag may not be known yet: its check can arrive before its answer does.
  return remote_.ufrag.empty() || name.substr(colon + 1) == remote_.ufrag;
}

IceResult IceLiteAgent::Drop(IceResult result, IceDrop drop) {
  result.drop = drop;
  result.selected = selected_;
  ++counters_.dropped[static_cast<size_t>(drop)];
  return result;
}

IceResult IceLiteAgent::HandleStun(std::span<const uint8_t> datagram, const net::Endpoint& from,
                                   int64_t now_us) {
  TESSERA_DCHECK_RUN_ON(checker_);
  ++counters_.received;
  IceResult result;
  const std::optional<StunMessage> message = ParseStun(datagram);
  if (!message) return Drop(std::move(result), IceDrop::kMalformed);
  if (message->message_class != StunClass::kRequest) {
    return Drop(std::move(result), IceDrop::kNotRequest);
  }
  if (message->method != kStunMethodBinding) return Drop(std::move(result), IceDrop::kNotBinding);
  // A message that fails FINGERPRINT is not STUN for us (RFC 8489 section 6.3): no answer.
  if (!message->fingerprint_offset) return Drop(std::move(result), IceDrop::kNoFingerprint);
  if (!VerifyFingerprint(*message, datagram)) {
    return Drop(std::move(result), IceDrop::kBadFingerprint);
  }

  // RFC 8489 section 9.1.3: errors before the integrity check carry no MESSAGE-INTEGRITY.
  const StunTransactionId& id = message->transaction_id;
  if (!message->username || !message->integrity_offset) {
    result.response = BuildBindingError(id, 400);
    return Drop(std::move(result), IceDrop::kNoCredentials);
  }
  if (!UsernameMatches(*message->username)) {
    result.response = BuildBindingError(id, 401);
    return Drop(std::move(result), IceDrop::kWrongUsername);
  }
  if (!VerifyMessageIntegrity(*message, datagram, local_.password)) {
    result.response = BuildBindingError(id, 401);
    return Drop(std::move(result), IceDrop::kBadIntegrity);
  }

  // Authenticated from here on: errors carry MESSAGE-INTEGRITY (RFC 8489 section 9.1.3).
  const std::string_view key = local_.password;
  if (!message->unknown_required.empty()) {
    result.response = BuildBindingError(id, 420, key, message->unknown_required);
    return Drop(std::move(result), IceDrop::kUnknownAttribute);
  }
  if (!message->priority) {
    result.response = BuildBindingError(id, 400, key);
    return Drop(std::move(result), IceDrop::kNoPriority);
  }
  if (message->ice_controlling.has_value() == message->ice_controlled.has_value()) {
    result.response = BuildBindingError(id, 400, key);
    return Drop(std::move(result), IceDrop::kBadRole);
  }
  if (message->ice_controlled) {
    // RFC 8445 section 7.3.1.1: a controlled agent that gets ICE-CONTROLLED and cannot take the
    // controlling role (a lite one never can) answers 487; the peer then becomes controlling.
    result.response = BuildBindingError(id, 487, key);
    return Drop(std::move(result), IceDrop::kRoleConflict);
  }

  ++counters_.valid;
  result.nominated = message->use_candidate;
  if (selected_ && *selected_ == from) {
    last_consent_us_ = now_us;
    result.consent_refreshed = true;
  } else if (message->use_candidate) {
    selected_ = from;
    last_consent_us_ = now_us;
    ++counters_.selection_changes;
    result.selection_changed = true;
    result.consent_refreshed = true;
  }
  result.selected = selected_;
  result.response = BuildBindingSuccess(id, from, key);
  return result;
}

}  // namespace tessera::webrtc
