#include <gtest/gtest.h>
#include <tessera/base/heap.h>

#include <memory>
#include <vector>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TESSERA_OWN_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TESSERA_OWN_ALLOCATOR 1
#endif
#endif

namespace tessera {
namespace {

// A burst that leaves the heap fragmented the way a flood does: many small blocks, a few of
// them still in use in between, so the freed memory cannot go back by shrinking the heap's top.
TEST(Heap, FreedMemoryShowsAsFreeAndTheTrimGivesItBack) {
#if defined(TESSERA_OWN_ALLOCATOR)
  GTEST_SKIP() << "the sanitizer's allocator replaces the C library's: nothing to measure";
#else
  const std::optional<HeapUsage> start = ReadHeapUsage();
  if (!start) GTEST_SKIP() << "this C library does not report its heap (not glibc)";
  constexpr size_t kBlock = 8 << 10;  // under the mmap threshold: from the heap
  constexpr size_t kBlocks = 8192;    // 64 MiB
  std::vector<std::unique_ptr<char[]> > blocks;
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.emplace_back(new char[kBlock]);
    for (size_t j = 0; j < kBlock; j += 4096) blocks.back()[j] = 1;  // resident
  }
  const HeapUsage full = *ReadHeapUsage();
  EXPECT_GE(full.in_use_bytes, start->in_use_bytes + kBlocks * kBlock);
  for (size_t i = 0; i < kBlocks; ++i) {
    if (i % 16 != 15) blocks[i].reset();  // one in 16 kept
  }
  const HeapUsage after = *ReadHeapUsage();
  EXPECT_GE(after.free_bytes, kBlocks * kBlock / 2) << "freed memory the allocator keeps";
  EXPECT_LT(after.in_use_bytes, full.in_use_bytes - kBlocks * kBlock / 2);

  // A policy that asks for more than is free leaves it alone.
  HeapTrimPolicy high;
  high.min_free_bytes = after.free_bytes * 4;
  EXPECT_FALSE(HeapTrimmer(high).MaybeTrim());

  HeapTrimmer trimmer;
  const std::optional<HeapTrimResult> trimmed = trimmer.MaybeTrim();
  ASSERT_TRUE(trimmed) << "64 MiB freed is worth a trim";
  EXPECT_GT(trimmed->resident_before, 0u);
  EXPECT_LE(trimmed->resident_after + 16 * kBlock * 64, trimmed->resident_before)
      << "at least 8 MiB of the freed blocks' pages went back";
  // What was given back still counts as free, but it is no longer resident: no second trim
  // until the process grows again.
  EXPECT_FALSE(trimmer.MaybeTrim());
  blocks.clear();
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.emplace_back(new char[kBlock]);
    for (size_t j = 0; j < kBlock; j += 4096) blocks.back()[j] = 1;
  }
  for (size_t i = 0; i < kBlocks; ++i) {
    if (i % 16 != 15) blocks[i].reset();
  }
  const std::optional<HeapTrimResult> again = trimmer.MaybeTrim();
  ASSERT_TRUE(again) << "the next burst's freed memory goes back too";
  EXPECT_LE(again->resident_after + 16 * kBlock * 64, again->resident_before);
#endif
}

}  // namespace
}  // namespace tessera
