#include "app/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <future>

namespace tessera::app {

Server::Server(Config config, Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      shards_(config_.server.shards),
      ports_(config_.server.rtp_port_min, config_.server.rtp_port_max) {}

Server::~Server() { Stop(); }

template <typename F>
auto Server::RunOn(size_t shard, F&& f) -> decltype(f()) {
  std::packaged_task<decltype(f())()> task(std::forward<F>(f));
  auto result = task.get_future();
  boost::asio::post(shards_.shard(shard), [&task] { task(); });
  return result.get();
}

Status Server::Start() {
  for (const auto& pc : config_.participants) {
    uint16_t port = pc.local_port;
    if (port) {
      TESSERA_RETURN_IF_ERROR(ports_.Reserve(port, pc.rtcp_mux));
    } else {
      auto allocated = ports_.Allocate(pc.rtcp_mux);
      if (!allocated.ok()) return allocated.status();
      port = *allocated;
    }
    const size_t shard = shards_.NextShardIndex();
    auto p = Participant::Create(pc, config_.server, shards_.shard(shard), port, clock_);
    if (!p.ok()) return p.status();
    participants_.push_back({std::move(*p), shard});
  }
  for (auto& e : participants_) {
    Participant* p = e.participant.get();
    boost::asio::post(shards_.shard(e.shard), [p] { p->Start(); });
  }
  shards_.Start();
  started_ = true;
  spdlog::info("tessera started: {} participants on {} network shards ({})", participants_.size(),
               shards_.size(), config_.source);
  return Status::Ok();
}

void Server::Stop() {
  if (!started_) return;
  started_ = false;
  for (auto& e : participants_) {
    Participant* p = e.participant.get();
    RunOn(e.shard, [p] { p->Stop(); });
  }
  shards_.Stop();
}

std::vector<ParticipantSummary> Server::Summaries() {
  std::vector<ParticipantSummary> out;
  for (auto& e : participants_) out.push_back(e.participant->Summary());
  return out;
}

}  // namespace tessera::app
