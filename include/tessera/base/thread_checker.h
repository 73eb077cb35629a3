// Debug-build check that an object runs on one executor only (after libwebrtc's
// RTC_DCHECK_RUN_ON). The checker binds to the first thread that asks, so an object may be built
// on one thread and then handed to the shard that runs it.
#pragma once

#include <atomic>
#include <cassert>
#include <thread>

namespace tessera {

class ThreadChecker {
 public:
  // True when called on the bound thread (binding it on first use). Thread-safe.
  bool IsCurrent() const {
    const std::thread::id self = std::this_thread::get_id();
    std::thread::id expected{};
    if (owner_.compare_exchange_strong(expected, self)) return true;
    return expected == self;
  }
  // Lets the next caller bind again (ownership handed to another executor).
  void Detach() { owner_.store(std::thread::id{}); }

 private:
  mutable std::atomic<std::thread::id> owner_{};
};

}  // namespace tessera

// Asserts in debug builds that `checker` is bound to the calling thread; compiled out otherwise.
#define TESSERA_DCHECK_RUN_ON(checker) \
  assert((checker).IsCurrent() && "called off the executor this object runs on")
