// The audit log's line format (docs/security.md, "Audit trail"): building a line in fixed field
// order, sealing it with its hash, and reading back the envelope every line starts with.
//
//   {"seq":N,"time":"2026-12-06T20:45:01.123Z","prev":"<64 hex>","type":"event"|"checkpoint",
//    ...fields...,"hash":"<64 hex>"}\n
//
// The hash is SHA-256 over the line's bytes before `,"hash":`. Writer and verifier agree on those
// bytes because the verifier hashes them as found in the file, never a re-serialisation; the
// writer makes them canonical (nlohmann::json's dump, UTF-8 kept, invalid UTF-8 replaced) so the
// same event always gives the same bytes.
#pragma once

#include <tessera/base/time_format.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::audit {

inline constexpr std::string_view kZeroHash =
    "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr std::string_view kHashKey = ",\"hash\":\"";
// `,"hash":"` + 64 hex + `"}`: how every line ends (before its '\n').
inline constexpr size_t kHashSuffixSize = kHashKey.size() + 64 + 2;
// Longer lines are garbage to the verifier (bounds the work on a hostile file) and are never
// written: an event's fields are cut to fit first (AuditLog).
inline constexpr size_t kMaxLineBytes = 64 * 1024;

// Lower-case hex SHA-256 of `bytes`. Pure.
std::string Sha256Hex(std::string_view bytes);

bool IsLowerHex(std::string_view s);

// `v` as JSON text, the one way the log writes it. Pure.
std::string JsonText(const nlohmann::ordered_json& v);

// `{"seq":N,"time":"...","prev":"...","type":"<type>"`: what every line starts with.
std::string EnvelopePrefix(uint64_t seq, int64_t unix_ms, std::string_view prev,
                           std::string_view type);

struct SealedLine {
  std::string text;  // the whole line, '\n' included
  std::string hash;  // its hash (the next line's prev)
};
// Appends `,"hash":"<sha256 of prefix>"}\n` to `prefix` (a line without its end).
SealedLine Seal(std::string prefix);

// What a checkpoint signs: "<seq>:<time>:<prev>", the checkpoint's own seq, time and prev: the
// chain head it seals (every line before it) and when it was sealed.
std::string CheckpointMessage(uint64_t seq, std::string_view time, std::string_view prev);

// The fixed start and end of a line, as views into it.
struct Envelope {
  uint64_t seq = 0;
  std::string_view time;
  std::string_view prev;
  std::string_view type;    // "event" or "checkpoint"
  std::string_view hash;    // the line's own "hash"
  std::string_view hashed;  // the bytes the hash covers
};

// `line` (without '\n') read strictly: the envelope in its fixed order, the hash suffix. Does not
// check the hash (the caller decides what a mismatch means). nullopt with `why` filled: garbage.
std::optional<Envelope> ParseEnvelope(std::string_view line, std::string* why);

}  // namespace tessera::audit
