// A seeded, deterministic model of network faults (drop, duplicate, reorder) and of a constrained
// link (a rate-limited bottleneck with a drop-tail queue, fixed delay and jitter), used by the
// tessera-impair relay that sits between a peer and the server in tests. The kernel here has no
// netem, so the project owns its impairments.
#pragma once

#include <tessera/base/status.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

namespace tessera::net {

struct ImpairmentConfig {
  double drop = 0.0;       // probability a datagram is dropped
  double duplicate = 0.0;  // probability a datagram is sent twice
  double reorder = 0.0;    // probability a datagram is held back and sent after later ones
  int reorder_depth = 3;   // a held datagram is released after this many later ones
  uint64_t seed = 1;
  int64_t rate_bps = 0;    // bottleneck rate in bits per second; 0 = unlimited
  int64_t queue_ms = 200;  // drop-tail queue: the longest a datagram may wait for the bottleneck
  int64_t delay_ms = 0;    // fixed one-way delay after the bottleneck
  int64_t jitter_ms = 0;   // extra delay per datagram, uniform in [0, jitter_ms]
};

// Parses "drop=0.02,reorder=0.05,duplicate=0.01,depth=3,seed=42,rate=500k,queue_ms=200,
// delay_ms=40,jitter_ms=10". rate is in bits per second with an optional k, M or G suffix
// (powers of 1000); queue_ms, delay_ms and jitter_ms are non-negative integers. Unknown keys,
// probabilities out of [0, 1] and negative or malformed numbers are errors.
StatusOr<ImpairmentConfig> ParseImpairmentSpec(std::string_view spec);

struct ImpairmentStats {
  uint64_t in = 0, out = 0, dropped = 0, duplicated = 0, reordered = 0;
  uint64_t rate_dropped = 0;  // dropped by the bottleneck's full queue
  uint64_t delayed = 0;       // left later than they reached the link stage (queue, delay, jitter)
};

// Runs on: one thread (the relay's). The same seed, input and clock give the same output.
//
// A datagram goes through two stages. The fault stage (drop, duplicate, reorder) acts on arrival
// as it always has. What it passes enters the link stage: the bottleneck serializes datagrams one
// after another (departure = max(now, previous departure) + size * 8 / rate), refusing one that
// would wait in the queue longer than queue_ms before its own serialization starts; then delay_ms
// and a uniform jitter are added. Datagrams leave in departure order (ties in arrival order), so
// jitter reorders them only as their delays imply.
class ImpairmentModel {
 public:
  explicit ImpairmentModel(const ImpairmentConfig& config);

  // A datagram arrived at now_us (any monotonic microsecond clock; a time earlier than one
  // already seen counts as the latest seen).
  void Push(std::vector<uint8_t> datagram, int64_t now_us);
  // The datagrams whose departure time is at or before now_us, in departure order.
  [[nodiscard]] std::vector<std::vector<uint8_t>> Pop(int64_t now_us);
  // When the next queued datagram leaves; nullopt when none is queued (datagrams held back by the
  // reorder stage have no departure time until later arrivals release them).
  std::optional<int64_t> NextDepartureUs() const;

  // Push and Pop at the latest time seen: for a model without rate, delay or jitter (where
  // nothing waits) the datagrams to send now, in order, after this one arrived.
  [[nodiscard]] std::vector<std::vector<uint8_t>> Process(std::vector<uint8_t> datagram);
  // Everything still queued (in departure order) and then everything held back by the reorder
  // stage, regardless of time: for shutdown.
  [[nodiscard]] std::vector<std::vector<uint8_t>> Flush();

  // Replaces the parameters for datagrams that arrive from now on. Queued datagrams keep their
  // departure times and the random streams go on (config.seed is ignored), so a run with the
  // same commands at the same times stays reproducible.
  void SetConfig(const ImpairmentConfig& config);
  const ImpairmentConfig& config() const { return config_; }
  const ImpairmentStats& stats() const { return stats_; }

 private:
  struct Held {
    std::vector<uint8_t> data;
    int remaining;
  };
  void Enqueue(std::vector<uint8_t> datagram, int64_t now_us);

  ImpairmentConfig config_;
  std::mt19937_64 rng_;         // the fault stage: three draws per arrival
  std::mt19937_64 jitter_rng_;  // the link stage: its own stream, so jitter leaves faults alone
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  std::deque<Held> held_;
  // Departure time (us) -> datagram; a multimap keeps equal departures in insertion order.
  std::multimap<int64_t, std::vector<uint8_t>> queue_;
  int64_t link_free_ns_ = 0;  // when the bottleneck finishes serializing what it has accepted
  int64_t now_us_ = 0;        // the latest time seen
  ImpairmentStats stats_;
};

}  // namespace tessera::net
