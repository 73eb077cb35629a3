#include "mixer/compose_workers.h"

#include <algorithm>

namespace tessera::mixer {

ComposeWorkers::ComposeWorkers(int participants)
    : participants_(std::max(participants, 2)), barrier_(participants_, ResetClaims{&next_}) {
  threads_.reserve(static_cast<size_t>(participants_ - 1));
  for (int i = 1; i < participants_; ++i) {
    threads_.emplace_back([this](std::stop_token stop) { Loop(stop); });
  }
}

// std::jthread's destructor requests stop, which wakes the wait in Loop(), then joins.
ComposeWorkers::~ComposeWorkers() = default;

void ComposeWorkers::RunErased(std::span<const int> level_ends, ItemFn fn, void* ctx) {
  // A job without levels has no barrier to hold the caller until the threads have read it.
  if (level_ends.empty()) return;
  const Job job{level_ends, fn, ctx};
  {
    std::lock_guard lock(mutex_);
    job_ = job;
    ++generation_;
  }
  wake_.notify_all();
  // Every participant arrives at the barrier after each level, so when the caller passes the last
  // one every item has run and no thread reads the job any more.
  Work(job);
}

void ComposeWorkers::Loop(std::stop_token stop) {
  uint64_t seen = 0;
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      if (!wake_.wait(lock, stop, [&] { return generation_ != seen; })) return;
      seen = generation_;
      job = job_;
    }
    Work(job);
  }
}

void ComposeWorkers::Work(const Job& job) {
  int begin = 0;
  for (const int end : job.level_ends) {
    for (;;) {
      const int item = begin + next_.fetch_add(1, std::memory_order_relaxed);
      if (item >= end) break;
      job.fn(job.ctx, item);
    }
    barrier_.arrive_and_wait();
    begin = end;
  }
}

}  // namespace tessera::mixer
