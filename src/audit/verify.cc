#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <tessera/audit/verify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "audit/line.h"

namespace tessera::audit {
namespace {

// The seq at the start of a line, read loosely (for naming a line and looking ahead only).
std::optional<uint64_t> SeqOf(std::string_view line) {
  constexpr std::string_view kStart = "{\"seq\":";
  if (!line.starts_with(kStart)) return std::nullopt;
  line.remove_prefix(kStart.size());
  uint64_t v = 0;
  size_t digits = 0;
  while (digits < line.size() && digits < 19 && line[digits] >= '0' && line[digits] <= '9') {
    v = v * 10 + static_cast<uint64_t>(line[digits] - '0');
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  return v;
}

// Iterates over the lines of a text from a position; the last one may lack its '\n'.
struct LineCursor {
  std::string_view text;
  size_t pos = 0;
  bool Next(std::string_view& line, bool& terminated) {
    if (pos >= text.size()) return false;
    const size_t nl = text.find('\n', pos);
    terminated = nl != std::string_view::npos;
    const size_t end = terminated ? nl : text.size();
    line = text.substr(pos, end - pos);
    pos = terminated ? nl + 1 : text.size();
    return true;
  }
};

// The line number (1-based, counted from `first_line` at `from`) of the first line after `from`
// whose seq is `seq`; 0 when none.
uint64_t FindSeq(std::string_view text, size_t from, uint64_t first_line, uint64_t seq) {
  LineCursor cursor{text, from};
  std::string_view line;
  bool terminated = false;
  for (uint64_t n = first_line; cursor.Next(line, terminated); ++n) {
    if (SeqOf(line) == seq) return n;
  }
  return 0;
}

// Line `number` (1-based) of the text.
std::string_view LineAt(std::string_view text, uint64_t number) {
  LineCursor cursor{text, 0};
  std::string_view line;
  bool terminated = false;
  for (uint64_t n = 1; cursor.Next(line, terminated); ++n) {
    if (n == number) return line;
  }
  return {};
}

// A checkpoint's alg, key_id and sig; its signature when `key`. The reason it fails, if it does.
std::optional<BadLine> CheckCheckpoint(std::string_view line, const Envelope& e,
                                       const CheckpointVerifier* key) {
  BadLine bad;
  bad.seq = e.seq;
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  const auto text = [&j](const char* name) -> std::optional<std::string> {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  const auto alg = j.is_object() ? text("alg") : std::nullopt;
  const auto key_id = j.is_object() ? text("key_id") : std::nullopt;
  const auto sig = j.is_object() ? text("sig") : std::nullopt;
  if (!alg || !key_id || !sig || (*alg != "ed25519" && *alg != "hmac-sha256")) {
    bad.finding = Finding::kGarbage;
    bad.detail = "a checkpoint without a known alg, a key_id and a sig";
    return bad;
  }
  if (!key) return std::nullopt;
  bad.finding = Finding::kBadSignature;
  if (*alg != SignatureAlgName(key->alg())) {
    bad.detail = "it is signed with " + *alg + " (key_id " + *key_id + "), the key given is " +
                 SignatureAlgName(key->alg());
    return bad;
  }
  if (!key->Verify(CheckpointMessage(e.seq, e.time, e.prev), *sig)) {
    bad.detail = "its signature (key_id " + *key_id +
                 ") does not verify with the key given: the lines it seals were rewritten, or "
                 "another key signed it";
    return bad;
  }
  return std::nullopt;
}

}  // namespace

const char* FindingName(Finding finding) {
  switch (finding) {
    case Finding::kGarbage:
      return "garbage";
    case Finding::kTorn:
      return "torn";
    case Finding::kChanged:
      return "changed";
    case Finding::kBrokenLink:
      return "broken link";
    case Finding::kDeleted:
      return "deleted";
    case Finding::kInserted:
      return "inserted";
    case Finding::kReordered:
      return "reordered";
    case Finding::kBadSignature:
      return "bad checkpoint signature";
  }
  return "unknown";
}

std::string BadLine::ToString() const {
  std::string out = "line " + std::to_string(line);
  if (seq) out += " (seq " + std::to_string(*seq) + ")";
  out += ": ";
  out += FindingName(finding);
  out += ": ";
  out += detail;
  return out;
}

std::string VerifySummary::ToString() const {
  std::string out = "ok: " + std::to_string(lines) + " lines (" + std::to_string(events) +
                    " events, " + std::to_string(checkpoints) + " checkpoints), last seq " +
                    std::to_string(last_seq) + ", head " + head_hash + "; ";
  out += signatures_checked ? "checkpoint signatures verified"
                            : "checkpoint signatures NOT checked (give the key)";
  if (unsealed_lines > 0) {
    out += "; the last " + std::to_string(unsealed_lines) +
           " lines are not sealed by a checkpoint yet";
  }
  return out;
}

VerifyResult VerifyText(std::string_view text, const CheckpointVerifier* key) {
  VerifyResult result;
  VerifySummary& sum = result.summary;
  sum.signatures_checked = key != nullptr;
  std::string prev_hash(kZeroHash);
  uint64_t expected = 1;
  LineCursor cursor{text, 0};
  std::string_view line;
  bool terminated = false;
  for (uint64_t number = 1; cursor.Next(line, terminated); ++number) {
    const auto fail = [&](Finding finding, std::string detail, std::optional<uint64_t> seq) {
      result.bad = BadLine{number, seq, finding, std::move(detail)};
      return result;
    };
    if (!terminated) {
      return fail(Finding::kTorn,
                  "the last line has no end (" + std::to_string(line.size()) +
                      " bytes): the writer stopped while writing it; the server moves it aside "
                      "when it opens the log again",
                  SeqOf(line));
    }
    std::string why;
    const std::optional<Envelope> e = ParseEnvelope(line, &why);
    if (!e) return fail(Finding::kGarbage, "not an audit line: " + why, SeqOf(line));
    if (Sha256Hex(e->hashed) != e->hash) {
      return fail(Finding::kChanged, "its hash does not match its content", e->seq);
    }
    if (!nlohmann::json::accept(line)) {
      return fail(Finding::kGarbage, "not valid JSON", e->seq);
    }
    if (e->seq > expected) {
      if (const uint64_t later = FindSeq(text, cursor.pos, number + 1, expected)) {
        return fail(Finding::kReordered,
                    "seq " + std::to_string(expected) + " was due here; it comes later, at line " +
                        std::to_string(later),
                    e->seq);
      }
      return fail(Finding::kDeleted,
                  "seq jumps from " + std::to_string(expected - 1) + " to " +
                      std::to_string(e->seq) + ": " + std::to_string(e->seq - expected) +
                      " line(s) missing",
                  e->seq);
    }
    if (e->seq < expected) {
      // Every line before this one had seq == its line number: line e->seq is the original.
      if (LineAt(text, e->seq) == line) {
        return fail(Finding::kInserted, "a copy of line " + std::to_string(e->seq), e->seq);
      }
      return fail(Finding::kInserted,
                  "its seq goes back (line " + std::to_string(number - 1) + " has seq " +
                      std::to_string(expected - 1) + ")",
                  e->seq);
    }
    if (e->prev != prev_hash) {
      return fail(Finding::kBrokenLink,
                  number == 1 ? std::string("the first line's prev is not 64 zeros")
                              : "its prev is not the hash of line " + std::to_string(number - 1) +
                                    ": that line was rewritten, or this one was",
                  e->seq);
    }
    if (e->type == "checkpoint") {
      if (std::optional<BadLine> bad = CheckCheckpoint(line, *e, key)) {
        bad->line = number;
        result.bad = std::move(bad);
        return result;
      }
      ++sum.checkpoints;
      sum.unsealed_lines = 0;
    } else {
      ++sum.events;
      ++sum.unsealed_lines;
    }
    ++sum.lines;
    sum.last_seq = e->seq;
    prev_hash.assign(e->hash);
    ++expected;
    sum.head_hash = prev_hash;
  }
  sum.head_hash = prev_hash;
  return result;
}

StatusOr<VerifyResult> VerifyFile(const std::string& path, const CheckpointVerifier* key) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFoundError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgumentError(path + ": not a regular file");
  }
  if (st.st_size == 0) {
    ::close(fd);
    return VerifyText({}, key);
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) {
    return UnavailableError(path + ": cannot map: " + std::strerror(errno));
  }
  VerifyResult r = VerifyText(std::string_view(static_cast<const char*>(map), size), key);
  ::munmap(map, size);
  return r;
}

}  // namespace tessera::audit
