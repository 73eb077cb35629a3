#include <tessera/net/port_allocator.h>

#include <string>

namespace tessera::net {

PortAllocator::PortAllocator(uint16_t min_port, uint16_t max_port)
    : min_port_(static_cast<uint16_t>((min_port + 1u) & ~1u)),
      max_port_(max_port),
      next_(min_port_) {}

bool PortAllocator::FreeLocked(uint16_t port, bool rtcp_mux) const {
  if (used_.count(port)) return false;
  if (!rtcp_mux && (port == 65535 || used_.count(static_cast<uint16_t>(port + 1)))) return false;
  return true;
}

StatusOr<uint16_t> PortAllocator::Allocate(bool rtcp_mux) {
  std::lock_guard lock(mu_);
  const uint32_t span = max_port_ >= min_port_ ? max_port_ - min_port_ + 1u : 0u;
  for (uint32_t tried = 0; tried < span; tried += 2) {
    uint32_t port = next_;
    next_ += 2;
    if (next_ > max_port_) next_ = min_port_;
    if (!rtcp_mux && port + 1u > max_port_) continue;
    if (port > max_port_ || !FreeLocked(static_cast<uint16_t>(port), rtcp_mux)) continue;
    used_.insert(static_cast<uint16_t>(port));
    if (!rtcp_mux) used_.insert(static_cast<uint16_t>(port + 1));
    return static_cast<uint16_t>(port);
  }
  return ResourceExhaustedError("no free RTP port in " + std::to_string(min_port_) + "-" +
                                std::to_string(max_port_));
}

Status PortAllocator::Reserve(uint16_t port, bool rtcp_mux) {
  std::lock_guard lock(mu_);
  if (!FreeLocked(port, rtcp_mux)) {
    return FailedPreconditionError("port " + std::to_string(port) + " is already in use");
  }
  used_.insert(port);
  if (!rtcp_mux) used_.insert(static_cast<uint16_t>(port + 1));
  return Status::Ok();
}

void PortAllocator::Release(uint16_t port, bool rtcp_mux) {
  std::lock_guard lock(mu_);
  used_.erase(port);
  if (!rtcp_mux) used_.erase(static_cast<uint16_t>(port + 1));
}

size_t PortAllocator::in_use() const {
  std::lock_guard lock(mu_);
  return used_.size();
}

}  // namespace tessera::net
