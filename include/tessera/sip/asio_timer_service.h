// TimerService on an io_context's steady_timers, for the TransactionLayer in production.
// Runs on: the io_context it was given; every method on it.
#pragma once

#include <tessera/sip/transaction_layer.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <unordered_map>

namespace tessera::sip {

class AsioTimerService : public TimerService {
 public:
  explicit AsioTimerService(boost::asio::io_context& io) : io_(io) {}
  ~AsioTimerService() override;
  uint64_t Schedule(Millis delay, std::function<void()> fire) override;
  void Cancel(uint64_t id) override;
  size_t pending() const { return timers_.size(); }

 private:
  boost::asio::io_context& io_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<boost::asio::steady_timer>> timers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tessera::sip
