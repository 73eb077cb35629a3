// WebRtcService: browsers as room participants. A WHIP offer (the browser publishes its camera and
// microphone) or a WHEP offer (it views the room's composite and hears its mix) becomes a
// participant like any other, joined through the RoomDirectory with a PeerTransport as the link
// its legs run over (session/external_link.h): one UDP port for every browser of the node,
// ICE-lite, DTLS-SRTP. The HTTP resources (control/) call Open and Close; a browser that stops
// answering ICE consent checks for 30 s, or whose DTLS fails, leaves its room by itself.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/status.h>
#include <tessera/session/room_directory.h>
#include <tessera/webrtc/browser_sdp.h>
#include <tessera/webrtc/dtls_certificate.h>
#include <tessera/webrtc/ice_lite.h>
#include <tessera/webrtc/turn_credentials.h>

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace tessera::webrtc {

class PeerTransport;
class SharedPort;

struct WebRtcConfig {
  bool enabled = false;
  std::string bind_address = "127.0.0.1";  // the shared UDP port's address
  uint16_t udp_port = 8443;                // 0: any free port (logged)
  // ICE-TCP (RFC 6544, passive) for networks that block UDP: one TCP port, unset: the UDP port's
  // number (0 with udp_port 0: any free port, logged).
  bool tcp = true;
  std::optional<uint16_t> tcp_port;
  // The address browsers are told (the ICE candidate): the public address of a 1:1 NAT in front
  // of the node. Empty: bind_address.
  std::string announced_address;
  // PEM files of the DTLS certificate and its key; empty: an ECDSA P-256 certificate made at
  // start (browsers pin it per session through the SDP fingerprint, so nobody needs to trust it).
  std::string certificate_file;
  std::string key_file;
  // TURN servers (coturn with use-auth-secret) handed to browsers with credentials of their own,
  // for networks that block UDP to the node; none: browsers reach the node directly.
  TurnConfig turn;
};

struct WebRtcOffer {
  BrowserSessionKind kind = BrowserSessionKind::kPublish;
  std::string room;
  std::string sdp;
  std::string name;            // the participant's name in the room; empty: "browser-<n>"
  std::string source_address;  // the HTTP client's, for the logs
  session::Consent consent = session::Consent::kUnknown;  // a publisher's, to being recorded
};

struct WebRtcResource {
  std::string id;  // the WHIP/WHEP resource: /whip/{room}/{id}
  std::string answer_sdp;
  std::string etag;
  uint32_t participant_id = 0;
};

struct WebRtcPatchResult {
  bool restarted = false;  // false: candidates only (204)
  std::string fragment;    // restarted: the answer (application/trickle-ice-sdpfrag)
  std::string etag;        // restarted: the resource's new ETag
};

// Runs on: Start and Stop on the thread that owns the Server; Open, Close and Count on any other
// thread (the HTTP server's), each blocking until the shard and the rooms applied it. The
// transports run on `shard`; a small thread of its own makes departed browsers leave their rooms
// (the shard may not call into the directory, which waits on the shards).
class WebRtcService {
 public:
  // Binds the shared port and loads or makes the certificate. Errors name the port or the file.
  static StatusOr<std::unique_ptr<WebRtcService>> Create(const WebRtcConfig& config,
                                                         session::RoomDirectory& rooms,
                                                         boost::asio::io_context& shard,
                                                         Clock& clock);
  ~WebRtcService();

  // The port receives (queued to the shard).
  void Start();
  // Every browser leaves its room; the port closes. Before the shards stop.
  void Stop();

  uint16_t udp_port() const { return udp_port_; }
  std::optional<uint16_t> tcp_port() const { return tcp_port_; }
  const std::string& fingerprint() const { return fingerprint_; }

  // The SDP answer to a browser's offer, its participant joined. Errors: Unavailable (stopped or
  // draining), NotFound (no such room), InvalidArgument (not an SDP offer Tessera can read, or
  // missing ICE/DTLS attributes), PermissionDenied (the name is not one a participant may
  // have), FailedPrecondition (nothing in common: the message says what
  // the offer had and what the room serves), AlreadyExists (the name is taken), ResourceExhausted
  // (the room is full).
  StatusOr<WebRtcResource> Open(const WebRtcOffer& offer);
  // The browser leaves: DELETE on its resource. NotFound for an unknown resource, or one of
  // another room or kind (a WHEP path never ends a WHIP session).
  Status Close(BrowserSessionKind kind, const std::string& room, const std::string& id);
  // PATCH of the resource with a trickle ICE fragment (RFC 8840; WHIP, RFC 9725 4.3). New ICE
  // credentials in it: an ICE restart (the participant, its tile and its mix stay; new local
  // credentials, answered as a fragment with a new ETag). Otherwise trickled candidates, which an
  // ICE-lite server does not need (it learns the browser's addresses from its checks): accepted,
  // nothing to answer. if_match: the resource's ETag or "*". Errors: NotFound (as Close),
  // FailedPrecondition (if_match is neither: the resource changed), InvalidArgument (not a
  // fragment Tessera can read).
  StatusOr<WebRtcPatchResult> Patch(BrowserSessionKind kind, const std::string& room,
                                    const std::string& id, const std::string& if_match,
                                    std::string_view fragment);
  size_t Count();
  // The configured TURN servers, each with a fresh credential (valid turn.ttl_s from now).
  std::vector<TurnServerCredential> IceServers() const;

 private:
  struct Session {
    BrowserSessionKind kind;
    std::string room;
    uint32_t participant_id = 0;
    std::string name;
    std::shared_ptr<PeerTransport> transport;
    std::string etag;
    std::string remote_ufrag;  // the browser's ICE ufrag now: another one in a PATCH restarts
    std::string answer_sdp;    // its m= line, mid and candidates answer a restart
  };
  class Listener;
  WebRtcService(const WebRtcConfig& config, session::RoomDirectory& rooms,
                boost::asio::io_context& shard, Clock& clock);
  // Answers the offer with the first of the room's profiles it can take (view) or with what
  // Tessera decodes (publish).
  StatusOr<BrowserAnswer> Answer(const WebRtcOffer& offer, const session::RoomConfig& room,
                                 const IceCredentials& local, const AnswerParams& base,
                                 std::string* profile);
  // The session is over: out of the registry, its transport closed on the shard, and (leave)
  // out of its room. Runs on: the janitor thread.
  void End(const std::string& id, bool leave, const std::string& why);

  const WebRtcConfig config_;
  session::RoomDirectory& rooms_;
  boost::asio::io_context& shard_;
  Clock& clock_;
  std::unique_ptr<SharedPort> port_;
  uint16_t udp_port_ = 0;
  std::optional<uint16_t> tcp_port_;
  std::shared_ptr<const DtlsCertificate> certificate_;
  std::string fingerprint_;
  std::string turn_secret_;  // read at Create from turn.secret_file
  std::mutex mu_;            // sessions_, next_name_, stopped_
  std::map<std::string, Session> sessions_;
  uint64_t next_name_ = 1;
  bool started_ = false;
  bool stopped_ = false;
  // Where departed browsers are made to leave their rooms.
  boost::asio::io_context janitor_;
  std::unique_ptr<std::thread> janitor_thread_;
};

}  // namespace tessera::webrtc
