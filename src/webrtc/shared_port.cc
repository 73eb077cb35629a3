#include <spdlog/spdlog.h>
#include <tessera/base/clock.h>
#include <tessera/base/metrics.h>
#include <tessera/net/demux.h>
#include <tessera/webrtc/shared_port.h>
#include <tessera/webrtc/tcp_framing.h>

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace tessera::webrtc {
namespace {

// A source address as a short key (its bytes).
std::string AddressKey(const boost::asio::ip::address& a) {
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    return std::string(b.begin(), b.end());
  }
  const auto b = a.to_v6().to_bytes();
  return std::string(b.begin(), b.end());
}

}  // namespace

namespace ip = boost::asio::ip;

// One ICE-TCP connection: reads frames into the port's routing as datagrams from its remote
// address, writes what is sent to that address. Runs on: the port's shard. Owned by the port's
// map (and by its pending reads and writes while they run).
class SharedPort::TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  TcpConnection(SharedPort& port, ip::tcp::socket socket, net::Endpoint remote, int64_t now_us)
      : port_(port),
        socket_(std::move(socket)),
        remote_(std::move(remote)),
        accepted_us_(now_us),
        idle_(port.shard_),
        reader_(kLimits),
        buffer_(16 * 1024) {}

  void Start() {
    ArmIdle(kTcpUnverifiedTimeout);
    Read();
  }

  // A valid ICE check came over it (the router knows its address).
  bool verified() const { return port_.router_.Knows(remote_); }
  int64_t accepted_us() const { return accepted_us_; }
  const net::Endpoint& remote() const { return remote_; }

  bool Send(std::span<const uint8_t> packet) {
    if (closed_) return false;
    std::vector<uint8_t> frame = FrameForTcp(packet);
    if (frame.empty() || queued_bytes_ + frame.size() > kMaxTcpQueuedBytes) {
      ++dropped_;
      return false;  // the browser reads slower than the room sends: its own loss
    }
    queued_bytes_ += frame.size();
    queue_.push_back(std::move(frame));
    if (!writing_) Write();
    return true;
  }

  void Close(const char* why) {
    if (closed_) return;
    closed_ = true;
    spdlog::info("webrtc: ICE-TCP connection from {}:{} closed ({}; {} frames in, {} dropped out)",
                 remote_.address().to_string(), remote_.port(), why, reader_.frames(), dropped_);
    boost::system::error_code ec;
    socket_.close(ec);
    idle_.cancel();
    // Its memory goes now (it may stay a while as a tombstone): the handlers still pending see
    // closed_ first and touch nothing.
    queue_.clear();
    queued_bytes_ = 0;
    std::vector<uint8_t>().swap(buffer_);
    reader_ = TcpFrameReader(kLimits);
    port_.TcpClosed(remote_);
  }

  bool closed() const { return closed_; }

 private:
  static constexpr TcpFrameReader::Limits kLimits{.max_frame_size = 4096,
                                                  .max_buffered = 64 * 1024};
  // Kept while frames come (a browser's consent checks come every few seconds); closed when
  // none came for `after`, or when no valid check came over it at all.
  void ArmIdle(std::chrono::seconds after) {
    auto self = shared_from_this();
    idle_.expires_after(after);
    idle_.async_wait([self](const boost::system::error_code& ec) {
      if (ec || self->closed_) return;
      if (!self->verified()) {
        self->Close("no valid ICE check");  // a stranger's connection (or a flood's)
      } else if (self->reader_.frames() == self->frames_at_last_check_) {
        self->Close("idle");
      } else {
        self->frames_at_last_check_ = self->reader_.frames();
        self->ArmIdle(kTcpIdleTimeout);
      }
    });
  }

  void Read() {
    auto self = shared_from_this();
    socket_.async_read_some(
        boost::asio::buffer(buffer_), [self](const boost::system::error_code& ec, size_t n) {
          if (self->closed_) return;
          if (ec) {
            self->Close(ec == boost::asio::error::eof ? "closed by the peer" : "read error");
            return;
          }
          if (!self->reader_.Append(std::span<const uint8_t>(self->buffer_.data(), n))) {
            self->Close("bad framing");
            return;
          }
          while (auto packet = self->reader_.Next()) {
            self->port_.OnDatagram(*packet, self->remote_);
            if (self->closed_) return;
          }
          if (self->reader_.failed()) {
            self->Close("bad framing");
            return;
          }
          self->Read();
        });
  }

  void Write() {
    writing_ = true;
    auto self = shared_from_this();
    boost::asio::async_write(socket_, boost::asio::buffer(queue_.front()),
                             [self](const boost::system::error_code& ec, size_t) {
                               if (self->closed_) return;
                               self->queued_bytes_ -= self->queue_.front().size();
                               self->queue_.pop_front();
                               if (ec) {
                                 self->Close("write error");
                                 return;
                               }
                               if (self->queue_.empty()) {
                                 self->writing_ = false;
                               } else {
                                 self->Write();
                               }
                             });
  }

  SharedPort& port_;
  ip::tcp::socket socket_;
  const net::Endpoint remote_;
  const int64_t accepted_us_;
  boost::asio::steady_timer idle_;
  TcpFrameReader reader_;
  std::vector<uint8_t> buffer_;
  uint64_t frames_at_last_check_ = 0;
  std::deque<std::vector<uint8_t>> queue_;
  size_t queued_bytes_ = 0;
  uint64_t dropped_ = 0;
  bool writing_ = false;
  bool closed_ = false;
};

SharedPort::SharedPort(boost::asio::io_context& shard)
    : shard_(shard),
      accept_retry_(shard),
      unrouted_counter_(&GlobalMetrics().GetCounter("tessera_webrtc_unrouted_datagrams_total")),
      rate_limited_counter_(&GlobalMetrics().GetCounter("tessera_webrtc_ice_checks_dropped_total",
                                                        {{"reason", "rate_limited"}})),
      tcp_refused_counter_(&GlobalMetrics().GetCounter("tessera_webrtc_tcp_connections_total",
                                                       {{"result", "refused"}})),
      tcp_accepted_counter_(&GlobalMetrics().GetCounter("tessera_webrtc_tcp_connections_total",
                                                        {{"result", "accepted"}})) {}

SharedPort::~SharedPort() = default;

StatusOr<std::unique_ptr<SharedPort>> SharedPort::Open(boost::asio::io_context& shard,
                                                       const std::string& bind_address,
                                                       uint16_t port,
                                                       std::optional<uint16_t> tcp_port) {
  std::unique_ptr<SharedPort> p(new SharedPort(shard));
  auto socket = net::UdpSocket::Open(shard, bind_address, port);
  if (!socket.ok()) {
    return Status(socket.status().code(),
                  "webrtc.udp_port " + std::to_string(port) + ": " + socket.status().message());
  }
  p->socket_ = std::move(*socket);
  if (tcp_port) {
    boost::system::error_code ec;
    const ip::address address = ip::make_address(bind_address, ec);
    if (ec)
      return InvalidArgumentError("webrtc.bind_address " + bind_address + ": " + ec.message());
    auto acceptor = std::make_unique<ip::tcp::acceptor>(shard);
    const ip::tcp::endpoint at(address, *tcp_port);
    acceptor->open(at.protocol(), ec);
    if (!ec) acceptor->set_option(ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(at, ec);
    if (!ec) acceptor->listen(128, ec);
    if (ec) {
      return UnavailableError("webrtc.tcp_port " + std::to_string(*tcp_port) + ": " + ec.message());
    }
    p->acceptor_ = std::move(acceptor);
  }
  return p;
}

uint16_t SharedPort::local_port() const { return socket_->local_port(); }

std::optional<uint16_t> SharedPort::tcp_port() const {
  if (!acceptor_) return std::nullopt;
  boost::system::error_code ec;
  const auto at = acceptor_->local_endpoint(ec);
  if (ec) return std::nullopt;
  return at.port();
}

void SharedPort::Start() {
  TESSERA_DCHECK_RUN_ON(checker_);
  socket_->Start([this](std::span<const uint8_t> d, const net::Endpoint& from) {
    // An address that is a live ICE-TCP connection's is that connection's: the same address and
    // port over UDP (another person behind the same NAT) must not reach its session.
    if (!tcp_.empty()) {
      if (auto it = tcp_.find(from); it != tcp_.end() && !it->second->closed()) {
        Unrouted(from);
        return;
      }
    }
    OnDatagram(d, from);
  });
  if (acceptor_) Accept();
}

void SharedPort::Close() {
  TESSERA_DCHECK_RUN_ON(checker_);
  *alive_ = false;  // an accept already queued touches nothing of ours
  socket_->Close();
  accept_retry_.cancel();
  if (acceptor_) {
    boost::system::error_code ec;
    acceptor_->close(ec);
  }
  // Close() calls back TcpClosed, which edits the map: the connections are taken out first.
  std::vector<std::shared_ptr<TcpConnection>> open;
  for (auto& [remote, c] : tcp_) {
    if (!c->closed()) open.push_back(c);
  }
  for (auto& c : open) c->Close("the port closes");
  tcp_.clear();
  closed_tcp_.clear();
}

void SharedPort::Accept() {
  std::shared_ptr<bool> alive = alive_;
  acceptor_->async_accept(
      [this, alive](const boost::system::error_code& ec, ip::tcp::socket socket) {
        if (!*alive || ec == boost::asio::error::operation_aborted) return;
        if (ec) {
          // EMFILE and the like: the connection stays in the backlog, so an immediate retry would
          // fail at once, forever; the shard's media comes first.
          spdlog::warn("webrtc: ICE-TCP accept failed: {}; retrying in 100 ms", ec.message());
          accept_retry_.expires_after(std::chrono::milliseconds(100));
          accept_retry_.async_wait([this, alive](const boost::system::error_code& e) {
            if (!e && *alive) Accept();
          });
          return;
        }
        TakeConnection(std::move(socket));
        Accept();
      });
}

void SharedPort::TakeConnection(ip::tcp::socket socket) {
  boost::system::error_code ec;
  const ip::tcp::endpoint r = socket.remote_endpoint(ec);
  auto refuse = [&](const char* why) {
    tcp_refused_counter_->Add();
    if (drop_log_.Allow(SystemClock().NowUs())) {
      spdlog::warn("webrtc: ICE-TCP connection refused: {} ({} similar suppressed)", why,
                   drop_log_.suppressed());
    }
    boost::system::error_code ignored;
    socket.close(ignored);
  };
  if (ec) return refuse("no remote address");
  const net::Endpoint remote(r.address(), r.port());
  // The same address and port already proved itself over UDP (another person behind the same
  // NAT): its packets are that session's, never this connection's.
  if (router_.Knows(remote) && !tcp_.count(remote)) return refuse("the address is a UDP peer's");
  size_t from_address = 0;
  std::shared_ptr<TcpConnection> oldest_unverified;
  for (const auto& [at, c] : tcp_) {
    if (c->closed()) continue;
    if (at.address() == remote.address()) ++from_address;
    if (!c->verified() &&
        (!oldest_unverified || c->accepted_us() < oldest_unverified->accepted_us())) {
      oldest_unverified = c;
    }
  }
  if (from_address >= kMaxTcpConnectionsPerAddress) return refuse("too many from one address");
  if (open_tcp_ >= kMaxTcpConnections) {
    // Full: a connection that proved nothing yet makes way; verified ones are never pushed out.
    if (!oldest_unverified) return refuse("every connection is in use");
    oldest_unverified->Close("made way for a new connection");
  }
  socket.set_option(ip::tcp::no_delay(true), ec);
  auto c = std::make_shared<TcpConnection>(*this, std::move(socket), remote, SystemClock().NowUs());
  if (auto old = tcp_.find(remote); old != tcp_.end() && !old->second->closed()) {
    old->second->Close("replaced");
  }
  tcp_[remote] = c;
  ++open_tcp_;
  tcp_accepted_counter_->Add();
  c->Start();
}

void SharedPort::TcpClosed(const net::Endpoint& remote) {
  if (open_tcp_ > 0) --open_tcp_;
  closed_tcp_.emplace_back(remote, SystemClock().NowUs());
  ForgetTombstones(SystemClock().NowUs());
}

void SharedPort::ForgetTombstones(int64_t now_us) {
  while (!closed_tcp_.empty() && (now_us - closed_tcp_.front().second >= kTcpTombstoneUs ||
                                  closed_tcp_.size() > kMaxTcpConnections)) {
    auto it = tcp_.find(closed_tcp_.front().first);
    if (it != tcp_.end() && it->second->closed()) tcp_.erase(it);
    closed_tcp_.pop_front();
  }
}

void SharedPort::Unrouted(const net::Endpoint& from) {
  ++unrouted_;
  unrouted_counter_->Add();  // looked up once: a flood of strangers costs no map lookups
  if (drop_log_.Allow(SystemClock().NowUs())) {
    spdlog::warn(
        "webrtc: dropped a datagram from {}:{} that belongs to no participant ({} "
        "similar suppressed)",
        from.address().to_string(), from.port(), drop_log_.suppressed());
  }
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
  // Its ICE-TCP connections go with it.
  if (!tcp_.empty()) {
    for (const net::Endpoint& a : router_.AddressesOf(session)) {
      if (auto it = tcp_.find(a); it != tcp_.end() && !it->second->closed()) {
        const std::shared_ptr<TcpConnection> c = it->second;  // Close edits the map
        c->Close("the participant left");
      }
    }
  }
  router_.RemoveSession(session);
  handlers_.erase(session);
}

bool SharedPort::SendTo(std::span<const uint8_t> data, const net::Endpoint& to) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (!tcp_.empty()) {
    if (auto it = tcp_.find(to); it != tcp_.end()) {
      if (!it->second->closed()) return it->second->Send(data);
      // A connection that closed a moment ago: never sent as UDP to the browser's TCP port.
      ForgetTombstones(SystemClock().NowUs());
      if (tcp_.count(to)) return false;
    }
  }
  return socket_->SendTo(data, to);
}

void SharedPort::OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from) {
  TESSERA_DCHECK_RUN_ON(checker_);
  const std::optional<IceSessionId> id = router_.Route(data, from);
  auto it = id ? handlers_.find(*id) : handlers_.end();
  if (it == handlers_.end()) {
    // A check for nobody's ufrag, or media from an address no check validated: nobody's.
    Unrouted(from);
    return;
  }
  if (net::ClassifyPacket(data) == net::PacketClass::kStun && !router_.Knows(from)) {
    if (!check_limiter_.Allow(AddressKey(from.address()), SystemClock().NowUs())) {
      ++rate_limited_;
      rate_limited_counter_->Add();
      if (drop_log_.Allow(SystemClock().NowUs())) {
        spdlog::warn("webrtc: dropped ICE checks from {} over {} a second ({} similar suppressed)",
                     from.address().to_string(), kUnverifiedChecksPerSecond,
                     drop_log_.suppressed());
      }
      return;
    }
  }
  it->second(data, from);
}

}  // namespace tessera::webrtc
