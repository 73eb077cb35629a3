#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <tessera/base/base64.h>
#include <tessera/srtp/sdes.h>

#include <charconv>
#include <limits>

namespace tessera::srtp {
namespace {

constexpr std::string_view kAttributePrefix = "a=crypto:";
constexpr std::string_view kInlinePrefix = "inline:";
constexpr uint32_t kMaxTag = 999'999'999;      // RFC 4568: tag = 1*9DIGIT.
constexpr size_t kMaxBase64Length = 1024;      // Far above any real key; bounds the work.
constexpr uint64_t kMaxLifetimeExponent = 63;  // 2^63 still fits a uint64_t.
constexpr uint32_t kMaxMkiLength = 128;        // RFC 4568: 1*3DIGIT, 1..128 bytes.

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Splits off the next whitespace-separated token; empty when none is left.
std::string_view NextToken(std::string_view& rest) {
  rest = Trim(rest);
  size_t end = 0;
  while (end < rest.size() && !IsSpace(rest[end])) ++end;
  std::string_view token = rest.substr(0, end);
  rest.remove_prefix(end);
  return token;
}

// Decimal digits only (no sign, no spaces), at most max_digits of them.
std::optional<uint64_t> ParseDecimal(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
  }
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

Status ParseLifetime(std::string_view field, SdesKey& key) {
  if (key.lifetime || key.mki) {
    return InvalidArgumentError("SRTP key: unexpected key parameter '" + std::string(field) +
                                "' (lifetime must come once, before the MKI)");
  }
  std::optional<uint64_t> packets;
  if (field.starts_with("2^")) {
    const auto exponent = ParseDecimal(field.substr(2), 2);
    if (exponent && *exponent <= kMaxLifetimeExponent) packets = uint64_t{1} << *exponent;
  } else {
    packets = ParseDecimal(field, std::numeric_limits<uint64_t>::digits10);
  }
  if (!packets || *packets == 0) {
    return InvalidArgumentError("SRTP key: bad key lifetime '" + std::string(field) +
                                "' (expected 2^N or a positive decimal packet count)");
  }
  key.lifetime = packets;
  return Status::Ok();
}

Status ParseMki(std::string_view field, SdesKey& key) {
  if (key.mki) return InvalidArgumentError("SRTP key: more than one MKI in one key");
  const size_t colon = field.find(':');
  const auto value = ParseDecimal(field.substr(0, colon), std::numeric_limits<uint64_t>::digits10);
  const auto length = ParseDecimal(field.substr(colon + 1), 3);
  if (!value || !length || *length == 0 || *length > kMaxMkiLength) {
    return InvalidArgumentError("SRTP key: bad MKI '" + std::string(field) +
                                "' (expected <value>:<length> with length 1..128)");
  }
  if (*length < 8 && *value >= (uint64_t{1} << (8 * *length))) {
    return InvalidArgumentError("SRTP key: MKI value " + std::to_string(*value) +
                                " does not fit in " + std::to_string(*length) + " bytes");
  }
  key.mki = SdesMki{*value, static_cast<uint8_t>(*length)};
  return Status::Ok();
}

// key-info = key-salt ["|" lifetime] ["|" mki], with or without the "inline:" method prefix.
StatusOr<SdesKey> ParseKeyInfo(SrtpSuite suite, std::string_view key_info) {
  if (key_info.starts_with(kInlinePrefix)) key_info.remove_prefix(kInlinePrefix.size());
  SdesKey key;
  key.suite = suite;
  const size_t bar = key_info.find('|');
  const std::string_view base64 = key_info.substr(0, bar);
  if (base64.empty()) return InvalidArgumentError("SRTP key: empty key");

  std::string_view params = bar == std::string_view::npos ? "" : key_info.substr(bar);
  while (!params.empty()) {
    params.remove_prefix(1);  // The '|'.
    const size_t next = params.find('|');
    const std::string_view field = params.substr(0, next);
    params = next == std::string_view::npos ? "" : params.substr(next);
    const Status status = field.find(':') == std::string_view::npos ? ParseLifetime(field, key)
                                                                    : ParseMki(field, key);
    if (!status.ok()) return status;
  }

  std::optional<std::vector<uint8_t>> bytes = DecodeBase64(base64, kMaxBase64Length);
  if (!bytes) {
    return InvalidArgumentError("SRTP key: key is not valid base64");
  }
  const size_t expected = KeyAndSaltLength(suite);
  if (bytes->size() != expected) {
    const size_t got = bytes->size();
    OPENSSL_cleanse(bytes->data(), bytes->size());
    return InvalidArgumentError(
        "SRTP key: key for " + std::string(SrtpSuiteName(suite)) + " must be " +
        std::to_string(expected) + " bytes (master key " + std::to_string(MasterKeyLength(suite)) +
        " + salt " + std::to_string(MasterSaltLength(suite)) + "), got " + std::to_string(got));
  }
  key.key = std::move(*bytes);
  return key;
}

}  // namespace

StatusOr<SdesKey> ParseSdesCrypto(std::string_view attribute_value) {
  std::string_view rest = Trim(attribute_value);
  if (rest.starts_with(kAttributePrefix)) rest.remove_prefix(kAttributePrefix.size());

  const std::string_view tag_text = NextToken(rest);
  const auto tag = ParseDecimal(tag_text, 9);
  if (!tag || *tag > kMaxTag) {
    return InvalidArgumentError("a=crypto: tag must be 1 to 9 decimal digits, got '" +
                                std::string(tag_text) + "'");
  }

  const std::string_view suite_name = NextToken(rest);
  if (suite_name.empty()) return InvalidArgumentError("a=crypto: missing crypto suite");
  const std::optional<SrtpSuite> suite = SrtpSuiteFromName(suite_name);
  if (!suite) {
    return InvalidArgumentError("a=crypto: unknown crypto suite '" + std::string(suite_name) +
                                "' (supported: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, "
                                "AEAD_AES_128_GCM)");
  }

  const std::string_view key_params = NextToken(rest);
  if (key_params.empty()) return InvalidArgumentError("a=crypto: missing key parameters");
  if (!key_params.starts_with(kInlinePrefix)) {
    const std::string_view method = key_params.substr(0, key_params.find(':'));
    return InvalidArgumentError("a=crypto: key method must be 'inline', got '" +
                                std::string(method) + "'");
  }
  if (key_params.find(';') != std::string_view::npos) {
    return InvalidArgumentError("a=crypto: several keys in one attribute (';') are not supported");
  }

  StatusOr<SdesKey> key = ParseKeyInfo(*suite, key_params);
  if (!key.ok()) return key;
  key->tag = static_cast<uint32_t>(*tag);
  for (std::string_view param = NextToken(rest); !param.empty(); param = NextToken(rest)) {
    key->session_params.emplace_back(param);
  }
  return key;
}

StatusOr<SdesKey> ParseInlineKey(SrtpSuite suite, std::string_view inline_value) {
  const std::string_view value = Trim(inline_value);
  for (char c : value) {
    if (IsSpace(c)) return InvalidArgumentError("SRTP key: whitespace inside the key");
  }
  return ParseKeyInfo(suite, value);
}

std::string FormatSdesCrypto(uint32_t tag, SrtpSuite suite, std::span<const uint8_t> key) {
  if (key.size() != KeyAndSaltLength(suite)) return "";
  return std::to_string(tag) + " " + std::string(SrtpSuiteName(suite)) + " " +
         std::string(kInlinePrefix) + EncodeBase64(key);
}

StatusOr<std::vector<uint8_t>> GenerateSrtpKey(SrtpSuite suite) {
  std::vector<uint8_t> key(KeyAndSaltLength(suite));
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return InternalError("RAND_bytes could not generate an SRTP master key");
  }
  return key;
}

}  // namespace tessera::srtp
