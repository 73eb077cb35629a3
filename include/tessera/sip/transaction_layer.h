// The RFC 3261 17 transaction layer: owns the client and server transactions, matches what the
// transports receive to them, absorbs retransmissions, runs their timers through a TimerService
// and sends through a TransportSink, and hands the TU (TransactionUser) new requests, responses
// and timeouts. New requests beyond the transaction limit get a stateless 503 with Retry-After;
// new requests beyond a source's token bucket are dropped without an answer (answering a flood
// would amplify it) and counted.
//
// RFC 2543 peers (a top Via branch without the z9hG4bK cookie) are answered 400: Tessera does
// not implement the 17.2.3 fallback matching; every RFC 3261 UA sends the cookie.
// Runs on: the control io_context (one thread); the sink, timers and TU are called on it.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/logging.h>
#include <tessera/net/rate_limiter.h>
#include <tessera/sip/transaction.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

namespace tessera::sip {

class TransportSink {
 public:
  virtual ~TransportSink() = default;
  // Sends one message. False: the transport could not (no route, connection gone).
  virtual bool Send(const Destination& to, std::string_view bytes) = 0;
};

class TimerService {
 public:
  virtual ~TimerService() = default;
  // Calls `fire` once after `delay` unless cancelled; returns a non-zero id.
  virtual uint64_t Schedule(Millis delay, std::function<void()> fire) = 0;
  virtual void Cancel(uint64_t id) = 0;
};

// A TimerService driven by hand from a Clock: RunDue() fires what is due in deadline order
// (ties in scheduling order). For tests and fuzzing.
class ManualTimerService : public TimerService {
 public:
  explicit ManualTimerService(const Clock& clock) : clock_(clock) {}
  uint64_t Schedule(Millis delay, std::function<void()> fire) override;
  void Cancel(uint64_t id) override;
  // Fires every timer due at the clock's now; returns how many fired.
  size_t RunDue();
  size_t pending() const { return timers_.size(); }
  // The earliest deadline in clock microseconds, or -1 if none.
  int64_t NextDeadlineUs() const;

 private:
  const Clock& clock_;
  uint64_t next_id_ = 1;
  std::map<std::pair<int64_t, uint64_t>, std::function<void()>> timers_;  // (deadline, id)
  std::unordered_map<uint64_t, int64_t> deadline_of_;
};

using TransactionId = uint64_t;

struct TuEvent {
  enum class Kind {
    kRequest,         // a new request; answer through Respond(id, ...) (not for ACK)
    kAck,             // an ACK no transaction took: the ACK for a 2xx (id 0)
    kResponse,        // a response for client transaction `id`
    kStrayResponse,   // a response that matched no client transaction (e.g. a 2xx repeat)
    kTimeout,         // transaction `id` timed out (B, F, H) or a 2xx got no ACK
    kTransportError,  // transaction `id` could not send
    kCancel,          // a CANCEL for INVITE server `id` (already answered 200): send 487 on it
  };
  Kind kind = Kind::kRequest;
  TransactionId id = 0;
  std::optional<SipMessage> message;
  Destination source;  // where a request came from / the client transaction's peer
};

class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  // Called outside the layer's own processing, so the TU may call back into the layer.
  virtual void OnTransactionEvent(const TuEvent& event) = 0;
};

struct TransactionLayerConfig {
  TimerConfig timers;
  size_t max_transactions = 10'000;
  uint32_t retry_after_s = 5;  // in the 503 beyond max_transactions
  // New out-of-dialog requests (no To tag) per source IP, and in-dialog ones (To tag).
  net::RateLimit new_requests{20, 40};
  net::RateLimit in_dialog_requests{100, 200};
  size_t max_tracked_sources = 4096;
};

struct TransactionLayerStats {
  uint64_t requests_in = 0;
  uint64_t responses_in = 0;
  uint64_t retransmissions_absorbed = 0;
  uint64_t rejected_overload = 0;   // 503
  uint64_t rejected_rfc2543 = 0;    // 400 without the magic cookie
  uint64_t dropped_rate_limit = 0;  // over the per-source bucket
  uint64_t dropped_invalid = 0;     // no key could be formed
  uint64_t timeouts = 0;
  uint64_t send_failures = 0;
};

class TransactionLayer {
 public:
  TransactionLayer(const Clock& clock, TimerService& timers, TransportSink& sink,
                   TransactionUser& tu, TransactionLayerConfig config = {});
  ~TransactionLayer();

  // A message a transport parsed (and, for requests, validated), with its source.
  void OnMessage(SipMessage message, const Destination& source);

  // The TU answers server transaction `id`. False if it is gone or the response is refused.
  bool Respond(TransactionId id, const SipMessage& response);
  // The TU starts a client transaction. The request needs a top Via with a branch (NewBranch())
  // and a CSeq; 0 if it has none or the branch is in use.
  TransactionId SendRequest(SipMessage request, const Destination& to);
  // Sends outside any transaction (the ACK for a 2xx, a stateless answer).
  bool SendStateless(const SipMessage& message, const Destination& to);
  // Starts retransmitting a 2xx already sent through Respond for INVITE server `invite_id`'s
  // request until its ACK arrives (matched by Call-ID and CSeq number) or 64*T1 pass (kTimeout
  // with id = invite_id). Over reliable transports it only waits for the ACK.
  void Retransmit2xx(const SipMessage& invite, const SipMessage& response, const Destination& to,
                     TransactionId invite_id);

  // "z9hG4bK" + 128 random bits in hex.
  static std::string NewBranch();

  size_t size() const { return transactions_.size(); }
  size_t retransmitters() const { return retransmitters_.size(); }
  const TransactionLayerStats& stats() const { return stats_; }
  // The state of transaction `id`, or nullopt if it is gone.
  std::optional<TransactionState> StateOf(TransactionId id) const;

 private:
  struct Entry;
  struct TwoXx;

  void OnRequest(SipMessage request, const Destination& source);
  void OnResponse(SipMessage response, const Destination& source);
  bool Admit(const SipMessage& request, const Destination& source);
  void Apply(TransactionId id, Actions actions);
  void ApplyTwoXx(const std::string& key, Actions actions);
  void Fire(TransactionId id, TimerId timer);
  void FireTwoXx(const std::string& key, TimerId timer);
  TransactionId CreateServer(SipMessage request, const Destination& source, bool to_tu);
  void Erase(TransactionId id);
  void Emit(TuEvent::Kind kind, TransactionId id, std::optional<SipMessage> message,
            const Destination& source);
  void Deliver();

  const Clock& clock_;
  TimerService& timers_;
  TransportSink& sink_;
  TransactionUser& tu_;
  TransactionLayerConfig config_;
  TransactionLayerStats stats_;
  TransactionId next_id_ = 1;
  std::unordered_map<TransactionId, std::unique_ptr<Entry>> transactions_;
  std::unordered_map<std::string, TransactionId> by_key_;
  std::unordered_map<std::string, std::unique_ptr<TwoXx>> retransmitters_;
  net::SourceRateLimiter new_requests_;
  net::SourceRateLimiter dialog_requests_;
  std::vector<TuEvent> pending_;
  bool delivering_ = false;
  LogRateLimiter flood_log_;
  std::shared_ptr<bool> alive_;
};

}  // namespace tessera::sip
