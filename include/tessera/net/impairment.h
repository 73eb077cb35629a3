// A seeded, deterministic model of network faults (drop, duplicate, reorder, delay-free), used by
// the tessera-impair relay that sits between a peer and the server in tests. The kernel here has
// no netem, so the project owns its impairments.
#pragma once

#include <tessera/base/status.h>

#include <cstdint>
#include <deque>
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
};

// Parses "drop=0.02,reorder=0.05,duplicate=0.01,depth=3,seed=42". Unknown keys and values out of
// [0, 1] are errors.
StatusOr<ImpairmentConfig> ParseImpairmentSpec(std::string_view spec);

struct ImpairmentStats {
  uint64_t in = 0, out = 0, dropped = 0, duplicated = 0, reordered = 0;
};

// Runs on: one thread (the relay's). The same seed and input give the same output.
class ImpairmentModel {
 public:
  explicit ImpairmentModel(const ImpairmentConfig& config);
  // Datagrams to send now, in order, after this one arrived.
  std::vector<std::vector<uint8_t>> Process(std::vector<uint8_t> datagram);
  // Everything still held back.
  std::vector<std::vector<uint8_t>> Flush();
  const ImpairmentStats& stats() const { return stats_; }

 private:
  struct Held {
    std::vector<uint8_t> data;
    int remaining;
  };
  ImpairmentConfig config_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  std::deque<Held> held_;
  ImpairmentStats stats_;
};

}  // namespace tessera::net
