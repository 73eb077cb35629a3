#include <pthread.h>
#include <tessera/net/shard_pool.h>

#include <string>

namespace tessera::net {

ShardPool::ShardPool(size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < threads; ++i) shards_.push_back(std::make_unique<Shard>());
}

ShardPool::~ShardPool() { Stop(); }

size_t ShardPool::NextShardIndex() { return next_.fetch_add(1) % shards_.size(); }

void ShardPool::Start() {
  for (size_t i = 0; i < shards_.size(); ++i) {
    threads_.emplace_back([this, i] {
      std::string name = "net-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      shards_[i]->io.run();
    });
  }
}

void ShardPool::Stop() {
  for (auto& s : shards_) {
    s->guard.reset();
    s->io.stop();
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace tessera::net
