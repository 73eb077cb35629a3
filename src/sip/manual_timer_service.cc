#include <tessera/sip/transaction_layer.h>

namespace tessera::sip {

uint64_t ManualTimerService::Schedule(Millis delay, std::function<void()> fire) {
  const uint64_t id = next_id_++;
  const int64_t deadline = clock_.NowUs() + delay.count() * 1000;
  timers_.emplace(std::make_pair(deadline, id), std::move(fire));
  deadline_of_[id] = deadline;
  return id;
}

void ManualTimerService::Cancel(uint64_t id) {
  auto it = deadline_of_.find(id);
  if (it == deadline_of_.end()) return;
  timers_.erase({it->second, id});
  deadline_of_.erase(it);
}

size_t ManualTimerService::RunDue() {
  size_t fired = 0;
  while (!timers_.empty() && timers_.begin()->first.first <= clock_.NowUs()) {
    auto node = timers_.extract(timers_.begin());
    deadline_of_.erase(node.key().second);
    ++fired;
    node.mapped()();  // may schedule or cancel others
  }
  return fired;
}

int64_t ManualTimerService::NextDeadlineUs() const {
  return timers_.empty() ? -1 : timers_.begin()->first.first;
}

}  // namespace tessera::sip
