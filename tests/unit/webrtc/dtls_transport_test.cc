// Two DtlsTransports, a client and a server, handshake in memory: the tests carry each returned
// datagram to the other side. No sockets, no sleeps.
//
// Time: the handshake deadline runs on the now_us the tests pass. OpenSSL 3.0 runs its
// retransmission timer on the real clock (gettimeofday) and cannot be given a fake one. It also
// counts a timer with under 15 ms left as expired, both in DTLSv1_handle_timeout and when a
// handshake read finds nothing (which then retransmits on the spot). So the retransmission test
// sets a 16 ms initial timeout: not expired when Start() returns (no retransmission inside it),
// due 1 ms later. The test calls OnTimer in a loop bounded by a count until OpenSSL retransmits;
// nothing sleeps. The other tests keep the 1 s default and never see a retransmission.
#include <gtest/gtest.h>
#include <tessera/srtp/srtp_session.h>
#include <tessera/webrtc/dtls_record.h>
#include <tessera/webrtc/dtls_transport.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessera::webrtc {
namespace {

using srtp::SrtpSession;
using srtp::SrtpSuite;
using Event = DtlsResult::Event;

constexpr int64_t kStartUs = 1'000'000;

std::shared_ptr<const DtlsCertificate> NewCertificate() {
  auto cert = DtlsCertificate::Generate();
  EXPECT_TRUE(cert.ok()) << cert.status().ToString();
  return cert.ok() ? *cert : nullptr;
}

std::vector<uint8_t> MakeRtp(uint16_t seq) {
  std::vector<uint8_t> p = {0x80,
                            96,
                            static_cast<uint8_t>(seq >> 8),
                            static_cast<uint8_t>(seq),
                            0,
                            0,
                            0,
                            160,
                            0x12,
                            0x34,
                            0x56,
                            0x78};
  for (int i = 0; i < 160; ++i) p.push_back(static_cast<uint8_t>(i * 7 + seq));
  return p;
}

// One side of the association and what it has reported so far.
struct Side {
  std::unique_ptr<DtlsTransport> dtls;
  std::deque<std::vector<uint8_t>> inbox;  // datagrams on their way to this side
  std::optional<SrtpKeys> keys;
  std::optional<DtlsFailure> failure;
  std::string failure_detail;
  bool closed = false;
  std::vector<DtlsDrop> drops;
  size_t largest_datagram_sent = 0;
  int events = 0;
};

// Books `result` against `self` and posts its datagrams to `peer`.
void Take(DtlsResult result, Side& self, Side& peer) {
  for (std::vector<uint8_t>& d : result.datagrams) {
    self.largest_datagram_sent = std::max(self.largest_datagram_sent, d.size());
    peer.inbox.push_back(std::move(d));
  }
  if (result.drop) self.drops.push_back(*result.drop);
  if (result.event != Event::kNone) ++self.events;
  switch (result.event) {
    case Event::kConnected:
      EXPECT_TRUE(result.keys.has_value());
      self.keys = std::move(result.keys);
      break;
    case Event::kFailed:
      EXPECT_FALSE(result.keys.has_value());
      self.failure = result.failure;
      self.failure_detail = result.failure_detail;
      break;
    case Event::kClosed:
      self.closed = true;
      break;
    case Event::kNone:
      EXPECT_FALSE(result.keys.has_value());
      break;
  }
}

class DtlsTransportTest : public ::testing::Test {
 protected:
  void Create(DtlsTransportOptions client_options = {}, DtlsTransportOptions server_options = {}) {
    client_.dtls = Make(DtlsRole::kClient, client_cert_, server_cert_, std::move(client_options));
    server_.dtls = Make(DtlsRole::kServer, server_cert_, client_cert_, std::move(server_options));
  }

  static std::unique_ptr<DtlsTransport> Make(DtlsRole role,
                                             std::shared_ptr<const DtlsCertificate> ours,
                                             std::shared_ptr<const DtlsCertificate> theirs,
                                             DtlsTransportOptions options) {
    auto dtls = DtlsTransport::Create(role, std::move(ours), {theirs->sdp_fingerprint()},
                                      std::move(options));
    EXPECT_TRUE(dtls.ok()) << dtls.status().ToString();
    return dtls.ok() ? std::move(dtls).value() : nullptr;
  }

  // Carries datagrams both ways until none are in flight; `copies` delivers each that many times.
  void Pump(int copies = 1) {
    for (int step = 0; step < 400 && (!client_.inbox.empty() || !server_.inbox.empty()); ++step) {
      Deliver(server_, client_, copies);
      Deliver(client_, server_, copies);
    }
    EXPECT_TRUE(client_.inbox.empty() && server_.inbox.empty()) << "handshake did not settle";
  }

  void Deliver(Side& to, Side& from, int copies) {
    if (to.inbox.empty()) return;
    const std::vector<uint8_t> datagram = std::move(to.inbox.front());
    to.inbox.pop_front();
    for (int i = 0; i < copies; ++i) Take(to.dtls->HandleDatagram(datagram, now_us_), to, from);
  }

  void Handshake(int copies = 1) {
    Take(server_.dtls->Start(now_us_), server_, client_);
    Take(client_.dtls->Start(now_us_), client_, server_);
    Pump(copies);
  }

  void ExpectConnectedWithMirroredKeys() {
    ASSERT_EQ(client_.dtls->state(), DtlsState::kConnected) << client_.failure_detail;
    ASSERT_EQ(server_.dtls->state(), DtlsState::kConnected) << server_.failure_detail;
    ASSERT_TRUE(client_.keys.has_value());
    ASSERT_TRUE(server_.keys.has_value());
    EXPECT_EQ(client_.keys->suite, server_.keys->suite);
    EXPECT_EQ(client_.keys->local_key_salt, server_.keys->remote_key_salt);
    EXPECT_EQ(client_.keys->remote_key_salt, server_.keys->local_key_salt);
    EXPECT_NE(client_.keys->local_key_salt, client_.keys->remote_key_salt);
    EXPECT_EQ(client_.keys->local_key_salt.size(), srtp::KeyAndSaltLength(client_.keys->suite));
  }

  std::shared_ptr<const DtlsCertificate> client_cert_ = NewCertificate();
  std::shared_ptr<const DtlsCertificate> server_cert_ = NewCertificate();
  Side client_;
  Side server_;
  int64_t now_us_ = kStartUs;
};

TEST_F(DtlsTransportTest, HandshakeYieldsMirroredKeysAndPrefersGcm) {
  Create();
  Take(client_.dtls->Start(now_us_), client_, server_);
  ASSERT_FALSE(server_.inbox.empty());
  EXPECT_TRUE(LooksLikeClientHello(server_.inbox.front()));
  Pump();
  ASSERT_NO_FATAL_FAILURE(ExpectConnectedWithMirroredKeys());
  EXPECT_EQ(client_.keys->suite, SrtpSuite::kAeadAes128Gcm);
  EXPECT_EQ(client_.events, 1);
  EXPECT_EQ(server_.events, 1);
  EXPECT_TRUE(client_.drops.empty());
  EXPECT_TRUE(server_.drops.empty());
  EXPECT_LE(client_.largest_datagram_sent, 1200u);
  EXPECT_LE(server_.largest_datagram_sent, 1200u);
}

TEST_F(DtlsTransportTest, TheServersPreferenceDecidesTheProfile) {
  DtlsTransportOptions client_options;
  client_options.srtp_profiles = {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAeadAes128Gcm};
  Create(client_options);
  Handshake();
  ASSERT_NO_FATAL_FAILURE(ExpectConnectedWithMirroredKeys());
  EXPECT_EQ(server_.keys->suite, SrtpSuite::kAeadAes128Gcm);
}

class DtlsSrtpSuiteTest : public DtlsTransportTest,
                          public ::testing::WithParamInterface<SrtpSuite> {};

INSTANTIATE_TEST_SUITE_P(Profiles, DtlsSrtpSuiteTest,
                         ::testing::Values(SrtpSuite::kAeadAes128Gcm,
                                           SrtpSuite::kAesCm128HmacSha1_80,
                                           SrtpSuite::kAesCm128HmacSha1_32),
                         [](const auto& info) { return std::string(SrtpSuiteName(info.param)); });

TEST_P(DtlsSrtpSuiteTest, ExportedKeysProtectAndUnprotectBothWays) {
  DtlsTransportOptions options;
  options.srtp_profiles = {GetParam()};
  Create(options, options);
  Handshake();
  ASSERT_NO_FATAL_FAILURE(ExpectConnectedWithMirroredKeys());
  ASSERT_EQ(client_.keys->suite, GetParam());

  struct Direction {
    const SrtpKeys& sender;
    const SrtpKeys& receiver;
  };
  for (const Direction& d :
       {Direction{*client_.keys, *server_.keys}, Direction{*server_.keys, *client_.keys}}) {
    auto protect =
        SrtpSession::Create(GetParam(), d.sender.local_key_salt, SrtpSession::Direction::kOutbound);
    auto unprotect = SrtpSession::Create(GetParam(), d.receiver.remote_key_salt,
                                         SrtpSession::Direction::kInbound);
    ASSERT_TRUE(protect.ok()) << protect.status().ToString();
    ASSERT_TRUE(unprotect.ok()) << unprotect.status().ToString();
    const std::vector<uint8_t> plain = MakeRtp(7);
    std::vector<uint8_t> packet = plain;
    ASSERT_EQ((*protect)->ProtectRtp(packet), srtp::SrtpResult::kOk);
    EXPECT_NE(packet, plain);
    ASSERT_EQ((*unprotect)->UnprotectRtp(packet), srtp::SrtpResult::kOk);
    EXPECT_EQ(packet, plain);
  }
  // The keys of one direction do not open the other.
  auto wrong = SrtpSession::Create(GetParam(), server_.keys->local_key_salt,
                                   SrtpSession::Direction::kInbound);
  auto sender = SrtpSession::Create(GetParam(), client_.keys->local_key_salt,
                                    SrtpSession::Direction::kOutbound);
  ASSERT_TRUE(wrong.ok() && sender.ok());
  std::vector<uint8_t> packet = MakeRtp(8);
  ASSERT_EQ((*sender)->ProtectRtp(packet), srtp::SrtpResult::kOk);
  EXPECT_EQ((*wrong)->UnprotectRtp(packet), srtp::SrtpResult::kAuthFailed);

  client_.keys->Wipe();
  EXPECT_TRUE(client_.keys->local_key_salt.empty());
  EXPECT_TRUE(client_.keys->remote_key_salt.empty());
}

TEST_F(DtlsTransportTest, NoCommonProfileFailsWithoutKeys) {
  DtlsTransportOptions client_options;
  client_options.srtp_profiles = {SrtpSuite::kAesCm128HmacSha1_80};
  DtlsTransportOptions server_options;
  server_options.srtp_profiles = {SrtpSuite::kAeadAes128Gcm};
  Create(client_options, server_options);
  Handshake();
  EXPECT_EQ(server_.failure, DtlsFailure::kNoSrtpProfile);
  EXPECT_EQ(client_.failure, DtlsFailure::kNoSrtpProfile);
  EXPECT_FALSE(server_.keys.has_value());
  EXPECT_FALSE(client_.keys.has_value());
}

TEST_F(DtlsTransportTest, WrongClientFingerprintFailsOnTheServer) {
  client_.dtls = Make(DtlsRole::kClient, client_cert_, server_cert_, {});
  // The server was told another certificate's fingerprint.
  server_.dtls = Make(DtlsRole::kServer, server_cert_, NewCertificate(), {});
  Handshake();
  ASSERT_EQ(server_.dtls->state(), DtlsState::kFailed);
  ASSERT_EQ(server_.failure, DtlsFailure::kFingerprintMismatch);
  EXPECT_STREQ(DtlsFailureName(*server_.failure), "fingerprint_mismatch");
  EXPECT_EQ(server_.failure_detail, "certificate fingerprint does not match the SDP");
  EXPECT_FALSE(server_.keys.has_value());
  // The server's alert ends the client too, without keys.
  EXPECT_FALSE(client_.keys.has_value());
  EXPECT_EQ(client_.dtls->state(), DtlsState::kFailed);
}

TEST_F(DtlsTransportTest, WrongServerFingerprintFailsOnTheClient) {
  client_.dtls = Make(DtlsRole::kClient, client_cert_, NewCertificate(), {});
  server_.dtls = Make(DtlsRole::kServer, server_cert_, client_cert_, {});
  Handshake();
  EXPECT_EQ(client_.failure, DtlsFailure::kFingerprintMismatch);
  EXPECT_FALSE(client_.keys.has_value());
  EXPECT_FALSE(server_.keys.has_value());
  EXPECT_NE(server_.dtls->state(), DtlsState::kConnected);
}

TEST_F(DtlsTransportTest, LostClientHelloIsRetransmittedOnTimer) {
  DtlsTransportOptions client_options;
  client_options.initial_retransmit_timeout = std::chrono::milliseconds(16);
  Create(client_options);
  const DtlsResult first = client_.dtls->Start(now_us_);
  ASSERT_FALSE(first.datagrams.empty());  // all lost on the way
  ASSERT_TRUE(client_.dtls->NextTimeout(now_us_).has_value());

  // OpenSSL's timer is due 1 ms (real time) after Start (see the top of the file); OnTimer does not
  // block, so this spins for about that long. The bound only stops a broken build.
  std::vector<std::vector<uint8_t>> retransmitted;
  for (int i = 0; i < 10'000'000 && retransmitted.empty(); ++i) {
    DtlsResult tick = client_.dtls->OnTimer(now_us_);
    EXPECT_EQ(tick.event, Event::kNone);
    retransmitted = std::move(tick.datagrams);
  }
  ASSERT_FALSE(retransmitted.empty());
  // The same ClientHello message, in a record with a later record sequence number.
  const auto old_records = SplitDtlsRecords(first.datagrams[0]);
  const auto new_records = SplitDtlsRecords(retransmitted[0]);
  ASSERT_TRUE(old_records && new_records);
  EXPECT_TRUE(LooksLikeClientHello(retransmitted[0]));
  EXPECT_TRUE(std::ranges::equal(old_records->front().body, new_records->front().body));
  EXPECT_GT(new_records->front().sequence_number, old_records->front().sequence_number);

  for (auto& d : retransmitted) server_.inbox.push_back(std::move(d));
  Pump();
  ASSERT_NO_FATAL_FAILURE(ExpectConnectedWithMirroredKeys());
}

TEST_F(DtlsTransportTest, DuplicatedFlightsDoNotBreakTheHandshake) {
  Create();
  Handshake(/*copies=*/2);
  ASSERT_NO_FATAL_FAILURE(ExpectConnectedWithMirroredKeys());
  EXPECT_EQ(client_.events, 1);
  EXPECT_EQ(server_.events, 1);
}

TEST_F(DtlsTransportTest, ReplayedClientHelloAfterConnectingChangesNothing) {
  Create();
  Take(client_.dtls->Start(now_us_), client_, server_);
  const std::vector<uint8_t> hello = server_.inbox.front();
  Pump();
  ASSERT_NO_FATAL_FAILURE(ExpectConnectedWithMirroredKeys());
  Take(server_.dtls->HandleDatagram(hello, now_us_), server_, client_);
  Pump();
  EXPECT_EQ(server_.dtls->state(), DtlsState::kConnected);
  EXPECT_EQ(client_.dtls->state(), DtlsState::kConnected);
  EXPECT_EQ(server_.events, 1);
}

TEST_F(DtlsTransportTest, SmallMtuFragmentsTheHandshake) {
  DtlsTransportOptions options;
  options.mtu = 300;
  Create(options, options);
  Handshake();
  ASSERT_NO_FATAL_FAILURE(ExpectConnectedWithMirroredKeys());
  EXPECT_LE(client_.largest_datagram_sent, 300u);
  EXPECT_LE(server_.largest_datagram_sent, 300u);
}

TEST_F(DtlsTransportTest, CloseNotifyClosesThePeer) {
  Create();
  Handshake();
  ASSERT_NO_FATAL_FAILURE(ExpectConnectedWithMirroredKeys());
  DtlsResult close = client_.dtls->Close();
  EXPECT_EQ(close.event, Event::kClosed);
  ASSERT_FALSE(close.datagrams.empty());
  EXPECT_EQ(client_.dtls->state(), DtlsState::kClosed);
  Take(std::move(close), client_, server_);
  Pump();
  EXPECT_TRUE(server_.closed);
  EXPECT_EQ(server_.dtls->state(), DtlsState::kClosed);
  // Whatever arrives afterwards is dropped.
  Take(server_.dtls->HandleDatagram(
           std::vector<uint8_t>{22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, now_us_),
       server_, client_);
  EXPECT_EQ(server_.drops.back(), DtlsDrop::kNotActive);
  EXPECT_FALSE(server_.dtls->NextTimeout(now_us_).has_value());
  DtlsResult again = client_.dtls->Close();
  EXPECT_EQ(again.event, Event::kNone);
  EXPECT_TRUE(again.datagrams.empty());
}

TEST_F(DtlsTransportTest, GarbageIsDroppedAndCounted) {
  Create();
  const std::vector<uint8_t> junk = {0x16, 0xFE, 0xFD, 1, 2};
  const std::vector<uint8_t> tls13 = {22, 0xFE, 0xFC, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
  const std::vector<uint8_t> huge(DtlsTransport::kMaxDatagramSize + 1, 0x17);
  Take(server_.dtls->HandleDatagram({}, now_us_), server_, client_);
  Take(server_.dtls->HandleDatagram(junk, now_us_), server_, client_);
  Take(server_.dtls->HandleDatagram(tls13, now_us_), server_, client_);
  Take(server_.dtls->HandleDatagram(huge, now_us_), server_, client_);
  EXPECT_EQ(server_.drops,
            (std::vector<DtlsDrop>{DtlsDrop::kMalformed, DtlsDrop::kMalformed,
                                   DtlsDrop::kUnsupportedVersion, DtlsDrop::kTooLarge}));
  EXPECT_EQ(server_.dtls->state(), DtlsState::kNew);  // garbage does not start the handshake
  EXPECT_TRUE(client_.inbox.empty());

  Handshake();
  ASSERT_NO_FATAL_FAILURE(ExpectConnectedWithMirroredKeys());
  // Application data (a data channel) is dropped, the session carries on.
  const std::vector<uint8_t> data = {23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 9, 0, 3, 1, 2, 3};
  Take(server_.dtls->HandleDatagram(data, now_us_), server_, client_);
  EXPECT_EQ(server_.drops.back(), DtlsDrop::kApplicationData);
  EXPECT_STREQ(DtlsDropName(server_.drops.back()), "application_data");
  EXPECT_EQ(server_.dtls->state(), DtlsState::kConnected);
}

TEST_F(DtlsTransportTest, TooManyHandshakeDatagramsFail) {
  DtlsTransportOptions server_options;
  server_options.max_handshake_datagrams = 3;
  Create({}, server_options);
  // Well framed records of an epoch the server is not in: OpenSSL drops them quietly.
  const std::vector<uint8_t> stray = {22, 0xFE, 0xFD, 0, 5, 0, 0, 0, 0, 0, 1, 0, 2, 0, 0};
  for (int i = 0; i < 3; ++i) Take(server_.dtls->HandleDatagram(stray, now_us_), server_, client_);
  EXPECT_EQ(server_.dtls->state(), DtlsState::kConnecting);
  EXPECT_FALSE(server_.failure.has_value()) << server_.failure_detail;
  Take(server_.dtls->HandleDatagram(stray, now_us_), server_, client_);
  EXPECT_EQ(server_.failure, DtlsFailure::kTooManyPackets);
  EXPECT_EQ(server_.dtls->state(), DtlsState::kFailed);
}

TEST_F(DtlsTransportTest, HandshakeTimesOutOnTheCallersClock) {
  Create();
  EXPECT_FALSE(server_.dtls->NextTimeout(now_us_).has_value());  // not started
  Take(server_.dtls->Start(now_us_), server_, client_);
  const auto first = server_.dtls->NextTimeout(now_us_);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->count(), 30'000'000);

  Take(server_.dtls->OnTimer(now_us_ + 29'000'000), server_, client_);
  EXPECT_EQ(server_.dtls->state(), DtlsState::kConnecting);
  const auto last_second = server_.dtls->NextTimeout(now_us_ + 29'000'000);
  ASSERT_TRUE(last_second.has_value());
  EXPECT_EQ(last_second->count(), 1'000'000);
  Take(server_.dtls->OnTimer(now_us_ + 30'000'000), server_, client_);
  EXPECT_EQ(server_.failure, DtlsFailure::kHandshakeTimeout);
  EXPECT_EQ(server_.dtls->state(), DtlsState::kFailed);
  EXPECT_FALSE(server_.dtls->NextTimeout(now_us_ + 30'000'000).has_value());
}

TEST(DtlsTransportCreate, RefusesBadArguments) {
  auto cert = NewCertificate();
  ASSERT_NE(cert, nullptr);
  const std::vector<SdpFingerprint> fingerprints = {cert->sdp_fingerprint()};
  EXPECT_FALSE(DtlsTransport::Create(DtlsRole::kServer, nullptr, fingerprints).ok());
  EXPECT_FALSE(DtlsTransport::Create(DtlsRole::kServer, cert, {}).ok());
  DtlsTransportOptions no_profiles;
  no_profiles.srtp_profiles.clear();
  EXPECT_FALSE(DtlsTransport::Create(DtlsRole::kServer, cert, fingerprints, no_profiles).ok());
  DtlsTransportOptions tiny_mtu;
  tiny_mtu.mtu = 100;
  EXPECT_FALSE(DtlsTransport::Create(DtlsRole::kServer, cert, fingerprints, tiny_mtu).ok());
  DtlsTransportOptions no_packets;
  no_packets.max_handshake_datagrams = 0;
  EXPECT_FALSE(DtlsTransport::Create(DtlsRole::kServer, cert, fingerprints, no_packets).ok());
  DtlsTransportOptions repeated;
  repeated.srtp_profiles = {SrtpSuite::kAeadAes128Gcm, SrtpSuite::kAeadAes128Gcm};
  EXPECT_TRUE(DtlsTransport::Create(DtlsRole::kServer, cert, fingerprints, repeated).ok());
}

}  // namespace
}  // namespace tessera::webrtc
