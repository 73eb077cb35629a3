#include <tessera/base/clock.h>
#include <tessera/sip/udp_transport.h>

#include <algorithm>

namespace tessera::sip {

StatusOr<std::unique_ptr<UdpTransport>> UdpTransport::Open(boost::asio::io_context& io,
                                                           const std::string& address,
                                                           uint16_t port, UasPolicy policy,
                                                           net::RateLimit reply_limit) {
  auto socket = net::UdpSocket::Open(io, address, port);
  if (!socket.ok()) return socket.status();
  return std::unique_ptr<UdpTransport>(
      new UdpTransport(std::move(socket).value(), std::move(policy), reply_limit));
}

void UdpTransport::Start(MessageHandler handler) {
  handler_ = std::move(handler);
  socket_->Start(
      [this](std::span<const uint8_t> data, const net::Endpoint& from) { OnDatagram(data, from); });
}

void UdpTransport::Close() { socket_->Close(); }

void UdpTransport::OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from) {
  counters_.bytes_received += data.size();
  Destination source;
  source.transport = "UDP";
  source.host = from.address().to_string();
  source.port = from.port();
  // RFC 5626 keep-alives (CRLF) on UDP: nothing to do.
  if (data.size() <= 4 &&
      std::all_of(data.begin(), data.end(), [](uint8_t c) { return c == '\r' || c == '\n'; })) {
    return;
  }
  Inbound in = ProcessInbound(
      std::string_view(reinterpret_cast<const char*>(data.data()), data.size()), source, policy_);
  if (in.message) {
    ++counters_.received;
    if (handler_) handler_(std::move(*in.message), source);
  } else if (in.reply && !replies_.Allow(source.host, SystemClock().NowUs())) {
    counters_.Drop("reply rate limit");
  } else if (in.reply) {
    ++counters_.rejected;
    (void)Send(in.reply_to, SerializeMessage(*in.reply));
  } else {
    counters_.Drop(in.drop_reason);
  }
}

bool UdpTransport::Send(const Destination& to, std::string_view bytes) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(to.host, ec);
  if (ec) {
    ++counters_.send_failures;
    return false;
  }
  const bool ok = socket_->SendTo({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()},
                                  {address, to.port});
  ++(ok ? counters_.sent : counters_.send_failures);
  return ok;
}

}  // namespace tessera::sip
