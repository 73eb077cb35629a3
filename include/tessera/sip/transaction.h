// RFC 3261 17 transaction state machines as pure, deterministic classes: each input (a message
// received, a timer fired, a transport error, the TU sending a response) returns the list of
// actions to carry out (send bytes, start or cancel a timer, hand something to the TU). Nothing
// here does I/O or reads a clock; TransactionLayer (transaction_layer.h) drives them.
//
// Reliable transports (TCP, TLS): timers A, E and G are not started, and D, I, J and K are zero,
// so the transaction terminates at once where it would start them.
// Runs on: the thread of the TransactionLayer that owns it (the control io_context).
#pragma once

#include <tessera/sip/message.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessera::sip {

using Millis = std::chrono::milliseconds;

// RFC 3261 table 4 base values.
struct TimerConfig {
  Millis t1{500};   // RTT estimate
  Millis t2{4000};  // cap of the non-INVITE request and INVITE response retransmit interval
  Millis t4{5000};  // how long a message may remain in the network
  Millis trying_delay{200};  // an INVITE server sends 100 Trying after this unless answered
  // Not in RFC 3261: an INVITE client in Proceeding (a 1xx seen, no final answer) gives up
  // after this, like a proxy's timer C, so a lost final response cannot pin it for ever.
  Millis invite_proceeding_limit{180'000};
};

enum class TimerId : uint8_t { kA, kB, kD, kE, kF, kG, kH, kI, kJ, kK, kTrying, kProceeding };
const char* TimerName(TimerId id);

// Where bytes go. `connection` names a TCP/TLS connection to reuse (0: any / none).
struct Destination {
  std::string transport = "UDP";  // upper case: UDP, TCP, TLS
  std::string host;               // IP literal (IPv6 without brackets) or name
  uint16_t port = 5060;
  uint64_t connection = 0;
  bool reliable() const { return transport != "UDP"; }
  bool operator==(const Destination&) const = default;
};

struct Action {
  enum class Kind {
    kSend,            // send `bytes` to the transaction's peer
    kStartTimer,      // (re)start `timer` to fire after `duration`
    kCancelTimer,     // cancel `timer` if running
    kPassToTu,        // hand `message` to the TU (a request, or a response for a client)
    kTimeout,         // timer B, F or H (or the Proceeding limit): tell the TU
    kTransportError,  // a send failed: tell the TU
    kTerminated,      // the transaction is over; destroy it after the actions
  };
  Kind kind = Kind::kSend;
  std::string bytes;
  TimerId timer = TimerId::kA;
  Millis duration{0};
  std::optional<SipMessage> message;

  static Action Of(Kind kind) {
    Action a;
    a.kind = kind;
    return a;
  }
  static Action SendBytes(std::string bytes) {
    Action a;
    a.bytes = std::move(bytes);
    return a;
  }
  static Action Start(TimerId timer, Millis duration) {
    Action a = Of(Kind::kStartTimer);
    a.timer = timer;
    a.duration = duration;
    return a;
  }
  static Action Cancel(TimerId timer) {
    Action a = Of(Kind::kCancelTimer);
    a.timer = timer;
    return a;
  }
  static Action Pass(SipMessage message) {
    Action a = Of(Kind::kPassToTu);
    a.message = std::move(message);
    return a;
  }
};
using Actions = std::vector<Action>;

enum class TransactionState { kCalling, kTrying, kProceeding, kCompleted, kConfirmed, kTerminated };
enum class TransactionKind { kInviteClient, kNonInviteClient, kInviteServer, kNonInviteServer };

class Transaction {
 public:
  virtual ~Transaction() = default;
  TransactionKind kind() const { return kind_; }
  TransactionState state() const { return state_; }
  bool is_client() const {
    return kind_ == TransactionKind::kInviteClient || kind_ == TransactionKind::kNonInviteClient;
  }
  // The request that created it; the peer responses go to (server) or requests go to (client).
  const SipMessage& request() const { return request_; }
  const Destination& peer() const { return peer_; }
  // Clients: a matching response. Servers: a retransmitted request, or an ACK (INVITE).
  [[nodiscard]] virtual Actions OnReceive(const SipMessage& message) = 0;
  [[nodiscard]] virtual Actions OnTimer(TimerId timer) = 0;
  [[nodiscard]] Actions OnTransportError();

 protected:
  Transaction(TransactionKind kind, SipMessage request, Destination peer, TimerConfig config);
  bool reliable() const { return peer_.reliable(); }
  // Helpers appending to `out`.
  void Send(Actions& out, std::string bytes) const;
  static void StartTimer(Actions& out, TimerId timer, Millis duration);
  static void CancelTimer(Actions& out, TimerId timer);
  static void PassToTu(Actions& out, const SipMessage& message);
  void Terminate(Actions& out);

  TransactionKind kind_;
  TransactionState state_;
  SipMessage request_;
  Destination peer_;
  TimerConfig config_;
};

// 17.1.1: Calling -> Proceeding -> Completed -> Terminated.
class InviteClientTransaction : public Transaction {
 public:
  InviteClientTransaction(SipMessage invite, Destination peer, TimerConfig config = {});
  // Sends the INVITE; starts A (unreliable) and B.
  [[nodiscard]] Actions Start();
  [[nodiscard]] Actions OnReceive(const SipMessage& response) override;
  [[nodiscard]] Actions OnTimer(TimerId timer) override;

 private:
  std::string request_bytes_;
  std::string ack_bytes_;
  Millis timer_a_{0};
};

// 17.1.2: Trying -> Proceeding -> Completed -> Terminated.
class NonInviteClientTransaction : public Transaction {
 public:
  NonInviteClientTransaction(SipMessage request, Destination peer, TimerConfig config = {});
  // Sends the request; starts E (unreliable) and F.
  [[nodiscard]] Actions Start();
  [[nodiscard]] Actions OnReceive(const SipMessage& response) override;
  [[nodiscard]] Actions OnTimer(TimerId timer) override;

 private:
  std::string request_bytes_;
  Millis timer_e_{0};
};

// Server transactions: `peer` is where responses go (ResponseDestination).
class ServerTransaction : public Transaction {
 public:
  // The TU answers. Provisional or final; a response that the state does not allow (after a
  // final one) is ignored and returns no actions. `response` must answer request().
  [[nodiscard]] virtual Actions SendResponse(const SipMessage& response) = 0;
  // The status code of the last response sent (0: none yet) and its To tag. Only these and the
  // response's bytes are kept, not the parsed response: a server transaction outlives its final
  // response by up to 64*T1 (32 s), so under an INVITE flood thousands of them wait at once.
  int last_status() const { return last_status_; }
  const std::string& last_to_tag() const { return last_to_tag_; }

 protected:
  using Transaction::Transaction;
  void SendStored(Actions& out, const SipMessage& response);
  int last_status_ = 0;
  std::string last_to_tag_;
  std::string last_bytes_;
};

// 17.2.1: Proceeding -> Completed -> Confirmed -> Terminated; a 2xx terminates it at once and
// the TU retransmits the 2xx itself (TwoXxRetransmitter).
class InviteServerTransaction : public ServerTransaction {
 public:
  InviteServerTransaction(SipMessage invite, Destination peer, TimerConfig config = {});
  // Passes the INVITE to the TU and starts the 100 Trying timer.
  [[nodiscard]] Actions Start();
  [[nodiscard]] Actions OnReceive(const SipMessage& message) override;
  [[nodiscard]] Actions OnTimer(TimerId timer) override;
  [[nodiscard]] Actions SendResponse(const SipMessage& response) override;

 private:
  Millis timer_g_{0};
};

// 17.2.2: Trying -> Proceeding -> Completed -> Terminated.
class NonInviteServerTransaction : public ServerTransaction {
 public:
  NonInviteServerTransaction(SipMessage request, Destination peer, TimerConfig config = {});
  // Passes the request to the TU.
  [[nodiscard]] Actions Start();
  [[nodiscard]] Actions OnReceive(const SipMessage& message) override;
  [[nodiscard]] Actions OnTimer(TimerId timer) override;
  [[nodiscard]] Actions SendResponse(const SipMessage& response) override;
};

// RFC 3261 13.3.1.4: the UAS core retransmits a 2xx to INVITE (T1, doubling up to T2) until
// the ACK comes or 64*T1 pass. Uses timer kG for the retransmissions and kH for the deadline;
// kTimeout at the deadline means no ACK came (the TU should then send BYE). Over a reliable
// transport it only runs the deadline.
class TwoXxRetransmitter {
 public:
  TwoXxRetransmitter(std::string response_bytes, bool reliable, TimerConfig config = {});
  // Sends the 2xx once and starts the timers.
  [[nodiscard]] Actions Start();
  [[nodiscard]] Actions OnTimer(TimerId timer);
  // The ACK arrived: cancels the timers, kTerminated.
  [[nodiscard]] Actions OnAck();
  bool done() const { return done_; }

 private:
  std::string bytes_;
  bool reliable_;
  TimerConfig config_;
  Millis interval_;
  bool done_ = false;
};

// The ACK for a 300-699 answer to `invite` (17.1.1.3): the INVITE's Request-URI, top Via only,
// From, Call-ID, Route; the To of the response (with its tag); CSeq number of the INVITE.
SipMessage BuildAckForFailure(const SipMessage& invite, const SipMessage& response);

// Writes one Via value: "SIP/2.0/UDP host:port;params".
std::string SerializeVia(const Via& via);

// The RFC 3261 branch prefix; branches without it are RFC 2543 and not matched by branch.
inline constexpr std::string_view kBranchCookie = "z9hG4bK";
bool HasMagicCookie(std::string_view branch);

// Matching keys (17.1.3, 17.2.3); nullopt when the message lacks what the key needs. The server
// key of an ACK is that of its INVITE; a CANCEL has its own, and CancelTargetKey gives the key of
// the INVITE it cancels.
std::optional<std::string> ClientTransactionKey(const SipMessage& message);
std::optional<std::string> ServerTransactionKey(const SipMessage& request);
std::optional<std::string> CancelTargetKey(const SipMessage& cancel);

// Where responses to a request with this top Via go (18.2.2): over a reliable transport the
// connection it came on; else maddr, else received (or the source) with rport or the Via port.
Destination ResponseDestination(const Via& top, const Destination& source);

// 18.2.1 / RFC 3581: adds received= when the sent-by host is not the source address, and fills
// an empty rport with the source port. Returns false when the top Via is unchanged.
bool StampTopVia(SipMessage& request, const Destination& source);

}  // namespace tessera::sip
