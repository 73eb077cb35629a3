#include <tessera/net/udp_socket.h>

#include <boost/asio/ip/address.hpp>

namespace tessera::net {

UdpSocket::UdpSocket(boost::asio::io_context& io) : socket_(io) {}

UdpSocket::~UdpSocket() { Close(); }

StatusOr<std::unique_ptr<UdpSocket>> UdpSocket::Open(boost::asio::io_context& io,
                                                     const std::string& address, uint16_t port,
                                                     size_t receive_buffer_bytes) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(address, ec);
  if (ec) return InvalidArgumentError("bad bind address '" + address + "': " + ec.message());
  std::unique_ptr<UdpSocket> s(new UdpSocket(io));
  Endpoint ep(addr, port);
  s->socket_.open(ep.protocol(), ec);
  if (ec) return UnavailableError("cannot open UDP socket: " + ec.message());
  s->socket_.set_option(
      boost::asio::socket_base::receive_buffer_size(static_cast<int>(receive_buffer_bytes)),
      ec);  // best effort: the kernel caps it at rmem_max
  s->socket_.bind(ep, ec);
  if (ec) {
    return UnavailableError("cannot bind UDP " + address + ":" + std::to_string(port) + ": " +
                            ec.message());
  }
  s->socket_.non_blocking(true, ec);
  s->local_port_ = s->socket_.local_endpoint(ec).port();
  return s;
}

void UdpSocket::Start(Handler handler) {
  TESSERA_DCHECK_RUN_ON(checker_);
  handler_ = std::move(handler);
  ReceiveNext();
}

void UdpSocket::ReceiveNext() {
  if (!socket_.is_open()) return;
  std::weak_ptr<bool> alive = alive_;
  socket_.async_receive_from(boost::asio::buffer(buffer_), from_,
                             [this, alive](const boost::system::error_code& ec, size_t n) {
                               if (alive.expired()) return;
                               if (ec == boost::asio::error::operation_aborted) return;
                               if (!ec && handler_) handler_({buffer_.data(), n}, from_);
                               // Errors such as ICMP port unreachable (ECONNREFUSED) are per
                               // datagram on UDP: keep receiving.
                               ReceiveNext();
                             });
}

bool UdpSocket::SendTo(std::span<const uint8_t> data, const Endpoint& to) {
  TESSERA_DCHECK_RUN_ON(checker_);
  boost::system::error_code ec;
  socket_.send_to(boost::asio::buffer(data.data(), data.size()), to, 0, ec);
  if (ec) {
    ++send_failures_;
    return false;
  }
  return true;
}

size_t UdpSocket::Drain() {
  TESSERA_DCHECK_RUN_ON(checker_);
  size_t handled = 0;
  // Bounded: a peer that keeps sending cannot hold shutdown forever.
  for (int i = 0; i < 100000 && socket_.is_open(); ++i) {
    boost::system::error_code ec;
    Endpoint from;
    size_t n = socket_.receive_from(boost::asio::buffer(buffer_), from, 0, ec);
    if (ec == boost::asio::error::would_block) break;
    if (ec) continue;  // a per-datagram error; try the next one
    if (handler_) handler_({buffer_.data(), n}, from);
    ++handled;
  }
  return handled;
}

void UdpSocket::Close() {
  alive_.reset();
  boost::system::error_code ec;
  if (socket_.is_open()) socket_.close(ec);
}

}  // namespace tessera::net
