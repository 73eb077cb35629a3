#include "audit/line.h"

#include <openssl/sha.h>

#include <array>

namespace tessera::audit {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Consumes `literal` from the front of `s`.
bool Eat(std::string_view& s, std::string_view literal) {
  if (!s.starts_with(literal)) return false;
  s.remove_prefix(literal.size());
  return true;
}

// A JSON string without escapes up to its closing quote (envelope values never need escapes).
std::optional<std::string_view> PlainString(std::string_view& s) {
  const size_t end = s.find('"');
  if (end == std::string_view::npos) return std::nullopt;
  const std::string_view v = s.substr(0, end);
  if (v.find('\\') != std::string_view::npos) return std::nullopt;
  s.remove_prefix(end + 1);
  return v;
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> md{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md.data());
  std::string out;
  out.reserve(md.size() * 2);
  for (const unsigned char b : md) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0f]);
  }
  return out;
}

bool IsLowerHex(std::string_view s) {
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string JsonText(const nlohmann::ordered_json& v) {
  return v.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string EnvelopePrefix(uint64_t seq, int64_t unix_ms, std::string_view prev,
                           std::string_view type) {
  std::string out = "{\"seq\":" + std::to_string(seq) + ",\"time\":\"" + FormatRfc3339Ms(unix_ms) +
                    "\",\"prev\":\"";
  out += prev;
  out += "\",\"type\":\"";
  out += type;
  out += '"';
  return out;
}

SealedLine Seal(std::string prefix) {
  SealedLine out;
  out.hash = Sha256Hex(prefix);
  out.text = std::move(prefix);
  out.text += kHashKey;
  out.text += out.hash;
  out.text += "\"}\n";
  return out;
}

std::string CheckpointMessage(uint64_t seq, std::string_view time, std::string_view prev) {
  std::string out = std::to_string(seq);
  out.push_back(':');
  out += time;
  out.push_back(':');
  out += prev;
  return out;
}

std::optional<Envelope> ParseEnvelope(std::string_view line, std::string* why) {
  const auto fail = [why](const char* reason) {
    if (why) *why = reason;
    return std::nullopt;
  };
  if (line.size() > kMaxLineBytes) return fail("longer than any line the log writes");
  if (line.size() < kHashSuffixSize) return fail("too short to be an audit line");
  Envelope e;
  // The end: ,"hash":"<64 hex>"}
  const std::string_view suffix = line.substr(line.size() - kHashSuffixSize);
  if (!suffix.starts_with(kHashKey) || !suffix.ends_with("\"}")) {
    return fail("it does not end with its \"hash\"");
  }
  e.hash = suffix.substr(kHashKey.size(), 64);
  if (!IsLowerHex(e.hash)) return fail("its \"hash\" is not 64 hex digits");
  e.hashed = line.substr(0, line.size() - kHashSuffixSize);

  std::string_view s = e.hashed;
  if (!Eat(s, "{\"seq\":")) return fail("it does not start with {\"seq\":");
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0 || digits > 19 || (digits > 1 && s[0] == '0')) {
    return fail("its \"seq\" is not a number");
  }
  for (size_t i = 0; i < digits; ++i) e.seq = e.seq * 10 + static_cast<uint64_t>(s[i] - '0');
  s.remove_prefix(digits);
  if (e.seq == 0) return fail("its \"seq\" is 0 (the first line is 1)");
  if (!Eat(s, ",\"time\":\"")) return fail("\"time\" does not follow \"seq\"");
  const auto time = PlainString(s);
  if (!time || time->empty()) return fail("its \"time\" is not a plain string");
  e.time = *time;
  if (!Eat(s, ",\"prev\":\"")) return fail("\"prev\" does not follow \"time\"");
  const auto prev = PlainString(s);
  if (!prev || prev->size() != 64 || !IsLowerHex(*prev)) {
    return fail("its \"prev\" is not 64 hex digits");
  }
  e.prev = *prev;
  if (!Eat(s, ",\"type\":\"")) return fail("\"type\" does not follow \"prev\"");
  const auto type = PlainString(s);
  if (!type || (*type != "event" && *type != "checkpoint")) {
    return fail("its \"type\" is neither event nor checkpoint");
  }
  e.type = *type;
  if (e.type == "event" && !s.starts_with(",\"event\":\"")) {
    return fail("an event line without \"event\" after \"type\"");
  }
  if (e.type == "checkpoint" && !s.starts_with(",\"alg\":\"")) {
    return fail("a checkpoint line without \"alg\" after \"type\"");
  }
  return e;
}

}  // namespace tessera::audit
