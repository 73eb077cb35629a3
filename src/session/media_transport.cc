#include "session/media_transport.h"

#include <spdlog/spdlog.h>
#include <tessera/base/byte_io.h>
#include <tessera/net/demux.h>
#include <tessera/rtp/rtp_packet.h>
#include <tessera/srtp/sdes.h>

#include <numeric>
#include <random>

namespace tessera::session {

StatusOr<boost::asio::ip::address> ParseRemoteAddress(const std::string& participant,
                                                      const std::string& address) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(address, ec);
  if (ec) {
    return InvalidArgumentError("participant " + participant + ": bad remote_address '" + address +
                                "'");
  }
  return addr;
}

uint32_t RandomSsrc() {
  static thread_local std::mt19937 rng(std::random_device{}());
  return rng() | 1u;
}

uint64_t ReceiveCounts::dropped_total() const {
  return std::accumulate(dropped.begin(), dropped.end(), uint64_t{0});
}

StatusOr<std::unique_ptr<MediaTransport>> MediaTransport::Open(
    boost::asio::io_context& shard, const std::string& name, const std::string& bind_address,
    uint16_t local_port, bool rtcp_mux, const std::optional<SrtpConfig>& srtp, DropCounters& drops,
    Clock& clock) {
  std::unique_ptr<MediaTransport> t(new MediaTransport(name, drops, clock));
  const std::string who = "participant " + name + ": ";
  auto rtp_socket = net::UdpSocket::Open(shard, bind_address, local_port);
  if (!rtp_socket.ok()) {
    return Status(rtp_socket.status().code(), who + rtp_socket.status().message());
  }
  t->rtp_socket_ = std::move(*rtp_socket);
  t->local_port_ = t->rtp_socket_->local_port();
  if (!rtcp_mux) {
    auto rtcp_socket =
        net::UdpSocket::Open(shard, bind_address, static_cast<uint16_t>(t->local_port_ + 1));
    if (!rtcp_socket.ok()) {
      return Status(rtcp_socket.status().code(), who + rtcp_socket.status().message());
    }
    t->rtcp_socket_ = std::move(*rtcp_socket);
  }
  if (srtp) {
    auto suite = srtp::SrtpSuiteFromName(srtp->suite);
    if (!suite) return InvalidArgumentError(who + "unknown SRTP suite '" + srtp->suite + "'");
    auto key = srtp::ParseInlineKey(*suite, srtp->key);
    if (!key.ok()) return InvalidArgumentError(who + "srtp.key: " + key.status().message());
    auto in = srtp::SrtpSession::Create(*suite, key->key, srtp::SrtpSession::Direction::kInbound);
    if (!in.ok()) return Status(in.status().code(), who + in.status().message());
    // A config holds one SDES key per participant; it also keys what we send to it (our SSRCs
    // differ from the participant's, so the keystreams do not collide). SIP legs have their own.
    auto send_key = key;
    if (!srtp->send_key.empty()) {
      send_key = srtp::ParseInlineKey(*suite, srtp->send_key);
      if (!send_key.ok()) {
        return InvalidArgumentError(who + "srtp.send_key: " + send_key.status().message());
      }
    }
    auto out =
        srtp::SrtpSession::Create(*suite, send_key->key, srtp::SrtpSession::Direction::kOutbound);
    if (!out.ok()) return Status(out.status().code(), who + out.status().message());
    t->srtp_in_ = std::move(*in);
    t->srtp_out_ = std::move(*out);
  }
  return t;
}

std::unique_ptr<MediaTransport> MediaTransport::OpenExternal(std::shared_ptr<ExternalLink> link,
                                                             MediaKind kind,
                                                             const std::string& name,
                                                             DropCounters& drops, Clock& clock) {
  std::unique_ptr<MediaTransport> t(new MediaTransport(name, drops, clock));
  t->link_ = std::move(link);
  t->kind_ = kind;
  return t;
}

Status MediaTransport::SetSrtpKeys(srtp::SrtpSuite suite, std::span<const uint8_t> local,
                                   std::span<const uint8_t> remote) {
  TESSERA_DCHECK_RUN_ON(checker_);
  auto in = srtp::SrtpSession::Create(suite, remote, srtp::SrtpSession::Direction::kInbound);
  if (!in.ok())
    return Status(in.status().code(), "participant " + name_ + ": " + in.status().message());
  auto out = srtp::SrtpSession::Create(suite, local, srtp::SrtpSession::Direction::kOutbound);
  if (!out.ok()) {
    return Status(out.status().code(), "participant " + name_ + ": " + out.status().message());
  }
  srtp_in_ = std::move(*in);
  srtp_out_ = std::move(*out);
  if (on_keyed_) on_keyed_();
  return Status::Ok();
}

void MediaTransport::Start(PacketHandler on_rtp, PacketHandler on_rtcp) {
  TESSERA_DCHECK_RUN_ON(checker_);
  on_rtp_ = std::move(on_rtp);
  on_rtcp_ = std::move(on_rtcp);
  if (link_) {
    link_->Attach(kind_, this);
    return;
  }
  rtp_socket_->Start([this](std::span<const uint8_t> d, const net::Endpoint& from) {
    OnDatagram(d, from, false);
  });
  if (rtcp_socket_) {
    rtcp_socket_->Start([this](std::span<const uint8_t> d, const net::Endpoint& from) {
      OnDatagram(d, from, true);
    });
  }
}

void MediaTransport::OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from,
                                bool rtcp_port) {
  TESSERA_DCHECK_RUN_ON(checker_);
  ++receive_counts_.received;
  if (const PacketVerdict verdict = Handle(data, from, rtcp_port)) {
    ++receive_counts_.dropped[static_cast<size_t>(*verdict)];
  } else {
    ++receive_counts_.accepted;
  }
}

PacketVerdict MediaTransport::Handle(std::span<const uint8_t> data, const net::Endpoint& from,
                                     bool rtcp_port) {
  switch (net::ClassifyPacket(data)) {
    case net::PacketClass::kRtp: {
      if (rtcp_port) return Reject(DropReason::kMalformed, "RTP on the RTCP port");
      if (link_ && !srtp_in_) return Reject(DropReason::kNotKeyed, "SRTP before DTLS keyed it");
      if (!srtp_in_) {
        // Plain RTP: where it comes from is all there is to go by, so it is checked first.
        if (PacketVerdict v = CheckRtpSource(data, from)) return v;
        return on_rtp_(data, from);
      }
      if (PacketVerdict v = Unprotect(false, data)) return v;
      // Authenticated: only a holder of the key made it, wherever it comes from.
      (void)latch_.OnAuthenticated(from, clock_.NowUs());
      if (link_) link_->OnRtpReceived(kind_, scratch_, clock_.NowUs());
      return on_rtp_(std::span<const uint8_t>(scratch_), from);
    }
    case net::PacketClass::kRtcp: {
      if (link_ && !srtp_in_) return Reject(DropReason::kNotKeyed, "SRTCP before DTLS keyed it");
      if (PacketVerdict v = Unprotect(true, data)) return v;
      // An external link's datagrams come over a checked ICE pair: nothing to latch.
      if (!link_ && !latch_.AcceptsRtcpFrom(from.address())) {
        // Feedback steers what we send (keyframes, profiles, retransmissions): only the peer
        // signalling names, or the source its media is latched to, may give it.
        return Reject(DropReason::kUnexpectedSource, "RTCP from an unexpected address");
      }
      if (srtp_in_) ++srtcp_received_;
      if (link_) link_->OnRtcpReceived(kind_, scratch_, clock_.NowUs());
      return on_rtcp_(srtp_in_ ? std::span<const uint8_t>(scratch_) : data, from);
    }
    default:
      // STUN and DTLS belong to WebRTC legs, which this participant is not.
      return Reject(DropReason::kUnknownProtocol, "datagram that is neither RTP nor RTCP");
  }
}

PacketVerdict MediaTransport::CheckRtpSource(std::span<const uint8_t> rtp,
                                             const net::Endpoint& from) {
  const int64_t now = clock_.NowUs();
  if (rtp.size() < rtp::kRtpFixedHeaderSize) {
    // Too short to say which stream it would belong to: only the latched source's is passed on
    // (and counted as malformed there); it never latches anything.
    if (latch_.latched() && from == *latch_.latched()) return kAccepted;
    return Reject(DropReason::kUnlatchedSource, "RTP from a source the media is not latched to");
  }
  const uint16_t seq = ReadBe16(rtp.data() + 2);
  const uint32_t ssrc = ReadBe32(rtp.data() + 8);
  const char* why = "latched";
  switch (latch_.OnRtp(from, ssrc, seq, now)) {
    case net::SourceLatch::Verdict::kLatched:
      return kAccepted;
    case net::SourceLatch::Verdict::kFirst:
      why = "first heard";
      break;
    case net::SourceLatch::Verdict::kSignalled:
      why = "signalled";
      break;
    case net::SourceLatch::Verdict::kMoved:
      why = "moved: the old source went silent";
      break;
    case net::SourceLatch::Verdict::kRejected:
      return Reject(DropReason::kUnlatchedSource, "RTP from a source the media is not latched to");
  }
  spdlog::info("participant {}: media latched to {}:{} ({})", name_, from.address().to_string(),
               from.port(), why);
  return kAccepted;
}

PacketVerdict MediaTransport::Unprotect(bool rtcp, std::span<const uint8_t> data) {
  if (!srtp_in_) return kAccepted;
  scratch_.assign(data.begin(), data.end());
  const srtp::SrtpResult r =
      rtcp ? srtp_in_->UnprotectRtcp(scratch_) : srtp_in_->UnprotectRtp(scratch_);
  switch (r) {
    case srtp::SrtpResult::kOk:
      return kAccepted;
    case srtp::SrtpResult::kReplay:
      return Reject(DropReason::kSrtpReplay,
                    rtcp ? "replayed SRTCP packet" : "replayed SRTP packet");
    case srtp::SrtpResult::kAuthFailed:
      return Reject(DropReason::kSrtpAuth, rtcp ? "SRTCP packet failing authentication"
                                                : "SRTP packet failing authentication");
    default:
      return Reject(DropReason::kMalformed, "packet that SRTP cannot unprotect");
  }
}

void MediaTransport::SetSignalledPeer(const boost::asio::ip::address& address, uint16_t rtp_port) {
  // No executor check: legs call it from Create, before the shard runs them.
  latch_.SetSignalled(net::Endpoint(address, rtp_port));
}

bool MediaTransport::SendRtp(std::vector<uint8_t> packet, const net::Endpoint& to, bool probe) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (closed_) return false;
  if (link_ && !srtp_out_) return false;  // not keyed yet: nothing leaves in the clear
  if (link_) link_->OnRtpSending(kind_, packet, probe);
  if (srtp_out_ && srtp_out_->ProtectRtp(packet) != srtp::SrtpResult::kOk) {
    Drop(DropReason::kMalformed, "outgoing RTP that SRTP could not protect");
    return false;
  }
  if (link_) return link_->Send(std::move(packet));
  return rtp_socket_->SendTo(packet, to);
}

bool MediaTransport::SendRtcp(std::vector<uint8_t> compound, const net::Endpoint& to) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (closed_) return false;
  if (link_ && !srtp_out_) return false;
  if (srtp_out_ && srtp_out_->ProtectRtcp(compound) != srtp::SrtpResult::kOk) {
    Drop(DropReason::kMalformed, "outgoing RTCP that SRTP could not protect");
    return false;
  }
  if (link_) return link_->Send(std::move(compound));
  return (rtcp_socket_ ? *rtcp_socket_ : *rtp_socket_).SendTo(compound, to);
}

void MediaTransport::DrainAndClose() {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (closed_) return;
  if (link_) {
    closed_ = true;
    link_->Attach(kind_, nullptr);
    return;
  }
  if (rtcp_socket_) rtcp_socket_->Drain();
  rtp_socket_->Drain();
  closed_ = true;
  rtp_socket_->Close();
  if (rtcp_socket_) rtcp_socket_->Close();
}

void MediaTransport::Drop(DropReason reason, const char* what) {
  drops_.Add(reason);
  if (drop_log_.Allow(clock_.NowUs())) {
    spdlog::warn("participant {}: dropped {} ({} similar suppressed)", name_, what,
                 drop_log_.suppressed());
  }
}

}  // namespace tessera::session
