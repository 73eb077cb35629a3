// PeerTransport: one WebRTC participant's transport: its ICE-lite agent, its DTLS association and
// the BUNDLE demultiplexing of its SRTP onto its session legs. It is the session::ExternalLink its
// audio and video legs send and receive through; the legs stay ordinary session legs (their SRTP
// sessions are keyed with what DTLS exported, their drops counted as any leg's).
//
// What arrives from the shared port (only from addresses a valid ICE check came from, or checks
// for our ufrag): STUN to the agent, DTLS to the handshake, SRTP by payload type to the audio or
// the video leg, SRTCP to both (each leg takes the reports about its own streams). Anything else
// is dropped and counted.
//
// The peer is gone (on_gone, once) when its consent lapses (RFC 7675: no valid check for 30 s),
// when DTLS fails (a certificate that is not the SDP's among the reasons) or the peer closes it.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/logging.h>
#include <tessera/base/status.h>
#include <tessera/base/thread_checker.h>
#include <tessera/rtp/transport_cc.h>
#include <tessera/session/external_link.h>
#include <tessera/webrtc/dtls_certificate.h>
#include <tessera/webrtc/dtls_transport.h>
#include <tessera/webrtc/ice_lite.h>
#include <tessera/webrtc/shared_port.h>

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessera::webrtc {

struct PeerTransportConfig {
  std::string name;  // the participant, for logs
  // Ours, as the SDP answer gave them; unset: new ones.
  std::optional<IceCredentials> local_ice;
  IceCredentials remote_ice;
  std::vector<SdpFingerprint> remote_fingerprints;
  DtlsRole dtls_role = DtlsRole::kServer;
  std::shared_ptr<const DtlsCertificate> certificate;
  // RTP with this payload type goes to the audio leg; with one of video_payload_types to the video
  // leg. Others are dropped (counted).
  std::optional<uint8_t> audio_payload_type;
  std::vector<uint8_t> video_payload_types;
  IceLiteOptions ice;
  DtlsTransportOptions dtls;
  // Transport-wide congestion control where both sides negotiated it (the header extension and
  // transport-cc feedback): the extension's id; 0 leaves it off. Then what the peer sends is
  // acknowledged every 100 ms, and what is sent to it is numbered and estimated (its estimate,
  // which also probes, goes to the video leg).
  uint8_t transport_cc_extension_id = 0;
  rtp::SendSideEstimator::Config estimator;
};

struct PeerTransportCounts {
  uint64_t stun = 0;  // checks handed to the agent (valid or not: the agent counts why)
  uint64_t dtls = 0;
  uint64_t srtp_audio = 0;
  uint64_t srtp_video = 0;
  uint64_t srtcp = 0;
  uint64_t dropped_unknown_payload_type = 0;  // RTP of no negotiated payload type
  uint64_t dropped_no_leg = 0;                // media for a leg that is not attached
  uint64_t dropped_other = 0;                 // neither STUN, DTLS, RTP nor RTCP
  uint64_t dropped_dtls = 0;                  // DTLS datagrams DtlsTransport dropped
  uint64_t sent = 0;
  uint64_t send_failed = 0;  // no ICE pair yet, or the socket refused
  uint64_t transport_feedback_sent = 0;
  uint64_t transport_feedback_received = 0;
  uint64_t probe_padding_bytes = 0;
};

// Runs on: the shared port's shard. Create anywhere; everything else there.
class PeerTransport final : public session::ExternalLink,
                            public std::enable_shared_from_this<PeerTransport> {
 public:
  using GoneHandler = std::function<void(const std::string& why)>;

  // New local ICE credentials; INVALID_ARGUMENT without a certificate or fingerprints.
  static StatusOr<std::shared_ptr<PeerTransport>> Create(SharedPort& port,
                                                         PeerTransportConfig config, Clock& clock);
  ~PeerTransport() override;

  const IceCredentials& local_ice() const { return agent_->local(); }

  // Joins the shared port (checks for local_ice().ufrag reach it from now on), starts DTLS (the
  // client role sends its ClientHello once ICE selected a pair) and the consent timer.
  Status Start(GoneHandler on_gone);
  // Sends close_notify when connected, leaves the port, stops the timer. Idempotent.
  void Close();
  // ICE restart (RFC 8445 9): the peer's new credentials and new local ones; media goes on.
  Status RestartIce(IceCredentials remote);

  // ExternalLink.
  boost::asio::io_context& shard() override { return port_.shard(); }
  bool Send(std::vector<uint8_t> datagram) override;
  void Attach(session::MediaKind kind, session::LegPacketPath* path) override;
  void OnRtpSending(session::MediaKind kind, std::vector<uint8_t>& rtp, bool probe) override;
  void OnRtpReceived(session::MediaKind kind, std::span<const uint8_t> rtp,
                     int64_t now_us) override;
  void OnRtcpReceived(session::MediaKind kind, std::span<const uint8_t> compound,
                      int64_t now_us) override;

  // What the timer runs: DTLS retransmissions and deadlines, consent. Public for tests.
  void Poll();

  bool connected() const { return keys_.has_value(); }
  const std::optional<net::Endpoint>& selected() const { return agent_->selected(); }
  const PeerTransportCounts& counts() const { return counts_; }
  const IceCounters& ice_counters() const { return agent_->counters(); }
  // The send-side estimate (transport-wide congestion control on): null otherwise.
  const rtp::SendSideEstimator* estimator() const { return estimator_.get(); }
  // What transport-cc feedback Tessera sends and probing would do now: public for tests.
  void TransportCcTick();
  std::optional<srtp::SrtpSuite> srtp_suite() const;

 private:
  PeerTransport(SharedPort& port, PeerTransportConfig config, Clock& clock,
                std::unique_ptr<IceLiteAgent> agent, std::unique_ptr<DtlsTransport> dtls);
  void OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from);
  void OnStun(std::span<const uint8_t> data, const net::Endpoint& from);
  void OnDtls(std::span<const uint8_t> data, const net::Endpoint& from);
  void Apply(DtlsResult result);
  void KeyLeg(session::MediaKind kind);
  void Gone(const std::string& why);
  void ArmTimer();
  void ArmTransportCcTimer();

  SharedPort& port_;
  PeerTransportConfig config_;
  Clock& clock_;
  std::unique_ptr<IceLiteAgent> agent_;
  std::unique_ptr<DtlsTransport> dtls_;
  std::optional<IceSessionId> session_;
  boost::asio::steady_timer timer_;
  GoneHandler on_gone_;
  bool gone_ = false;
  bool closed_ = false;
  bool dtls_started_ = false;
  std::optional<SrtpKeys> keys_;            // wiped on Close
  std::optional<net::Endpoint> dtls_peer_;  // where DTLS came from last
  session::LegPacketPath* audio_ = nullptr;
  session::LegPacketPath* video_ = nullptr;
  // Transport-wide congestion control (config_.transport_cc_extension_id set).
  rtp::TransportCcReceiver tcc_receiver_;
  std::unique_ptr<rtp::SendSideEstimator> estimator_;
  boost::asio::steady_timer tcc_timer_;
  uint16_t next_transport_seq_ = 0;
  uint32_t feedback_ssrc_ = 0;
  int64_t last_feedback_us_ = 0;
  int64_t last_tick_us_ = 0;
  std::optional<int64_t> probe_until_us_;
  uint64_t bytes_since_tick_ = 0;  // media sent since the last tick (probes pad the rest)
  PeerTransportCounts counts_;
  LogRateLimiter drop_log_;
  ThreadChecker checker_;
};

}  // namespace tessera::webrtc
