// Tessera's SIP user agent: dial-in (a Request-URI names a room or one of its numbers), trunk
// allow-lists and digest authentication, PINs, offer/answer into room participants, hold and
// resume, session timers, INFO (PIN digits, picture_fast_update) and dial-out. Every call is one
// room participant, joined through the session's RoomDirectory. See docs/operations.md, "SIP",
// and docs/architecture.md, "SIP user agent".
//
// Runs on: its own control io_context thread (transports, transaction layer, calls). Start, Stop
// and Control may be called from any thread; the RoomDirectory is called from the SIP thread (it
// blocks until the rooms applied a join or leave) and calls back only through posts.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/session/config.h>
#include <tessera/session/room_directory.h>
#include <tessera/sip/asio_timer_service.h>
#include <tessera/sip/digest.h>
#include <tessera/sip/sdp_negotiation.h>
#include <tessera/sip/tcp_transport.h>
#include <tessera/sip/transaction_layer.h>
#include <tessera/sip/udp_transport.h>
#include <tessera/sipua/config.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tessera::sipua {

using session::RoomConfig;

struct SipStats {
  uint64_t calls_in = 0;   // INVITEs that became calls
  uint64_t calls_out = 0;  // dial-outs answered
  // 401s: a digest challenge to an INVITE without credentials (the first INVITE of every digest
  // caller) or with a stale nonce. Not a refusal: the caller retries with credentials.
  uint64_t auth_challenges = 0;
  uint64_t rejected_auth = 0;  // 403s: no users, unknown user, bad credentials, wrong password
  uint64_t rejected_room = 0;  // 404
  uint64_t redirected = 0;     // 302: the room runs on another node of the cluster
  uint64_t rejected_busy = 0;  // 486 (max_calls, room full)
  uint64_t rejected_sdp = 0;   // 400 bad SDP, 488
  uint64_t pin_failures = 0;   // calls ended for a wrong or missing PIN
  uint64_t session_timeouts = 0;
  uint64_t keyframe_infos_in = 0;
  uint64_t keyframe_infos_out = 0;
  // Answers to the consent prompt (SipConsentPromptConfig): keys pressed, and prompts that ran
  // out of time.
  uint64_t consent_granted = 0;
  uint64_t consent_declined = 0;
  uint64_t consent_timeouts = 0;
};

class SipService : public sip::TransactionUser {
 public:
  // media_address: c= of our SDP when sip.media_address is empty (server.bind_address).
  SipService(SipConfig config, std::string media_address, session::RoomDirectory& rooms,
             Clock& clock = SystemClock());
  ~SipService() override;

  // In a cluster: where a room that is not here runs, by the Request-URI's user (a room's name
  // or SIP number): the node's SIP address ("host:port") for a 302, or nullopt. Called on the
  // SIP thread; it may block briefly. Before Start.
  void SetRoomLocator(std::function<std::optional<std::string>(const std::string& user)> locate) {
    locate_ = std::move(locate);
  }
  // Opens the listeners (an address in use is an error naming it) and starts the SIP thread.
  Status Start();
  // Ends every call (BYE, or 480 to one still ringing), waits briefly for the BYEs to leave,
  // then stops the thread. The Server is stopped after this.
  void Stop();
  // Operator commands the SIP service answers ("calls", "dial ROOM URI [NAME]", "hangup
  // CALL-ID"); nullopt for any other verb. Runs on: the caller's thread; blocks.
  std::optional<std::string> Control(const std::string& line);
  // The same operations, typed, for the control plane (console and HTTP API). Runs on: any
  // thread; each blocks until the SIP thread did it. FailedPrecondition while not running.
  // The calls: one object each (call_id, room, participant, participant_id, state, direction,
  // remote, transport).
  StatusOr<nlohmann::json> Calls();
  // Counters: calls in/out, challenges and refusals by cause, transports.
  StatusOr<nlohmann::json> Stats();
  // The room calls `uri`; the new call's Call-ID once its INVITE is sent.
  StatusOr<std::string> DialOut(const std::string& room, const std::string& uri,
                                const std::string& name);
  // BYE once established, 480 to a caller still ringing, CANCEL to an unanswered dial-out.
  Status Hangup(const std::string& call_id);
  // The bound port of the first listener of `transport` ("udp", "tcp", "tls"); 0 if none.
  uint16_t port(const std::string& transport) const;

  void OnTransactionEvent(const sip::TuEvent& event) override;
  const SipStats& stats() const { return stats_; }  // on the SIP thread

  struct Call;  // sip_call.h

 private:
  std::function<std::optional<std::string>(const std::string&)> locate_;
  struct Listener {
    std::string transport;  // "UDP", "TCP", "TLS"
    std::string host;       // for Via and Contact
    uint16_t port = 0;
  };

  // Requests and responses (sip_service.cc, sip_call_in.cc, sip_call_out.cc).
  void OnRequest(const sip::TuEvent& event);
  void OnInvite(const sip::TuEvent& event);
  void OnAck(const sip::TuEvent& event);
  void OnBye(const sip::TuEvent& event, Call& call);
  void OnReInvite(const sip::TuEvent& event, Call& call);
  void OnUpdate(const sip::TuEvent& event, Call& call);
  void OnInfo(const sip::TuEvent& event, Call& call);
  // The answer to an in-dialog offer (re-INVITE, UPDATE), applied to the room; nullopt when it
  // was refused (488) or could not be applied (500, the call ended).
  std::optional<sip::SessionDescription> AnswerReOffer(const sip::TuEvent& event, Call& call);
  // RFC 4028 refresh: the interval the request asks for, in our 2xx, and the timer re-armed.
  void RefreshSession(const sip::SipMessage& request, Call& call, sip::SipMessage& ok);
  void OnCancel(const sip::TuEvent& event);
  void OnResponse(const sip::TuEvent& event);
  void OnTimeout(const sip::TuEvent& event);

  // Authorisation of a new INVITE: true to go on; else it was answered (401/403).
  bool Authorize(const sip::TuEvent& event);
  // The room a Request-URI names (its name or one of its rooms[].sip.numbers).
  std::optional<session::RoomConfig> RoomFor(const sip::SipUri& uri);
  // The INVITE's offer answered again on new local ports (after a port conflict).
  StatusOr<sip::NegotiatedSession> RetryAnswer(Call& call, std::pair<uint16_t, uint16_t> ports);
  void Respond(const sip::TuEvent& event, int code, const std::string& reason,
               const std::string& to_tag = {});
  sip::SipMessage Response(const sip::SipMessage& request, int code, const std::string& reason,
                           const std::string& to_tag) const;
  void AddCommonHeaders(sip::SipMessage& m, const Call* call) const;

  // Calls.
  void Accept(const std::string& key);
  // Joins the room with the negotiated session; false (and the call ended) on an error.
  bool JoinCall(Call& call, int* sip_code, std::string* reason);
  // Applies a new negotiated session to a joined call (hold, resume, new ports or codecs).
  Status Renegotiate(Call& call, sip::NegotiatedSession session);
  void OnDigit(const std::string& key, char digit);
  // The consent prompt (sip_consent.cc): started once the call is heard (after its PIN), its
  // notice played again after a rejoin; a grant or decline key answers it at any time.
  void AskConsent(Call& call);
  bool OnConsentKey(Call& call, char digit);
  void EndConsentNotice(Call& call);
  void ArmConsentTimer(Call& call);
  // Its time stands still while the call is on hold (nobody hears the notice).
  void ConsentHoldChanged(Call& call);
  // The participant's consent changed (its keys, or the API): kept for a rejoin; an answer from
  // elsewhere ends the prompt.
  void OnConsentSet(const std::string& key, session::Consent consent, const std::string& source);
  // The listener of the call `key` (given to JoinRoom).
  std::shared_ptr<session::ParticipantListener> CallListenerFor(const std::string& key);
  // A call's participant left the room (the operator's kick): the call ends.
  void OnParticipantLeft(const std::string& room, uint32_t id);
  void SendKeyframeInfo(const std::string& key);
  void ArmSessionTimer(Call& call);
  // Ends a call: out of the room, BYE (if established) with a Reason, gone.
  void EndCall(const std::string& key, const std::string& why, int cause = 200);
  // A request in the call's dialog with the next local CSeq (RFC 3261 12.2.1.1).
  sip::SipMessage InDialogRequest(Call& call, const std::string& method);
  sip::SipMessage DialogRequest(const Call& call, const std::string& method, uint32_t cseq) const;
  void SendInDialog(Call& call, sip::SipMessage request);
  sip::Destination DialogDestination(const Call& call) const;
  std::string Contact(const Call& call) const;
  const Listener& ListenerFor(const std::string& transport) const;
  // Whether a live call's signalling goes over `connection` (a TCP or TLS connection's remote).
  bool CarriesCall(const sip::Destination& connection) const;
  std::string NewCallKey(const std::string& call_id, const std::string& local_tag) const;
  Call* FindDialog(const sip::SipMessage& m);
  std::string UniqueName(const std::string& room, const std::string& base);
  StatusOr<std::pair<uint16_t, uint16_t>> PickPorts(const session::RoomConfig& room);

  // Dial-out (sip_call_out.cc).
  // On the SIP thread: the INVITE of a dial-out is sent; its Call-ID.
  StatusOr<std::string> Dial(const std::string& room, const std::string& uri,
                             const std::string& name);
  void OnDialResponse(Call& call, const sip::SipMessage& response);
  // Our INVITE with the offer, the next CSeq, and a request for session timers.
  sip::SipMessage DialOutInvite(Call& call);
  std::string CallsJson() const;

  // Runs f on the SIP thread and waits.
  template <typename F>
  auto RunOnSip(F&& f) -> decltype(f());

  SipConfig config_;
  session::RoomDirectory& rooms_;
  Clock& clock_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::unique_ptr<sip::AsioTimerService> timers_;
  sip::TransportRouter router_;
  std::vector<std::unique_ptr<sip::UdpTransport>> udp_;
  std::vector<std::unique_ptr<sip::TcpTransport>> tcp_;
  std::vector<Listener> listeners_;
  std::unique_ptr<sip::TransactionLayer> layer_;
  std::unique_ptr<sip::DigestServer> digest_;
  // Stored HA1 per user, per algorithm.
  std::map<std::string, std::pair<std::string, std::string>> ha1_;  // name -> (md5, sha256)
  std::string default_media_address_;
  std::string media_address_;
  // A call's participant events (DTMF, keyframe needs, leaving) come from the rooms' threads
  // through a CallListener, posted to the SIP thread while the gate is open.
  struct Gate;
  class CallListener;
  std::shared_ptr<Gate> gate_;
  std::map<std::string, std::unique_ptr<Call>> calls_;      // by Call-ID "|" local tag
  std::map<std::string, std::unique_ptr<Call>> cancelled_;  // dial-outs we CANCELled, by key
  std::map<std::pair<std::string, uint32_t>, std::string> by_participant_;  // (room, id) -> key
  std::map<sip::TransactionId, std::string> by_transaction_;  // client/server txns -> key
  SipStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool stopping_ = false;
  bool started_ = false;
};

}  // namespace tessera::sipua
