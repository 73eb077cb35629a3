#include <tessera/sip/tcp_transport.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>

namespace tessera::sip {

namespace asio = boost::asio;
using asio::ip::tcp;

class TcpTransport::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(TcpTransport& owner, tcp::socket socket, uint64_t id, bool connected)
      : owner_(owner), alive_(owner.alive_), timer_(owner.io_), id_(id), connected_(connected) {
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

  void Start() {
    Touch();
    ArmIdle();
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
    timer_.cancel();
    if (!alive_.expired()) owner_.Remove(id_);
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

  void Touch() { last_activity_ = std::chrono::steady_clock::now(); }

  void ArmIdle() {
    auto self = shared_from_this();
    timer_.expires_at(last_activity_ + owner_.options_.idle_timeout);
    timer_.async_wait([self](const boost::system::error_code& ec) {
      if (ec || self->alive_.expired() || self->closed_) return;
      if (std::chrono::steady_clock::now() - self->last_activity_ >=
          self->owner_.options_.idle_timeout) {
        self->owner_.counters_.Drop("tcp idle timeout");
        return self->Close();
      }
      self->ArmIdle();
    });
  }

  void Read() {
    auto self = shared_from_this();
    WithStream([&](auto& stream) {
      stream.async_read_some(asio::buffer(chunk_),
                             [self](const boost::system::error_code& ec, size_t n) {
                               if (self->alive_.expired() || self->closed_) return;
                               if (ec) return self->Close();
                               self->Touch();
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
                          self->Touch();
                          self->queue_.pop_front();
                          self->WriteNext();
                        });
    });
  }

  TcpTransport& owner_;
  std::weak_ptr<bool> alive_;
  std::optional<tcp::socket> socket_;
  std::optional<asio::ssl::stream<tcp::socket>> tls_;
  asio::steady_timer timer_;
  uint64_t id_;
  bool connected_;
  bool closed_ = false;
  bool writing_ = false;
  Destination remote_;
  std::string buffer_;
  std::array<char, 4096> chunk_{};
  std::deque<std::string> queue_;
  std::chrono::steady_clock::time_point last_activity_;
};

TcpTransport::TcpTransport(asio::io_context& io, TcpOptions options, UasPolicy policy)
    : io_(io), acceptor_(io), options_(options), policy_(std::move(policy)) {}

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

void TcpTransport::AcceptNext() {
  std::weak_ptr<bool> alive = alive_;
  acceptor_.async_accept([this, alive](const boost::system::error_code& ec, tcp::socket socket) {
    if (alive.expired() || ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (connections_.size() >= options_.max_connections) {
        counters_.Drop("tcp connection limit");
      } else {
        Adopt(std::move(socket), /*connected=*/true)->Start();
      }
    }
    AcceptNext();
  });
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
    if (frame.kind == FrameResult::Kind::kError) {
      counters_.Drop("tcp bad framing");
      return c.Close();
    }
    Inbound in =
        ProcessInbound(std::string_view(buffer).substr(0, frame.bytes), c.remote(), policy_);
    buffer.erase(0, frame.bytes);
    if (in.message) {
      ++counters_.received;
      if (handler_) handler_(std::move(*in.message), c.remote());
    } else if (in.reply) {
      ++counters_.rejected;
      c.Write(SerializeMessage(*in.reply));
    } else {
      counters_.Drop(in.drop_reason);
    }
  }
  if (buffer.size() > options_.max_buffer_bytes) {
    counters_.Drop("tcp buffer limit");
    c.Close();
  }
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

void TcpTransport::Remove(uint64_t id) { connections_.erase(id); }

}  // namespace tessera::sip
