// Network shards: N io_contexts with one thread each. Everything a participant owns (sockets,
// SRTP sessions, receivers, senders) lives on one shard, so the data plane needs no locks.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace tessera::net {

class ShardPool {
 public:
  // threads == 0 picks one per hardware thread (at least 1).
  explicit ShardPool(size_t threads);
  ~ShardPool();
  ShardPool(const ShardPool&) = delete;
  ShardPool& operator=(const ShardPool&) = delete;

  size_t size() const { return shards_.size(); }
  boost::asio::io_context& shard(size_t i) { return shards_[i]->io; }
  // Round-robin choice for a new participant. Thread-safe.
  size_t NextShardIndex();

  void Start();
  // Stops every io_context and joins the threads. Idempotent.
  void Stop();

 private:
  struct Shard {
    boost::asio::io_context io{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
        io.get_executor()};
  };
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

}  // namespace tessera::net
