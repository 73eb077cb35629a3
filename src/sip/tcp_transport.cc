#include <tessera/net/networks.h>
#include <tessera/sip/asio_timer_service.h>
#include <tessera/sip/tcp_transport.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <optional>

namespace tessera::sip {

namespace asio = boost::asio;
using asio::ip::tcp;

// One connection: its stream, what it has read but not framed, what waits to be written, and its
// deadlines. One timer (on the owner's TimerService) is armed for the earliest deadline; moving
// a deadline later re-arms nothing (the timer finds it not due and re-arms itself).
class TcpTransport::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(TcpTransport& owner, tcp::socket socket, uint64_t id, bool connected)
      : owner_(owner), alive_(owner.alive_), id_(id), accepted_(connected), connected_(connected) {
    if (owner.tls_) {
      tls_.emplace(std::move(socket), *owner.tls_);
    } else {
      socket_.emplace(std::move(socket));
    }
  }

  uint64_t id() const { return id_; }
  Destination& remote() { return remote_; }
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : *socket_; }
  std::string& buffer() { return buffer_; }
  // The source key it counts against (accepted connections only; empty otherwise).
  const std::string& source() const { return source_; }
  void set_source(std::string source) { source_ = std::move(source); }
  bool closed() const { return closed_; }

  void Start() {
    const int64_t now = owner_.clock_->NowUs();
    last_message_us_ = now;
    // An accepted connection owes its first message from now on; one we opened owes nothing
    // until its peer starts one.
    if (accepted_) message_start_us_ = now;
    Arm();
    if (connected_) Handshake(asio::ssl::stream_base::server);
  }

  void Connect(const tcp::endpoint& to) {
    auto self = shared_from_this();
    socket().async_connect(to, [self](const boost::system::error_code& ec) {
      if (self->alive_.expired() || self->closed_) return;
      if (ec) return self->Close();
      self->Handshake(asio::ssl::stream_base::client);
    });
  }

  void Write(std::string_view bytes) {
    queue_.emplace_back(bytes);
    WriteNext();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    socket().close(ec);
    // Only the owner calls Close (its destructor included), so its timers are there.
    if (timer_ != 0) owner_.timers_->Cancel(timer_);
    timer_ = 0;
    if (!alive_.expired()) owner_.Remove(id_);
  }

  // A whole message was framed: the next one's clock starts with its first byte.
  void MessageDone() {
    message_start_us_ = -1;
    last_message_us_ = owner_.clock_->NowUs();
  }

  // After framing: unframed bytes left are the start of a message (its clock runs from now if
  // it was not running); none left keeps the clock as it is (an accepted connection that sent
  // only keep-alives still owes its first message).
  void MessagePending() {
    if (!buffer_.empty() && message_start_us_ < 0) message_start_us_ = owner_.clock_->NowUs();
    Arm();
  }

  // True when the headers of the pending message are complete (its body is what is missing).
  bool HeadersComplete() const {
    const FrameResult frame = FrameStreamMessage(buffer_);
    return frame.kind == FrameResult::Kind::kNeedMore && frame.bytes > 0;
  }

 private:
  // TLS: the handshake first (no client certificate is asked for or checked; SIP identity is
  // the digest layer's job here). TCP: ready at once.
  void Handshake(asio::ssl::stream_base::handshake_type type) {
    if (!tls_) return Ready();
    auto self = shared_from_this();
    tls_->async_handshake(type, [self](const boost::system::error_code& ec) {
      if (self->alive_.expired() || self->closed_) return;
      if (ec) {
        self->owner_.counters_.Drop("tls handshake");
        return self->Close();
      }
      self->Ready();
    });
  }

  void Ready() {
    connected_ = true;
    ready_ = true;
    Read();
    WriteNext();
  }

  // Calls f with the stream to read and write: the TLS stream or the plain socket.
  template <typename F>
  void WithStream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*socket_);
    }
  }

  int64_t DeadlineUs() const {
    if (message_start_us_ >= 0) {
      return message_start_us_ + std::chrono::microseconds(owner_.options_.message_timeout).count();
    }
    return last_message_us_ + std::chrono::microseconds(owner_.options_.idle_timeout).count();
  }

  // Arms the timer for DeadlineUs() unless one is armed for no later.
  void Arm() {
    if (closed_) return;
    const int64_t at = DeadlineUs();
    if (timer_ != 0) {
      if (timer_at_us_ <= at) return;
      owner_.timers_->Cancel(timer_);
      timer_ = 0;
    }
    const int64_t delay_us = std::max<int64_t>(0, at - owner_.clock_->NowUs());
    timer_at_us_ = at;
    std::weak_ptr<Connection> weak = weak_from_this();
    timer_ = owner_.timers_->Schedule(Millis((delay_us + 999) / 1000), [weak] {
      const std::shared_ptr<Connection> self = weak.lock();
      if (!self || self->alive_.expired() || self->closed_) return;
      self->timer_ = 0;
      self->OnTimer();
    });
  }

  void OnTimer() {
    const int64_t now = owner_.clock_->NowUs();
    if (now >= DeadlineUs()) {
      if (message_start_us_ >= 0) {
        if (tls_ && !ready_) return owner_.Drop(*this, "tls handshake timeout");
        return owner_.Drop(*this, HeadersComplete() ? "tcp body timeout" : "tcp header timeout");
      }
      if (!owner_.in_use_ || !owner_.in_use_(remote_)) {
        return owner_.Drop(*this, "tcp idle timeout");
      }
      last_message_us_ = now;  // still needed: another idle_timeout
    }
    Arm();
  }

  void Read() {
    auto self = shared_from_this();
    WithStream([&](auto& stream) {
      stream.async_read_some(asio::buffer(chunk_),
                             [self](const boost::system::error_code& ec, size_t n) {
                               if (self->alive_.expired() || self->closed_) return;
                               if (ec) return self->Close();
                               self->owner_.counters_.bytes_received += n;
                               self->buffer_.append(self->chunk_.data(), n);
                               self->owner_.OnBytes(*self);
                               if (!self->closed_) self->Read();
                             });
    });
  }

  void WriteNext() {
    if (queue_.empty() || closed_ || !connected_ || writing_) return;
    writing_ = true;
    auto self = shared_from_this();
    WithStream([&](auto& stream) {
      asio::async_write(stream, asio::buffer(queue_.front()),
                        [self](const boost::system::error_code& ec, size_t) {
                          if (self->alive_.expired() || self->closed_) return;
                          self->writing_ = false;
                          if (ec) return self->Close();
                          self->last_message_us_ = self->owner_.clock_->NowUs();
                          self->queue_.pop_front();
                          self->WriteNext();
                        });
    });
  }

  TcpTransport& owner_;
  std::weak_ptr<bool> alive_;
  std::optional<tcp::socket> socket_;
  std::optional<asio::ssl::stream<tcp::socket>> tls_;
  uint64_t id_;
  bool accepted_;
  bool connected_;
  bool ready_ = false;  // TLS handshake done (TCP: reading)
  bool closed_ = false;
  bool writing_ = false;
  Destination remote_;
  std::string source_;
  std::string buffer_;
  std::array<char, 4096> chunk_{};
  std::deque<std::string> queue_;
  // Clock microseconds: the last whole message either way (or the connect), and the first
  // byte of the message being received (-1: none owed).
  int64_t last_message_us_ = 0;
  int64_t message_start_us_ = -1;
  uint64_t timer_ = 0;  // TimerService id; 0: none armed
  int64_t timer_at_us_ = 0;
};

TcpTransport::TcpTransport(asio::io_context& io, TcpOptions options, UasPolicy policy)
    : io_(io),
      acceptor_(io),
      options_(options),
      policy_(std::move(policy)),
      clock_(options.clock ? options.clock : &SystemClock()),
      timers_(options.timers) {
  if (!timers_) {
    own_timers_ = std::make_unique<AsioTimerService>(io);
    timers_ = own_timers_.get();
  }
}

TcpTransport::~TcpTransport() {
  alive_.reset();
  boost::system::error_code ec;
  acceptor_.close(ec);
  auto connections = std::move(connections_);
  for (auto& [id, c] : connections) c->Close();
}

StatusOr<std::unique_ptr<TcpTransport>> TcpTransport::Listen(asio::io_context& io,
                                                             const std::string& address,
                                                             uint16_t port, TcpOptions options,
                                                             UasPolicy policy) {
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(address, ec);
  if (ec) return InvalidArgumentError("bad bind address '" + address + "'");
  std::unique_ptr<TcpTransport> t(new TcpTransport(io, options, std::move(policy)));
  const tcp::endpoint ep(addr, port);
  t->acceptor_.open(ep.protocol(), ec);
  if (!ec) t->acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) t->acceptor_.bind(ep, ec);
  if (!ec) t->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return UnavailableError("cannot listen on TCP " + address + ": " + ec.message());
  t->local_port_ = t->acceptor_.local_endpoint(ec).port();
  return t;
}

StatusOr<std::unique_ptr<TcpTransport>> TcpTransport::ListenTls(
    asio::io_context& io, const std::string& address, uint16_t port, const std::string& cert_path,
    const std::string& key_path, TcpOptions options, UasPolicy policy) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls);
  boost::system::error_code ec;
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1,
                       ec);
  if (!ec) context->use_certificate_chain_file(cert_path, ec);
  if (!ec) context->use_private_key_file(key_path, asio::ssl::context::pem, ec);
  if (ec) return InvalidArgumentError("TLS certificate or key: " + ec.message());
  context->set_verify_mode(asio::ssl::verify_none);
  auto t = Listen(io, address, port, options, std::move(policy));
  if (!t.ok()) return t.status();
  t.value()->tls_ = std::move(context);
  return t;
}

void TcpTransport::Start(MessageHandler handler) {
  handler_ = std::move(handler);
  AcceptNext();
}

size_t TcpTransport::connections_from(const std::string& source) const {
  const auto it = per_source_.find(source);
  return it == per_source_.end() ? 0 : it->second;
}

void TcpTransport::AcceptNext() {
  std::weak_ptr<bool> alive = alive_;
  acceptor_.async_accept([this, alive](const boost::system::error_code& ec, tcp::socket socket) {
    if (alive.expired() || ec == asio::error::operation_aborted) return;
    if (!ec) OnAccept(std::move(socket));
    AcceptNext();
  });
}

void TcpTransport::OnAccept(tcp::socket socket) {
  boost::system::error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return;  // gone before we looked: the socket closes here
  const std::string source = net::ConnectionSourceKey(peer.address());
  if (connections_.size() >= options_.max_connections) {
    return Refuse(peer, "tcp connection limit");
  }
  if (connections_from(source) >= options_.max_connections_per_source) {
    return Refuse(peer, "tcp source limit");
  }
  std::shared_ptr<Connection> c = Adopt(std::move(socket), /*connected=*/true);
  c->set_source(source);
  ++per_source_[source];
  c->Start();
}

void TcpTransport::Refuse(const tcp::endpoint& peer, const std::string& reason) {
  counters_.Drop(reason);
  if (drop_log_.Allow(clock_->NowUs())) {
    spdlog::warn("sip: {} connection from {} refused: {} ({} suppressed since last log)",
                 transport(), peer.address().to_string(), reason, drop_log_.suppressed());
  }
}

void TcpTransport::Drop(Connection& c, const std::string& reason) {
  counters_.Drop(reason);
  if (drop_log_.Allow(clock_->NowUs())) {
    spdlog::warn("sip: {} connection from {}:{} closed: {} ({} suppressed since last log)",
                 transport(), c.remote().host, c.remote().port, reason, drop_log_.suppressed());
  }
  c.Close();
}

std::shared_ptr<TcpTransport::Connection> TcpTransport::Adopt(tcp::socket socket, bool connected) {
  const uint64_t id = next_id_++;
  auto c = std::make_shared<Connection>(*this, std::move(socket), id, connected);
  c->remote().transport = tls_ ? "TLS" : "TCP";
  c->remote().connection = id;
  if (connected) {
    boost::system::error_code ec;
    const tcp::endpoint peer = c->socket().remote_endpoint(ec);
    if (!ec) {
      c->remote().host = peer.address().to_string();
      c->remote().port = peer.port();
    }
  }
  connections_[id] = c;
  return c;
}

void TcpTransport::OnBytes(Connection& c) {
  std::string& buffer = c.buffer();
  while (!buffer.empty()) {
    const FrameResult frame = FrameStreamMessage(buffer);
    if (frame.kind == FrameResult::Kind::kNeedMore) break;
    if (frame.kind == FrameResult::Kind::kKeepalive) {
      buffer.erase(0, frame.bytes);
      continue;
    }
    if (frame.kind == FrameResult::Kind::kError) return Drop(c, "tcp bad framing");
    Inbound in =
        ProcessInbound(std::string_view(buffer).substr(0, frame.bytes), c.remote(), policy_);
    buffer.erase(0, frame.bytes);
    c.MessageDone();
    if (in.message) {
      ++counters_.received;
      if (handler_) handler_(std::move(*in.message), c.remote());
    } else if (in.reply) {
      ++counters_.rejected;
      c.Write(SerializeMessage(*in.reply));
    } else {
      counters_.Drop(in.drop_reason);
    }
    if (c.closed()) return;  // the handler's send failed and closed it
  }
  if (buffer.size() > options_.max_buffer_bytes) return Drop(c, "tcp buffer limit");
  c.MessagePending();
}

bool TcpTransport::Send(const Destination& to, std::string_view bytes) {
  std::shared_ptr<Connection> c;
  if (auto it = connections_.find(to.connection); it != connections_.end()) c = it->second;
  for (auto it = connections_.begin(); !c && it != connections_.end(); ++it) {
    if (it->second->remote().host == to.host && it->second->remote().port == to.port) {
      c = it->second;
    }
  }
  if (!c) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(to.host, ec);
    if (ec || connections_.size() >= options_.max_connections) {
      ++counters_.send_failures;
      return false;
    }
    c = Adopt(tcp::socket(io_), /*connected=*/false);
    c->remote().host = to.host;
    c->remote().port = to.port;
    c->Start();
    c->Connect({address, to.port});
  }
  c->Write(bytes);
  ++counters_.sent;
  return true;
}

void TcpTransport::Remove(uint64_t id) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  const std::string& source = it->second->source();
  if (!source.empty()) {
    const auto n = per_source_.find(source);
    if (n != per_source_.end() && --n->second == 0) per_source_.erase(n);
  }
  connections_.erase(it);
}

}  // namespace tessera::sip
