#include "mixer/compose_workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace tessera::mixer {
namespace {

TEST(ComposeWorkers, RunsEveryItemExactlyOnce) {
  ComposeWorkers workers(3);
  std::vector<std::atomic<int>> runs(100);
  auto run = [&](int i) { runs[static_cast<size_t>(i)].fetch_add(1); };
  const int level_ends[] = {100};
  workers.Run(level_ends, run);
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].load(), 1) << i;
}

TEST(ComposeWorkers, FinishesEachLevelBeforeTheNextStarts) {
  ComposeWorkers workers(4);
  // Item i of level k records how many items of level k - 1 had finished when it started.
  const int level_ends[] = {30, 31, 31, 80, 200};
  std::vector<std::atomic<int>> done_per_level(5);
  std::vector<int> seen(200, -1);
  auto level_of = [&](int i) {
    int k = 0;
    while (i >= level_ends[k]) ++k;
    return k;
  };
  auto run = [&](int i) {
    const int k = level_of(i);
    // Level 2 is empty: level 3 waits for level 1.
    const int previous = k == 3 ? 1 : k - 1;
    seen[static_cast<size_t>(i)] = previous < 0 ? 0 : done_per_level[previous].load();
    done_per_level[k].fetch_add(1);
  };
  workers.Run(level_ends, run);
  for (int i = 0; i < 200; ++i) {
    const int k = level_of(i);
    if (k == 0) continue;
    const int previous = k == 3 ? 1 : k - 1;
    const int previous_size = level_ends[previous] - (previous == 0 ? 0 : level_ends[previous - 1]);
    EXPECT_EQ(seen[static_cast<size_t>(i)], previous_size) << "item " << i;
  }
}

TEST(ComposeWorkers, RunsManyJobsOnTheSameThreads) {
  ComposeWorkers workers(2);
  std::atomic<int> total{0};
  auto run = [&](int) { total.fetch_add(1); };
  for (int job = 1; job <= 500; ++job) {
    const int level_ends[] = {job % 7, job % 7 + 3};
    workers.Run(level_ends, run);
  }
  int expected = 0;
  for (int job = 1; job <= 500; ++job) expected += job % 7 + 3;
  EXPECT_EQ(total.load(), expected);
  EXPECT_EQ(workers.participants(), 2);
}

TEST(ComposeWorkers, EmptyJobReturnsAtOnce) {
  ComposeWorkers workers(2);
  int calls = 0;
  auto run = [&](int) { ++calls; };
  workers.Run({}, run);
  const int no_items[] = {0, 0};
  workers.Run(no_items, run);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace tessera::mixer
