// Hands out RTP ports from a configured range. Thread-safe.
#pragma once

#include <tessera/base/status.h>

#include <cstdint>
#include <mutex>
#include <set>

namespace tessera::net {

class PortAllocator {
 public:
  // [min_port, max_port], inclusive. RTP ports are even; without rtcp-mux the odd port above is
  // reserved with it for RTCP (RFC 3550 section 11).
  PortAllocator(uint16_t min_port, uint16_t max_port);

  // Reserves the next free even port (and port + 1 unless rtcp_mux). ResourceExhausted when none.
  StatusOr<uint16_t> Allocate(bool rtcp_mux);
  // Reserves a specific port (a participant with a fixed port in the config).
  Status Reserve(uint16_t port, bool rtcp_mux);
  void Release(uint16_t port, bool rtcp_mux);
  size_t in_use() const;

 private:
  bool FreeLocked(uint16_t port, bool rtcp_mux) const;

  const uint16_t min_port_;
  const uint16_t max_port_;
  mutable std::mutex mu_;
  std::set<uint16_t> used_;
  uint32_t next_;
};

}  // namespace tessera::net
