// A small persistent thread pool for one compositor: runs a job of work items grouped in levels,
// with the calling thread taking part.
#pragma once

#include <atomic>
#include <barrier>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <stop_token>
#include <thread>
#include <vector>

namespace tessera::mixer {

// Runs on: Run() is called from the owner's thread (the room's video mixing thread), which runs
// items itself; the pool's threads run items only between Run()'s start and its return, and wait
// on a condition variable otherwise. One Run() at a time.
//
// A job is a list of items numbered 0..n-1, split into consecutive levels: every item of level k
// has run before any item of level k+1 starts; the items of one level run in any order, on any
// participant, each exactly once. Items are claimed dynamically (an atomic counter), so callers
// order each level's items by decreasing cost for a balanced finish. Nothing is allocated per job.
class ComposeWorkers {
 public:
  // participants >= 2: the caller plus participants - 1 threads, started here.
  explicit ComposeWorkers(int participants);
  // Stops and joins the threads.
  ~ComposeWorkers();
  ComposeWorkers(const ComposeWorkers&) = delete;
  ComposeWorkers& operator=(const ComposeWorkers&) = delete;

  int participants() const { return participants_; }

  // level_ends[k] is one past the last item of level k (non-decreasing); the job has
  // level_ends.back() items. Calls run(i) for each item and returns once all have run. `run` and
  // level_ends must stay valid until then; run must not throw.
  template <typename F>
  void Run(std::span<const int> level_ends, F& run) {
    RunErased(
        level_ends, [](void* ctx, int item) { (*static_cast<F*>(ctx))(item); }, &run);
  }

 private:
  using ItemFn = void (*)(void* ctx, int item);
  struct Job {
    std::span<const int> level_ends;
    ItemFn fn = nullptr;
    void* ctx = nullptr;
  };
  // Runs once per level when every participant has arrived: the next level claims from 0 again.
  struct ResetClaims {
    std::atomic<int>* next;
    void operator()() noexcept { next->store(0, std::memory_order_relaxed); }
  };

  void RunErased(std::span<const int> level_ends, ItemFn fn, void* ctx);
  void Loop(std::stop_token stop);
  void Work(const Job& job);

  const int participants_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  uint64_t generation_ = 0;  // guarded by mutex_; moves once per job
  Job job_;                  // guarded by mutex_
  std::atomic<int> next_{0};
  std::barrier<ResetClaims> barrier_;
  std::vector<std::jthread> threads_;  // last: joined before the members above go away
};

}  // namespace tessera::mixer
