#include "loadgen/pacer.h"

namespace tessera::loadgen {

size_t Pacer::Add(int64_t first_due_us, int64_t period_num_us, int64_t period_den) {
  Stream s;
  s.first_due_us = first_due_us;
  s.num = period_num_us > 0 ? period_num_us : 1;
  s.den = period_den > 0 ? period_den : 1;
  streams_.push_back(s);
  heap_.push({first_due_us, streams_.size() - 1});
  return streams_.size() - 1;
}

int64_t Pacer::DueUs(const Stream& s, uint64_t n) const {
  // 128-bit intermediate: n * num overflows 64 bits only after centuries, but cheaply safe.
  return s.first_due_us +
         static_cast<int64_t>(static_cast<__int128>(n) * s.num / static_cast<__int128>(s.den));
}

std::vector<Pacer::Due> Pacer::PopDue(int64_t now_us) {
  std::vector<Due> out;
  while (!heap_.empty() && heap_.top().due_us <= now_us) {
    const size_t id = heap_.top().stream;
    heap_.pop();
    Stream& s = streams_[id];
    uint64_t k = s.next;
    while (now_us - DueUs(s, k) > max_lateness_us_ && DueUs(s, k + 1) <= now_us) ++k;
    Due d{id, k, DueUs(s, k), k - s.next};
    s.skipped += d.skipped;
    s.next = k + 1;
    out.push_back(d);
    heap_.push({DueUs(s, s.next), id});
  }
  return out;
}

std::optional<int64_t> Pacer::NextDueUs() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.top().due_us;
}

}  // namespace tessera::loadgen
