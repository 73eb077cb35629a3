// Due times of many periodic streams (video frames, audio packets), earliest first, without drift:
// a stream's n-th item is due at first_due + n * period exactly, whenever it is actually sent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

namespace tessera::loadgen {

// Runs on: the load generator's network thread (not thread-safe). Times are Clock::NowUs()
// microseconds.
class Pacer {
 public:
  struct Due {
    size_t stream = 0;
    uint64_t index = 0;    // the item's number in its stream (0, 1, 2, ...)
    int64_t due_us = 0;    // when it was due
    uint64_t skipped = 0;  // items of this stream skipped before it because they were too late
  };

  // Items due more than max_lateness_us ago are skipped when a later item of the stream is due
  // too: a short stall is caught up with a burst, a long one drops items, as a camera does.
  explicit Pacer(int64_t max_lateness_us = 100'000) : max_lateness_us_(max_lateness_us) {}

  // A stream whose items are due at first_due_us + n * period_num_us / period_den (e.g. 1'000'000
  // / 30 for 30 fps; both positive). Returns its id (0, 1, 2, ... in order of Add).
  size_t Add(int64_t first_due_us, int64_t period_num_us, int64_t period_den);

  // The items due at or before now_us, in due order, less the ones skipped (counted in the next
  // item's `skipped`).
  [[nodiscard]] std::vector<Due> PopDue(int64_t now_us);

  // When the earliest item is due; nullopt without streams.
  std::optional<int64_t> NextDueUs() const;

  uint64_t skipped(size_t stream) const { return streams_[stream].skipped; }

 private:
  struct Stream {
    int64_t first_due_us = 0;
    int64_t num = 1;
    int64_t den = 1;
    uint64_t next = 0;
    uint64_t skipped = 0;
  };
  struct Entry {
    int64_t due_us;
    size_t stream;
    bool operator>(const Entry& o) const {
      return due_us != o.due_us ? due_us > o.due_us : stream > o.stream;
    }
  };
  int64_t DueUs(const Stream& s, uint64_t n) const;

  int64_t max_lateness_us_;
  std::vector<Stream> streams_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
};

}  // namespace tessera::loadgen
