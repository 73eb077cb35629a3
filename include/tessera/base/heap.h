// The process heap as the C library sees it: what is in use, what it holds freed, and giving the
// freed part back to the system. glibc keeps freed memory for reuse, so after a burst (an INVITE
// flood fills the SIP transaction table for 32 s) the resident size stays at its peak although
// nothing is in use; the metrics tell that apart from a leak, and the trim returns it.
#pragma once

#include <cstdint>
#include <optional>

namespace tessera {

struct HeapUsage {
  uint64_t in_use_bytes = 0;  // allocated and not freed (mmap'd blocks included)
  uint64_t free_bytes = 0;    // freed, still held by the allocator
};

// nullopt where the C library cannot say (not glibc). Runs on: any thread.
std::optional<HeapUsage> ReadHeapUsage();

// The process's resident set size from /proc/self/statm; 0 if unreadable. Runs on: any thread.
uint64_t ResidentBytes();

struct HeapTrimPolicy {
  // Trim when the allocator holds at least this much free memory, and since the last trim either
  // that much more was freed or the resident size grew by that much (what a trim gave back stays
  // counted as free, only no longer resident) ...
  uint64_t min_free_bytes = 16ull << 20;
  double min_free_share = 0.25;  // ... and its free memory is at least this share of what is in use
};

struct HeapTrimResult {
  HeapUsage before;
  uint64_t resident_before = 0;
  uint64_t resident_after = 0;
};

// Gives freed heap memory back to the system (malloc_trim) when the policy says it is worth it.
// The trim walks every malloc arena under its lock: call MaybeTrim from a thread that carries no
// media (main's signal wait), seconds apart. Runs on: one thread at a time.
class HeapTrimmer {
 public:
  explicit HeapTrimmer(HeapTrimPolicy policy = {}) : policy_(policy) {}
  // nullopt when it did not trim.
  std::optional<HeapTrimResult> MaybeTrim();

 private:
  HeapTrimPolicy policy_;
  // Since the last trim: the least free memory seen, and the resident size right after it.
  uint64_t free_baseline_ = 0;
  uint64_t resident_baseline_ = 0;
};

}  // namespace tessera
