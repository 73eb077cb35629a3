#include <tessera/base/heap.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tessera {

std::optional<HeapUsage> ReadHeapUsage() {
#if defined(__GLIBC__)
  const struct mallinfo2 m = mallinfo2();
  HeapUsage u;
  u.in_use_bytes = m.uordblks + m.hblkhd;
  u.free_bytes = m.fordblks;
  return u;
#else
  return std::nullopt;
#endif
}

uint64_t ResidentBytes() {
  const long page = sysconf(_SC_PAGESIZE);
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  if (page <= 0 || !(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<uint64_t>(page);
}

std::optional<HeapTrimResult> HeapTrimmer::MaybeTrim() {
#if defined(__GLIBC__)
  const std::optional<HeapUsage> usage = ReadHeapUsage();
  if (!usage || usage->free_bytes < policy_.min_free_bytes ||
      static_cast<double>(usage->free_bytes) <
          policy_.min_free_share * static_cast<double>(usage->in_use_bytes)) {
    return std::nullopt;
  }
  // Free memory taken again since the last trim: what is freed from here on is new.
  free_baseline_ = std::min(free_baseline_, usage->free_bytes);
  const uint64_t resident = ResidentBytes();
  if (usage->free_bytes < free_baseline_ + policy_.min_free_bytes &&
      resident < resident_baseline_ + policy_.min_free_bytes) {
    return std::nullopt;
  }
  HeapTrimResult r;
  r.before = *usage;
  r.resident_before = resident;
  malloc_trim(0);
  r.resident_after = ResidentBytes();
  resident_baseline_ = r.resident_after;
  const std::optional<HeapUsage> after = ReadHeapUsage();
  free_baseline_ = after ? after->free_bytes : usage->free_bytes;
  return r;
#else
  return std::nullopt;
#endif
}

}  // namespace tessera
