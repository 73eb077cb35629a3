#include <tessera/sip/asio_timer_service.h>

namespace tessera::sip {

AsioTimerService::~AsioTimerService() {
  alive_.reset();
  for (auto& [id, timer] : timers_) timer->cancel();
}

uint64_t AsioTimerService::Schedule(Millis delay, std::function<void()> fire) {
  const uint64_t id = next_id_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, delay);
  std::weak_ptr<bool> alive = alive_;
  timer->async_wait([this, alive, id, fire = std::move(fire)](const boost::system::error_code& ec) {
    // A timer cancelled after its completion was queued still runs here: only fire it if
    // it is still registered.
    if (ec || alive.expired()) return;
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    auto keep = std::move(it->second);  // the handler runs inside this timer's completion
    timers_.erase(it);
    fire();
  });
  timers_[id] = std::move(timer);
  return id;
}

void AsioTimerService::Cancel(uint64_t id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second->cancel();
  timers_.erase(it);
}

}  // namespace tessera::sip
