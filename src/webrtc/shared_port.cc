#include <spdlog/spdlog.h>
#include <tessera/base/clock.h>
#include <tessera/base/metrics.h>
#include <tessera/webrtc/shared_port.h>

namespace tessera::webrtc {

SharedPort::SharedPort(boost::asio::io_context& shard)
    : shard_(shard),
      unrouted_counter_(&GlobalMetrics().GetCounter("tessera_webrtc_unrouted_datagrams_total")) {}

SharedPort::~SharedPort() = default;

StatusOr<std::unique_ptr<SharedPort>> SharedPort::Open(boost::asio::io_context& shard,
                                                       const std::string& bind_address,
                                                       uint16_t port) {
  std::unique_ptr<SharedPort> p(new SharedPort(shard));
  auto socket = net::UdpSocket::Open(shard, bind_address, port);
  if (!socket.ok()) {
    return Status(socket.status().code(),
                  "webrtc.udp_port " + std::to_string(port) + ": " + socket.status().message());
  }
  p->socket_ = std::move(*socket);
  return p;
}

uint16_t SharedPort::local_port() const { return socket_->local_port(); }

void SharedPort::Start() {
  TESSERA_DCHECK_RUN_ON(checker_);
  socket_->Start(
      [this](std::span<const uint8_t> d, const net::Endpoint& from) { OnDatagram(d, from); });
}

void SharedPort::Close() {
  TESSERA_DCHECK_RUN_ON(checker_);
  socket_->Close();
}

StatusOr<IceSessionId> SharedPort::Add(const std::string& ufrag, DatagramHandler handler) {
  TESSERA_DCHECK_RUN_ON(checker_);
  const IceSessionId id = next_id_++;
  Status s = router_.Register(ufrag, id);
  if (!s.ok()) return s;
  handlers_.emplace(id, std::move(handler));
  return id;
}

Status SharedPort::ChangeUfrag(IceSessionId session, const std::string& old_ufrag,
                               const std::string& ufrag) {
  TESSERA_DCHECK_RUN_ON(checker_);
  Status s = router_.Register(ufrag, session);
  if (!s.ok()) return s;
  router_.Unregister(old_ufrag);
  return Status::Ok();
}

void SharedPort::Remove(IceSessionId session) {
  TESSERA_DCHECK_RUN_ON(checker_);
  router_.RemoveSession(session);
  handlers_.erase(session);
}

bool SharedPort::SendTo(std::span<const uint8_t> data, const net::Endpoint& to) {
  return socket_->SendTo(data, to);
}

void SharedPort::OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from) {
  TESSERA_DCHECK_RUN_ON(checker_);
  const std::optional<IceSessionId> id = router_.Route(data, from);
  auto it = id ? handlers_.find(*id) : handlers_.end();
  if (it == handlers_.end()) {
    // A check for nobody's ufrag, or media from an address no check validated: nobody's.
    ++unrouted_;
    unrouted_counter_->Add();  // looked up once: a flood of strangers costs no map lookups
    if (drop_log_.Allow(SystemClock().NowUs())) {
      spdlog::warn(
          "webrtc: dropped a datagram from {}:{} that belongs to no participant ({} "
          "similar suppressed)",
          from.address().to_string(), from.port(), drop_log_.suppressed());
    }
    return;
  }
  it->second(data, from);
}

}  // namespace tessera::webrtc
