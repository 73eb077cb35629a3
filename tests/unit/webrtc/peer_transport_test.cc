#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <tessera/net/udp_socket.h>
#include <tessera/rtp/rtp_packet.h>
#include <tessera/rtp/transport_cc.h>
#include <tessera/srtp/srtp_session.h>
#include <tessera/webrtc/dtls_certificate.h>
#include <tessera/webrtc/dtls_transport.h>
#include <tessera/webrtc/peer_transport.h>
#include <tessera/webrtc/stun.h>
#include <tessera/webrtc/stun_writer.h>
#include <tessera/webrtc/tcp_framing.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace tessera::webrtc {
namespace {

constexpr char kBrowserUfrag[] = "bRoW";
constexpr char kBrowserPassword[] = "browser+password/0123456789";

// A session leg as the transport sees it: what it was handed and the keys it was given.
class RecordingLeg final : public session::LegPacketPath {
 public:
  void DeliverDatagram(std::span<const uint8_t> data, const net::Endpoint&) override {
    delivered.emplace_back(data.begin(), data.end());
  }
  Status SetSrtpKeys(srtp::SrtpSuite s, std::span<const uint8_t> local,
                     std::span<const uint8_t> remote) override {
    suite = s;
    local_key.assign(local.begin(), local.end());
    remote_key.assign(remote.begin(), remote.end());
    return Status::Ok();
  }
  bool SendLinkRtcp(std::vector<uint8_t> compound) override {
    link_rtcp.push_back(std::move(compound));
    return true;
  }
  void OnLinkEstimate(int64_t bps, double) override { estimates.push_back(bps); }
  bool SendProbePadding(size_t bytes) override {
    padding_asked += bytes;
    return true;
  }
  std::vector<std::vector<uint8_t>> delivered;
  std::optional<srtp::SrtpSuite> suite;
  std::vector<uint8_t> local_key, remote_key;
  std::vector<std::vector<uint8_t>> link_rtcp;  // transport-wide feedback the link sent
  std::vector<int64_t> estimates;
  size_t padding_asked = 0;
};

std::vector<uint8_t> Rtp(uint8_t pt, uint16_t seq) {
  rtp::RtpHeader h;
  h.payload_type = pt;
  h.ssrc = 0xB0B;
  h.sequence_number = seq;
  h.timestamp = seq * 3000u;
  std::vector<uint8_t> payload(40, 0x41);
  const rtp::RtpPacket p = rtp::RtpPacket::Build(h, {}, payload);
  return std::vector<uint8_t>(p.data().begin(), p.data().end());
}

// The node's shared port and one participant's transport on it, and a browser on another
// loopback socket: real UDP, ICE, DTLS and SRTP, on one io_context run by the test.
class Loopback {
 public:
  // tcp: the port also takes ICE-TCP connections (on any free port).
  // transport_cc: the transport-wide sequence number's extension id (0: off).
  explicit Loopback(bool tcp = false, uint8_t transport_cc = 0) {
    auto p = SharedPort::Open(io, "127.0.0.1", 0,
                              tcp ? std::optional<uint16_t>(0) : std::optional<uint16_t>());
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    port = std::move(*p);
    port->Start();
    auto server_cert = DtlsCertificate::Generate();
    auto browser_cert = DtlsCertificate::Generate();
    EXPECT_TRUE(server_cert.ok() && browser_cert.ok());
    server_certificate = *server_cert;
    browser_certificate = *browser_cert;
    PeerTransportConfig c;
    c.name = "browser";
    c.remote_ice = {kBrowserUfrag, kBrowserPassword};
    c.remote_fingerprints = {browser_certificate->sdp_fingerprint()};
    c.dtls_role = DtlsRole::kServer;
    c.certificate = server_certificate;
    c.audio_payload_type = 111;
    c.video_payload_types = {96};
    c.transport_cc_extension_id = transport_cc;
    auto t = PeerTransport::Create(*port, c, SystemClock());
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    transport = *t;
    EXPECT_TRUE(transport->Start([this](const std::string& why) { gone = why; }).ok());
    transport->Attach(session::MediaKind::kAudio, &audio);
    transport->Attach(session::MediaKind::kVideo, &video);
    auto b = net::UdpSocket::Open(io, "127.0.0.1", 0);
    EXPECT_TRUE(b.ok());
    browser = std::move(*b);
    browser->Start([this](std::span<const uint8_t> d, const net::Endpoint&) {
      to_browser.emplace_back(d.begin(), d.end());
    });
    server = net::Endpoint(boost::asio::ip::make_address("127.0.0.1"), port->local_port());
  }
  ~Loopback() {
    transport->Close();
    browser->Close();
    port->Close();
  }

  // Runs the io_context until `done` holds; false if it did not within about 5 s of events.
  bool RunUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) io.run_for(std::chrono::milliseconds(10));
    return done();
  }
  std::vector<uint8_t> Check(bool use_candidate, const std::string& password) {
    BindingRequestParams p;
    p.transaction_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, static_cast<uint8_t>(checks++)};
    p.username = transport->local_ice().ufrag + ":" + kBrowserUfrag;
    p.priority = 1853817087;
    p.ice_controlling = 0x1234567890ULL;
    p.use_candidate = use_candidate;
    p.integrity_key = password;
    return BuildBindingRequest(p);
  }
  // ICE, then the DTLS handshake with the browser as client; the browser's keys.
  std::optional<SrtpKeys> Connect() {
    browser->SendTo(Check(true, transport->local_ice().password), server);
    if (!RunUntil([&] { return !to_browser.empty(); })) return std::nullopt;
    auto response = ParseStun(to_browser.front());
    if (!response || response->message_class != StunClass::kSuccessResponse) return std::nullopt;
    to_browser.clear();
    auto client = DtlsTransport::Create(DtlsRole::kClient, browser_certificate,
                                        {server_certificate->sdp_fingerprint()});
    if (!client.ok()) return std::nullopt;
    std::optional<SrtpKeys> keys;
    auto apply = [&](DtlsResult r) {
      for (const auto& d : r.datagrams) browser->SendTo(d, server);
      if (r.event == DtlsResult::Event::kConnected) keys = std::move(r.keys);
    };
    apply((*client)->Start(SystemClock().NowUs()));
    RunUntil([&] {
      std::vector<std::vector<uint8_t>> got;
      got.swap(to_browser);
      for (const auto& d : got) apply((*client)->HandleDatagram(d, SystemClock().NowUs()));
      return (keys.has_value() && transport->connected()) || gone.has_value();
    });
    dtls_client = std::move(*client);
    return keys;
  }

  boost::asio::io_context io;
  std::unique_ptr<SharedPort> port;
  std::shared_ptr<const DtlsCertificate> server_certificate, browser_certificate;
  std::shared_ptr<PeerTransport> transport;
  std::unique_ptr<DtlsTransport> dtls_client;
  RecordingLeg audio, video;
  std::unique_ptr<net::UdpSocket> browser;
  std::vector<std::vector<uint8_t>> to_browser;
  net::Endpoint server;
  std::optional<std::string> gone;
  int checks = 0;
};

TEST(PeerTransport, ABrowserChecksHandshakesAndItsSrtpReachesItsLegs) {
  Loopback l;
  std::optional<SrtpKeys> keys = l.Connect();
  ASSERT_TRUE(keys) << "no DTLS connection";
  ASSERT_TRUE(l.transport->selected());
  EXPECT_EQ(l.transport->selected()->port(), l.browser->local_port());
  // Both legs got the keys DTLS exported: ours are the browser's mirror image.
  ASSERT_TRUE(l.video.suite);
  EXPECT_EQ(*l.video.suite, keys->suite);
  EXPECT_EQ(l.video.local_key, keys->remote_key_salt);
  EXPECT_EQ(l.video.remote_key, keys->local_key_salt);
  EXPECT_EQ(l.audio.local_key, l.video.local_key);

  // The browser's SRTP goes to the leg of its payload type.
  auto out = srtp::SrtpSession::Create(keys->suite, keys->local_key_salt,
                                       srtp::SrtpSession::Direction::kOutbound);
  ASSERT_TRUE(out.ok());
  std::vector<uint8_t> video_packet = Rtp(96, 1);
  ASSERT_EQ((*out)->ProtectRtp(video_packet), srtp::SrtpResult::kOk);
  std::vector<uint8_t> audio_packet = Rtp(111, 2);
  ASSERT_EQ((*out)->ProtectRtp(audio_packet), srtp::SrtpResult::kOk);
  std::vector<uint8_t> stray_packet = Rtp(100, 3);
  ASSERT_EQ((*out)->ProtectRtp(stray_packet), srtp::SrtpResult::kOk);
  l.browser->SendTo(video_packet, l.server);
  l.browser->SendTo(audio_packet, l.server);
  l.browser->SendTo(stray_packet, l.server);
  ASSERT_TRUE(l.RunUntil([&] {
    return l.transport->counts().dropped_unknown_payload_type == 1 && l.audio.delivered.size() == 1;
  }));
  ASSERT_EQ(l.video.delivered.size(), 1u);
  EXPECT_EQ(l.video.delivered[0], video_packet);

  // What a leg sends reaches the browser on its ICE pair.
  std::vector<uint8_t> composite = Rtp(96, 9);
  ASSERT_TRUE(l.transport->Send(composite));
  ASSERT_TRUE(l.RunUntil([&] { return !l.to_browser.empty(); }));
  EXPECT_EQ(l.to_browser.back(), composite);

  // A stranger on another port is nobody's: dropped and counted, never handed to a leg.
  auto stranger = net::UdpSocket::Open(l.io, "127.0.0.1", 0);
  ASSERT_TRUE(stranger.ok());
  (*stranger)->SendTo(video_packet, l.server);
  ASSERT_TRUE(l.RunUntil([&] { return l.port->unrouted() == 1; }));
  EXPECT_EQ(l.video.delivered.size(), 1u);
  (*stranger)->Close();
  EXPECT_FALSE(l.gone);
}

// A browser over ICE-TCP (RFC 6544): its framed packets on one connection to the node's TCP
// port.
class TcpBrowser {
 public:
  // from_port: connect from this local port (0: any).
  explicit TcpBrowser(Loopback& l, uint16_t from_port = 0) : socket_(l.io) {
    socket_.open(boost::asio::ip::tcp::v4());
    socket_.set_option(boost::asio::ip::tcp::socket::reuse_address(true));
    socket_.bind({boost::asio::ip::make_address("127.0.0.1"), from_port});
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), *l.port->tcp_port()});
    Read();
  }
  void Send(std::span<const uint8_t> packet) {
    const std::vector<uint8_t> frame = FrameForTcp(packet);
    boost::asio::write(socket_, boost::asio::buffer(frame));
  }
  void SendRaw(std::vector<uint8_t> bytes) {
    boost::asio::write(socket_, boost::asio::buffer(bytes));
  }
  uint16_t port() const { return socket_.local_endpoint().port(); }
  std::vector<std::vector<uint8_t>> got;
  bool closed = false;

 private:
  void Read() {
    socket_.async_read_some(boost::asio::buffer(buffer_),
                            [this](const boost::system::error_code& ec, size_t n) {
                              if (ec) {
                                closed = true;
                                return;
                              }
                              EXPECT_TRUE(reader_.Append({buffer_.data(), n}));
                              while (auto p = reader_.Next())
                                got.emplace_back(p->begin(), p->end());
                              Read();
                            });
  }
  boost::asio::ip::tcp::socket socket_;
  TcpFrameReader reader_;
  std::array<uint8_t, 4096> buffer_{};
};

TEST(PeerTransport, TransportWideCcNumbersWhatItSendsAcknowledgesWhatArrivesAndEstimates) {
  Loopback l(false, /*transport_cc=*/3);
  ASSERT_TRUE(l.Connect()) << "no DTLS connection";
  const int64_t now = SystemClock().NowUs();
  // What the legs send is numbered, one sequence for the bundle.
  std::vector<uint8_t> a = Rtp(96, 1), b = Rtp(111, 2);
  l.transport->OnRtpSending(session::MediaKind::kVideo, a, false);
  l.transport->OnRtpSending(session::MediaKind::kAudio, b, false);
  auto sa = rtp::ReadTransportSequence(a, 3), sb = rtp::ReadTransportSequence(b, 3);
  ASSERT_TRUE(sa && sb);
  EXPECT_EQ(static_cast<uint16_t>(*sa + 1), *sb);
  ASSERT_TRUE(rtp::RtpPacket::Parse(a));
  EXPECT_EQ(rtp::RtpPacket::Parse(a)->payload().size(), 40u) << "the payload is untouched";

  // What arrives numbered is acknowledged on the next tick, through the video leg's SRTCP.
  for (uint16_t seq : {100, 101, 103}) {
    rtp::RtpPacket p = *rtp::RtpPacket::Parse(Rtp(96, seq));
    const uint8_t value[2] = {0, static_cast<uint8_t>(seq)};
    ASSERT_TRUE(p.SetExtension(3, value));
    l.transport->OnRtpReceived(session::MediaKind::kVideo, p.data(), now + seq * 1000);
  }
  l.transport->TransportCcTick();
  ASSERT_EQ(l.video.link_rtcp.size(), 1u);
  auto fb = rtp::TransportFeedback::Parse(l.video.link_rtcp[0]);
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->base_sequence, 100);
  ASSERT_EQ(fb->arrivals_us.size(), 4u);
  EXPECT_TRUE(fb->arrivals_us[0] && fb->arrivals_us[1] && !fb->arrivals_us[2] &&
              fb->arrivals_us[3]);
  EXPECT_EQ(l.transport->counts().transport_feedback_sent, 1u);

  // The browser's feedback on what was sent gives the video leg an estimate, read once though
  // both legs hand on the same SRTCP.
  rtp::TransportFeedback ack;
  ack.base_sequence = *sa;
  ack.reference_time = 100;
  ack.arrivals_us = {6'400'000, 6'401'000};
  std::vector<uint8_t> bytes;
  ack.Serialize(bytes);
  l.transport->OnRtcpReceived(session::MediaKind::kAudio, bytes, now);
  l.transport->OnRtcpReceived(session::MediaKind::kVideo, bytes, now);
  EXPECT_EQ(l.transport->counts().transport_feedback_received, 1u);
  ASSERT_EQ(l.video.estimates.size(), 1u);
  EXPECT_EQ(l.video.estimates[0], l.transport->estimator()->estimate_bps());
}

TEST(PeerTransport, OverIceTcpTheChecksAndTheHandshakeGoOverOneConnection) {
  Loopback l(/*tcp=*/true);
  ASSERT_TRUE(l.port->tcp_port());
  TcpBrowser b(l);
  b.Send(l.Check(true, l.transport->local_ice().password));
  ASSERT_TRUE(l.RunUntil([&] { return !b.got.empty(); })) << "no answer over the connection";
  auto response = ParseStun(b.got.front());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->message_class, StunClass::kSuccessResponse);
  ASSERT_TRUE(l.transport->selected());
  EXPECT_EQ(l.transport->selected()->port(), b.port());
  EXPECT_EQ(l.port->tcp_connection_count(), 1u);
  EXPECT_TRUE(l.to_browser.empty()) << "nothing goes out as UDP";
  b.got.clear();

  // DTLS over the connection: the legs are keyed.
  auto client = DtlsTransport::Create(DtlsRole::kClient, l.browser_certificate,
                                      {l.server_certificate->sdp_fingerprint()});
  ASSERT_TRUE(client.ok());
  std::optional<SrtpKeys> keys;
  auto apply = [&](DtlsResult r) {
    for (const auto& d : r.datagrams) b.Send(d);
    if (r.event == DtlsResult::Event::kConnected) keys = std::move(r.keys);
  };
  apply((*client)->Start(SystemClock().NowUs()));
  ASSERT_TRUE(l.RunUntil([&] {
    std::vector<std::vector<uint8_t>> got;
    got.swap(b.got);
    for (const auto& d : got) apply((*client)->HandleDatagram(d, SystemClock().NowUs()));
    return keys.has_value() && l.transport->connected();
  })) << "no DTLS over ICE-TCP";
  ASSERT_TRUE(l.video.suite);
  EXPECT_EQ(l.video.local_key, keys->remote_key_salt);
}

TEST(PeerTransport, AnIceTcpConnectionWithBadFramingIsClosedAndNothingElseEnds) {
  Loopback l(/*tcp=*/true);
  TcpBrowser b(l);
  ASSERT_TRUE(l.RunUntil([&] { return l.port->tcp_connection_count() == 1; }));
  b.SendRaw({0x20, 0x00});  // a 8192-byte frame: longer than any ICE-TCP packet Tessera takes
  ASSERT_TRUE(l.RunUntil([&] { return b.closed; })) << "the connection stays open";
  EXPECT_EQ(l.port->tcp_connection_count(), 0u);
  EXPECT_FALSE(l.gone.has_value()) << "the participant's transport ended: " << *l.gone;
}

TEST(PeerTransport, AnAddressAUdpPeerProvedIsNeverTakenOverTcp) {
  // Another person behind the same NAT with the same address and port, over TCP: refused, and
  // the UDP participant's media still goes to it over UDP.
  Loopback l(/*tcp=*/true);
  ASSERT_TRUE(l.Connect()) << "no DTLS connection over UDP";
  TcpBrowser intruder(l, l.browser->local_port());
  ASSERT_TRUE(l.RunUntil([&] { return intruder.closed; })) << "the connection was taken";
  EXPECT_EQ(l.port->tcp_connection_count(), 0u);
  l.to_browser.clear();
  ASSERT_TRUE(l.transport->Send(Rtp(96, 9)));
  EXPECT_TRUE(l.RunUntil([&] { return !l.to_browser.empty(); })) << "the UDP peer lost its media";
  EXPECT_TRUE(intruder.got.empty());
}

TEST(PeerTransport, AParticipantThatLeavesTakesItsIceTcpConnectionWithIt) {
  Loopback l(/*tcp=*/true);
  TcpBrowser b(l);
  b.Send(l.Check(true, l.transport->local_ice().password));
  ASSERT_TRUE(l.RunUntil([&] { return !b.got.empty(); }));
  l.transport->Close();
  ASSERT_TRUE(l.RunUntil([&] { return b.closed; })) << "the connection outlived its participant";
  EXPECT_EQ(l.port->tcp_connection_count(), 0u);
}

TEST(PeerTransport, AFloodOfForgedChecksIsCutPerSourceAndTheBrowsersChecksGoOn) {
  Loopback l;
  ASSERT_TRUE(l.Connect()) << "no DTLS connection";
  const uint64_t handed_before = l.transport->counts().stun;
  // 6000 forged checks for the browser's session from another socket, as fast as they go: past
  // the burst and the rate, they are dropped before any HMAC.
  auto flooder = net::UdpSocket::Open(l.io, "127.0.0.1", 0);
  ASSERT_TRUE(flooder.ok());
  (*flooder)->Start([](std::span<const uint8_t>, const net::Endpoint&) {});
  const auto forged = l.Check(true, "not+the+password+at+all+x");
  auto seen = [&] { return l.port->rate_limited() + (l.transport->counts().stun - handed_before); };
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t round = 1; round <= 60; ++round) {  // in batches the socket buffer holds
    for (int i = 0; i < 100; ++i) (*flooder)->SendTo(forged, l.server);
    ASSERT_TRUE(l.RunUntil([&] { return seen() >= round * 100; }));
  }
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // What reached the agent: the burst and what the rate refilled meanwhile, no more.
  const double allowed = 2 * SharedPort::kUnverifiedChecksPerSecond +
                         SharedPort::kUnverifiedChecksPerSecond * elapsed_s + 10;
  EXPECT_LE(static_cast<double>(l.transport->counts().stun - handed_before), allowed);
  EXPECT_GE(static_cast<double>(l.port->rate_limited()), 6000 - allowed);
  // The browser's own address was validated: its checks (consent) are answered meanwhile.
  l.to_browser.clear();
  l.browser->SendTo(l.Check(false, l.transport->local_ice().password), l.server);
  ASSERT_TRUE(l.RunUntil([&] { return !l.to_browser.empty(); }));
  auto response = ParseStun(l.to_browser.back());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->message_class, StunClass::kSuccessResponse);
  (*flooder)->Close();
}

TEST(PeerTransport, AWrongPasswordSelectsNothingAndGetsA401) {
  Loopback l;
  l.browser->SendTo(l.Check(true, "not+the+password+at+all+x"), l.server);
  ASSERT_TRUE(l.RunUntil([&] { return !l.to_browser.empty(); }));
  auto response = ParseStun(l.to_browser.front());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->message_class, StunClass::kErrorResponse);
  ASSERT_TRUE(response->error_code);
  EXPECT_EQ(response->error_code->code, 401);
  EXPECT_FALSE(l.transport->selected());
  EXPECT_EQ(l.transport->ice_counters().Dropped(IceDrop::kBadIntegrity), 1u);
  // Nothing can be sent without a checked pair and keys.
  EXPECT_FALSE(l.transport->Send(Rtp(96, 1)));
}

TEST(PeerTransport, ACertificateOtherThanTheOffersEndsTheHandshakeWithoutKeys) {
  Loopback l;
  // The browser presents a certificate whose fingerprint is not the one its SDP gave.
  auto impostor = DtlsCertificate::Generate();
  ASSERT_TRUE(impostor.ok());
  l.browser_certificate = *impostor;
  EXPECT_FALSE(l.Connect());
  ASSERT_TRUE(l.RunUntil([&] { return l.gone.has_value(); }));
  EXPECT_NE(l.gone->find("fingerprint_mismatch"), std::string::npos) << *l.gone;
  EXPECT_FALSE(l.transport->connected());
  EXPECT_FALSE(l.video.suite);
}

TEST(PeerTransport, APeerThatNeverChecksLosesConsent) {
  boost::asio::io_context io;
  auto port = SharedPort::Open(io, "127.0.0.1", 0);
  ASSERT_TRUE(port.ok());
  auto cert = DtlsCertificate::Generate();
  ASSERT_TRUE(cert.ok());
  FakeClock clock;
  PeerTransportConfig c;
  c.name = "silent";
  c.remote_ice = {kBrowserUfrag, kBrowserPassword};
  c.remote_fingerprints = {(*cert)->sdp_fingerprint()};
  c.certificate = *cert;
  auto t = PeerTransport::Create(**port, c, clock);
  ASSERT_TRUE(t.ok());
  std::optional<std::string> gone;
  ASSERT_TRUE((*t)->Start([&](const std::string& why) { gone = why; }).ok());
  clock.AdvanceMs(29'000);
  (*t)->Poll();
  EXPECT_FALSE(gone);
  clock.AdvanceMs(2'000);
  (*t)->Poll();
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, "consent lost");
  (*t)->Close();
}

}  // namespace
}  // namespace tessera::webrtc
