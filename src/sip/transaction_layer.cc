#include <openssl/rand.h>
#include <tessera/sip/transaction_layer.h>

#include <algorithm>
#include <array>
#include <random>

namespace tessera::sip {

struct TransactionLayer::Entry {
  std::unique_ptr<Transaction> txn;
  std::string key;
  Destination source;  // where the request came from (server) / goes (client)
  std::map<TimerId, uint64_t> timers;
};

struct TransactionLayer::TwoXx {
  TwoXxRetransmitter retransmitter;
  Destination to;
  TransactionId invite_id = 0;
  std::map<TimerId, uint64_t> timers;
};

namespace {

std::string TwoXxKey(const SipMessage& m) {
  return m.call_id() + "|" + std::to_string(m.cseq() ? m.cseq()->number : 0);
}

}  // namespace

TransactionLayer::TransactionLayer(const Clock& clock, TimerService& timers, TransportSink& sink,
                                   TransactionUser& tu, TransactionLayerConfig config)
    : clock_(clock),
      timers_(timers),
      sink_(sink),
      tu_(tu),
      config_(config),
      new_requests_(config.new_requests, config.max_tracked_sources),
      dialog_requests_(config.in_dialog_requests, config.max_tracked_sources),
      alive_(std::make_shared<bool>(true)) {}

TransactionLayer::~TransactionLayer() {
  for (auto& [id, entry] : transactions_) {
    for (auto& [timer, handle] : entry->timers) timers_.Cancel(handle);
  }
  for (auto& [key, r] : retransmitters_) {
    for (auto& [timer, handle] : r->timers) timers_.Cancel(handle);
  }
}

std::string TransactionLayer::NewBranch() {
  std::array<uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    static thread_local std::mt19937_64 fallback{std::random_device{}()};
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(fallback());
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kBranchCookie);
  for (uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::optional<TransactionState> TransactionLayer::StateOf(TransactionId id) const {
  auto it = transactions_.find(id);
  if (it == transactions_.end()) return std::nullopt;
  return it->second->txn->state();
}

void TransactionLayer::OnMessage(SipMessage message, const Destination& source) {
  if (message.is_request()) {
    OnRequest(std::move(message), source);
  } else {
    OnResponse(std::move(message), source);
  }
  Deliver();
}

bool TransactionLayer::Admit(const SipMessage& request, const Destination& source) {
  const bool in_dialog = request.to() && !request.to()->tag.empty();
  const int64_t now = clock_.NowUs();
  if ((in_dialog ? dialog_requests_ : new_requests_).Allow(source.host, now)) return true;
  ++stats_.dropped_rate_limit;
  if (flood_log_.Allow(now)) {
    spdlog::warn("sip: request flood from {} rate-limited ({} suppressed since last log)",
                 source.host, flood_log_.suppressed());
  }
  return false;
}

TransactionId TransactionLayer::CreateServer(SipMessage request, const Destination& source,
                                             bool to_tu) {
  const std::optional<std::string> key = ServerTransactionKey(request);
  const Destination peer = ResponseDestination(request.vias().front(), source);
  const TransactionId id = next_id_++;
  auto entry = std::make_unique<Entry>();
  entry->key = *key;
  entry->source = source;
  Actions start;
  if (request.method() == "INVITE") {
    auto txn = std::make_unique<InviteServerTransaction>(std::move(request), peer, config_.timers);
    start = txn->Start();
    entry->txn = std::move(txn);
  } else {
    auto txn =
        std::make_unique<NonInviteServerTransaction>(std::move(request), peer, config_.timers);
    start = txn->Start();
    entry->txn = std::move(txn);
  }
  if (!to_tu) {
    std::erase_if(start, [](const Action& a) { return a.kind == Action::Kind::kPassToTu; });
  }
  by_key_[*key] = id;
  transactions_[id] = std::move(entry);
  Apply(id, std::move(start));
  return id;
}

void TransactionLayer::OnRequest(SipMessage request, const Destination& source) {
  ++stats_.requests_in;
  if (request.vias().empty() || !request.cseq()) {
    ++stats_.dropped_invalid;
    return;
  }
  StampTopVia(request, source);
  const std::optional<std::string> key = ServerTransactionKey(request);
  if (!key) {
    // RFC 2543 (no magic cookie): refused rather than matched by the 17.2.3 fallback rules.
    if (request.method() == "ACK" || !Admit(request, source)) return;
    ++stats_.rejected_rfc2543;
    SendStateless(MakeResponse(request, 400, "Branch Without z9hG4bK Not Supported"),
                  ResponseDestination(request.vias().front(), source));
    return;
  }
  if (auto it = by_key_.find(*key); it != by_key_.end()) {
    if (request.method() != "ACK") ++stats_.retransmissions_absorbed;
    Apply(it->second, transactions_.at(it->second)->txn->OnReceive(request));
    return;
  }
  if (request.method() == "ACK") {
    // Not for a transaction: the ACK for a 2xx (17.2.3), which ends a 2xx retransmitter.
    if (auto it = retransmitters_.find(TwoXxKey(request)); it != retransmitters_.end()) {
      ApplyTwoXx(it->first, it->second->retransmitter.OnAck());
    } else if (!Admit(request, source)) {
      return;
    }
    Emit(TuEvent::Kind::kAck, 0, std::move(request), source);
    return;
  }
  if (request.method() == "CANCEL") {
    auto target = by_key_.find(*CancelTargetKey(request));
    if (target != by_key_.end()) {
      // 9.2: a CANCEL for a live INVITE passes any limit; 200 for the CANCEL, and the TU
      // answers the INVITE with 487.
      auto& invite = static_cast<InviteServerTransaction&>(*transactions_.at(target->second)->txn);
      const TransactionId invite_id = target->second;
      const std::string tag = invite.last_to_tag();
      const SipMessage cancel = request;
      // The TU hears kCancel instead of the CANCEL itself.
      const TransactionId id = CreateServer(std::move(request), source, /*to_tu=*/false);
      Respond(id, MakeResponse(cancel, 200, "OK", tag));
      Emit(TuEvent::Kind::kCancel, invite_id, cancel, source);
      return;
    }
  }
  if (!Admit(request, source)) return;
  if (transactions_.size() >= config_.max_transactions) {
    ++stats_.rejected_overload;
    SipMessage busy = MakeResponse(request, 503, "Service Unavailable");
    busy.AddHeader("Retry-After", std::to_string(config_.retry_after_s));
    SendStateless(busy, ResponseDestination(request.vias().front(), source));
    return;
  }
  if (request.method() == "CANCEL") {
    const SipMessage cancel = request;
    const TransactionId id = CreateServer(std::move(request), source, /*to_tu=*/false);
    Respond(id, MakeResponse(cancel, 481, "Call/Transaction Does Not Exist"));
    return;
  }
  CreateServer(std::move(request), source, /*to_tu=*/true);
}

void TransactionLayer::OnResponse(SipMessage response, const Destination& source) {
  ++stats_.responses_in;
  const std::optional<std::string> key = ClientTransactionKey(response);
  auto it = key ? by_key_.find(*key) : by_key_.end();
  if (it == by_key_.end()) {
    Emit(TuEvent::Kind::kStrayResponse, 0, std::move(response), source);
    return;
  }
  Apply(it->second, transactions_.at(it->second)->txn->OnReceive(response));
}

bool TransactionLayer::Respond(TransactionId id, const SipMessage& response) {
  auto it = transactions_.find(id);
  if (it == transactions_.end() || it->second->txn->is_client()) return false;
  Actions actions = static_cast<ServerTransaction&>(*it->second->txn).SendResponse(response);
  const bool accepted = !actions.empty();
  Apply(id, std::move(actions));
  Deliver();
  return accepted;
}

TransactionId TransactionLayer::SendRequest(SipMessage request, const Destination& to) {
  const std::optional<std::string> key = ClientTransactionKey(request);
  if (!key || !request.is_request() || request.method() == "ACK" || by_key_.contains(*key) ||
      transactions_.size() >= config_.max_transactions) {
    return 0;
  }
  const TransactionId id = next_id_++;
  auto entry = std::make_unique<Entry>();
  entry->key = *key;
  entry->source = to;
  Actions start;
  if (request.method() == "INVITE") {
    auto txn = std::make_unique<InviteClientTransaction>(std::move(request), to, config_.timers);
    start = txn->Start();
    entry->txn = std::move(txn);
  } else {
    auto txn = std::make_unique<NonInviteClientTransaction>(std::move(request), to, config_.timers);
    start = txn->Start();
    entry->txn = std::move(txn);
  }
  by_key_[*key] = id;
  transactions_[id] = std::move(entry);
  Apply(id, std::move(start));
  Deliver();
  return transactions_.contains(id) ? id : 0;
}

bool TransactionLayer::SendStateless(const SipMessage& message, const Destination& to) {
  if (sink_.Send(to, SerializeMessage(message))) return true;
  ++stats_.send_failures;
  return false;
}

void TransactionLayer::Retransmit2xx(const SipMessage& invite, const SipMessage& response,
                                     const Destination& to, TransactionId invite_id) {
  const std::string key = TwoXxKey(invite);
  if (retransmitters_.contains(key)) return;
  auto r = std::make_unique<TwoXx>(
      TwoXx{TwoXxRetransmitter(SerializeMessage(response), to.reliable(), config_.timers),
            to,
            invite_id,
            {}});
  Actions start = r->retransmitter.Start();
  start.erase(start.begin());  // Respond sent it already
  retransmitters_[key] = std::move(r);
  ApplyTwoXx(key, std::move(start));
  Deliver();
}

void TransactionLayer::Apply(TransactionId id, Actions actions) {
  for (size_t i = 0; i < actions.size(); ++i) {
    auto it = transactions_.find(id);
    if (it == transactions_.end()) return;
    Entry& entry = *it->second;
    Action a = std::move(actions[i]);
    switch (a.kind) {
      case Action::Kind::kSend:
        if (!sink_.Send(entry.txn->peer(), a.bytes)) {
          ++stats_.send_failures;
          Actions more = entry.txn->OnTransportError();
          actions.insert(actions.end(), more.begin(), more.end());
        }
        break;
      case Action::Kind::kStartTimer: {
        if (auto t = entry.timers.find(a.timer); t != entry.timers.end()) {
          timers_.Cancel(t->second);
        }
        std::weak_ptr<bool> alive = alive_;
        const TimerId timer = a.timer;
        entry.timers[timer] = timers_.Schedule(a.duration, [this, alive, id, timer] {
          if (!alive.expired()) Fire(id, timer);
        });
        break;
      }
      case Action::Kind::kCancelTimer:
        if (auto t = entry.timers.find(a.timer); t != entry.timers.end()) {
          timers_.Cancel(t->second);
          entry.timers.erase(t);
        }
        break;
      case Action::Kind::kPassToTu:
        Emit(entry.txn->is_client() ? TuEvent::Kind::kResponse : TuEvent::Kind::kRequest, id,
             std::move(a.message), entry.source);
        break;
      case Action::Kind::kTimeout:
        ++stats_.timeouts;
        Emit(TuEvent::Kind::kTimeout, id, std::nullopt, entry.source);
        break;
      case Action::Kind::kTransportError:
        Emit(TuEvent::Kind::kTransportError, id, std::nullopt, entry.source);
        break;
      case Action::Kind::kTerminated:
        Erase(id);
        return;
    }
  }
}

void TransactionLayer::ApplyTwoXx(const std::string& key, Actions actions) {
  for (Action& a : actions) {
    auto it = retransmitters_.find(key);
    if (it == retransmitters_.end()) return;
    TwoXx& r = *it->second;
    switch (a.kind) {
      case Action::Kind::kSend:
        if (!sink_.Send(r.to, a.bytes)) ++stats_.send_failures;
        break;
      case Action::Kind::kStartTimer: {
        std::weak_ptr<bool> alive = alive_;
        const TimerId timer = a.timer;
        r.timers[timer] = timers_.Schedule(a.duration, [this, alive, key, timer] {
          if (!alive.expired()) FireTwoXx(key, timer);
        });
        break;
      }
      case Action::Kind::kCancelTimer:
        if (auto t = r.timers.find(a.timer); t != r.timers.end()) {
          timers_.Cancel(t->second);
          r.timers.erase(t);
        }
        break;
      case Action::Kind::kTimeout:
        ++stats_.timeouts;
        Emit(TuEvent::Kind::kTimeout, r.invite_id, std::nullopt, r.to);
        break;
      case Action::Kind::kTerminated:
        for (auto& [timer, handle] : r.timers) timers_.Cancel(handle);
        retransmitters_.erase(it);
        return;
      default:
        break;
    }
  }
}

void TransactionLayer::Fire(TransactionId id, TimerId timer) {
  auto it = transactions_.find(id);
  if (it == transactions_.end()) return;
  it->second->timers.erase(timer);
  Apply(id, it->second->txn->OnTimer(timer));
  Deliver();
}

void TransactionLayer::FireTwoXx(const std::string& key, TimerId timer) {
  auto it = retransmitters_.find(key);
  if (it == retransmitters_.end()) return;
  it->second->timers.erase(timer);
  ApplyTwoXx(key, it->second->retransmitter.OnTimer(timer));
  Deliver();
}

void TransactionLayer::Erase(TransactionId id) {
  auto it = transactions_.find(id);
  if (it == transactions_.end()) return;
  for (auto& [timer, handle] : it->second->timers) timers_.Cancel(handle);
  if (auto k = by_key_.find(it->second->key); k != by_key_.end() && k->second == id) {
    by_key_.erase(k);
  }
  transactions_.erase(it);
}

void TransactionLayer::Emit(TuEvent::Kind kind, TransactionId id, std::optional<SipMessage> message,
                            const Destination& source) {
  TuEvent event;
  event.kind = kind;
  event.id = id;
  event.message = std::move(message);
  event.source = source;
  pending_.push_back(std::move(event));
}

void TransactionLayer::Deliver() {
  if (delivering_) return;
  delivering_ = true;
  std::weak_ptr<bool> alive = alive_;
  for (size_t i = 0; i < pending_.size(); ++i) {
    TuEvent event = std::move(pending_[i]);
    tu_.OnTransactionEvent(event);
    if (alive.expired()) return;  // the TU destroyed the layer
  }
  pending_.clear();
  delivering_ = false;
}

}  // namespace tessera::sip
