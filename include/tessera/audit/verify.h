// Verifying an audit log (docs/security.md, "Audit trail"): every line's own hash, its link to
// the line before, seq contiguous from 1, and each checkpoint's signature when a key is given.
// The first bad line is named with its line number, its seq and why; nothing after it is judged
// (a break makes every later link meaningless).
#pragma once

#include <tessera/audit/keys.h>
#include <tessera/base/status.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::audit {

// Why a line is bad.
enum class Finding {
  kGarbage,       // not an audit line (not JSON, fields out of order, too long, ...)
  kTorn,          // the last line has no '\n': the writer stopped in the middle of it
  kChanged,       // its hash does not match its content
  kBrokenLink,    // its prev is not the previous line's hash: the line before was rewritten
  kDeleted,       // its seq skips ahead and the missing ones are nowhere later
  kInserted,      // its seq goes back: a line that does not belong here
  kReordered,     // its seq skips ahead and the missing one comes later
  kBadSignature,  // a checkpoint's signature does not verify with the key given
};

// "garbage", "torn", "changed", "broken link", "deleted", "inserted", "reordered",
// "bad checkpoint signature".
const char* FindingName(Finding finding);

struct BadLine {
  uint64_t line = 0;            // 1-based line number in the file
  std::optional<uint64_t> seq;  // the line's seq, when it has one
  Finding finding = Finding::kGarbage;
  std::string detail;  // for the operator
  // "line 42 (seq 42): changed: its hash does not match its content".
  std::string ToString() const;
};

struct VerifySummary {
  uint64_t lines = 0;
  uint64_t events = 0;
  uint64_t checkpoints = 0;
  uint64_t last_seq = 0;
  std::string head_hash;        // the last line's hash (64 zeros for an empty file)
  uint64_t unsealed_lines = 0;  // lines after the last checkpoint
  bool signatures_checked = false;
  // One line: "ok: 120 lines (118 events, 2 checkpoints), last seq 120, head <hash>; ...".
  std::string ToString() const;
};

struct VerifyResult {
  std::optional<BadLine> bad;  // the first bad line; none: the file is sound
  VerifySummary summary;       // of the lines up to the bad one (all of them when sound)
  bool ok() const { return !bad.has_value(); }
};

// `text`: an audit log's whole content. `key` null: checkpoints' signatures are not checked (the
// summary says so). Pure; the work is linear in the text's size. Runs on: any thread.
VerifyResult VerifyText(std::string_view text, const CheckpointVerifier* key);

// The file at `path` (mapped, not read into memory). NotFound or Unavailable when it cannot be
// opened or mapped, naming it.
StatusOr<VerifyResult> VerifyFile(const std::string& path, const CheckpointVerifier* key);

}  // namespace tessera::audit
