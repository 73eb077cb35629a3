// What the four transaction state machines share: action helpers, ACK building, matching keys
// and response routing.
#include <tessera/sip/transaction.h>

#include <algorithm>

namespace tessera::sip {

const char* TimerName(TimerId id) {
  static constexpr const char* kNames[] = {"A", "B", "D", "E", "F",      "G",
                                           "H", "I", "J", "K", "Trying", "Proceeding"};
  return kNames[static_cast<size_t>(id)];
}

Transaction::Transaction(TransactionKind kind, SipMessage request, Destination peer,
                         TimerConfig config)
    : kind_(kind),
      state_(kind == TransactionKind::kInviteClient   ? TransactionState::kCalling
             : kind == TransactionKind::kInviteServer ? TransactionState::kProceeding
                                                      : TransactionState::kTrying),
      request_(std::move(request)),
      peer_(std::move(peer)),
      config_(config) {}

Actions Transaction::OnTransportError() {
  Actions out;
  if (state_ == TransactionState::kTerminated) return out;
  out.push_back(Action::Of(Action::Kind::kTransportError));
  Terminate(out);
  return out;
}

void Transaction::Send(Actions& out, std::string bytes) const {
  out.push_back(Action::SendBytes(std::move(bytes)));
}

void Transaction::StartTimer(Actions& out, TimerId timer, Millis duration) {
  out.push_back(Action::Start(timer, duration));
}

void Transaction::CancelTimer(Actions& out, TimerId timer) { out.push_back(Action::Cancel(timer)); }

void Transaction::PassToTu(Actions& out, const SipMessage& message) {
  out.push_back(Action::Pass(message));
}

void Transaction::Terminate(Actions& out) {
  state_ = TransactionState::kTerminated;
  out.push_back(Action::Of(Action::Kind::kTerminated));
}

void ServerTransaction::SendStored(Actions& out, const SipMessage& response) {
  last_status_ = response.status_code();
  last_to_tag_ = response.to() ? response.to()->tag : std::string();
  last_bytes_ = SerializeMessage(response);
  Send(out, last_bytes_);
}

std::string SerializeVia(const Via& via) {
  std::string out = via.protocol;
  out += '/';
  out += via.transport;
  out += ' ';
  out += via.host;
  if (via.port) {
    out += ':';
    out += std::to_string(*via.port);
  }
  out += SerializeParams(via.params);
  return out;
}

SipMessage BuildAckForFailure(const SipMessage& invite, const SipMessage& response) {
  SipMessage ack = SipMessage::Request("ACK", invite.request_uri());
  if (!invite.vias().empty()) ack.AddHeader("Via", SerializeVia(invite.vias().front()));
  if (const HeaderField* f = invite.Find(HeaderId::kFrom)) ack.AddHeader(f->name, f->value);
  if (const HeaderField* t = response.Find(HeaderId::kTo)) ack.AddHeader(t->name, t->value);
  ack.AddHeader("Call-ID", invite.call_id());
  if (invite.cseq()) ack.AddHeader("CSeq", std::to_string(invite.cseq()->number) + " ACK");
  for (const HeaderField& h : invite.headers()) {
    if (h.id == HeaderId::kRoute) ack.AddHeader(h.name, h.value);
  }
  ack.AddHeader("Max-Forwards", "70");
  return ack;
}

bool HasMagicCookie(std::string_view branch) {
  return branch.size() > kBranchCookie.size() && branch.starts_with(kBranchCookie);
}

namespace {

std::string SentBy(const Via& via) {
  std::string out = via.host;
  out += ':';
  out += std::to_string(via.port.value_or(via.transport == "TLS" ? 5061 : 5060));
  return out;
}

// Branches compare case-sensitively (they are tokens the sender chose).
std::optional<std::string> ServerKey(const SipMessage& request, std::string_view method) {
  if (request.vias().empty()) return std::nullopt;
  const Via& top = request.vias().front();
  if (!HasMagicCookie(top.branch)) return std::nullopt;
  std::string key = "S|";
  key += top.branch;
  key += '|';
  key += SentBy(top);
  key += '|';
  key += method;
  return key;
}

}  // namespace

std::optional<std::string> ClientTransactionKey(const SipMessage& message) {
  if (message.vias().empty() || !message.cseq()) return std::nullopt;
  const std::string& branch = message.vias().front().branch;
  if (branch.empty()) return std::nullopt;
  std::string key = "C|";
  key += branch;
  key += '|';
  key += message.cseq()->method;
  return key;
}

std::optional<std::string> ServerTransactionKey(const SipMessage& request) {
  if (!request.is_request()) return std::nullopt;
  return ServerKey(request, request.method() == "ACK" ? "INVITE" : request.method());
}

std::optional<std::string> CancelTargetKey(const SipMessage& cancel) {
  if (!cancel.is_request() || cancel.method() != "CANCEL") return std::nullopt;
  return ServerKey(cancel, "INVITE");
}

Destination ResponseDestination(const Via& top, const Destination& source) {
  Destination d;
  d.transport = top.transport.empty() ? source.transport : top.transport;
  if (source.reliable()) {
    d = source;  // the connection the request came on (18.2.2)
    return d;
  }
  const uint16_t via_port = top.port.value_or(top.transport == "TLS" ? 5061 : 5060);
  if (top.maddr) {
    d.host = *top.maddr;
    d.port = via_port;
  } else if (top.rport) {
    d.host = top.received.value_or(source.host);
    d.port = top.rport_value.value_or(source.port);
  } else {
    d.host = top.received.value_or(top.host);
    d.port = via_port;
  }
  if (d.host.size() > 2 && d.host.front() == '[') d.host = d.host.substr(1, d.host.size() - 2);
  d.transport = source.transport;
  return d;
}

bool StampTopVia(SipMessage& request, const Destination& source) {
  if (request.vias().empty()) return false;
  std::vector<Via> vias = request.vias();
  Via& top = vias.front();
  std::string host = top.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  bool changed = false;
  auto set_param = [&](std::string_view name, std::string value) {
    for (Param& p : top.params) {
      if (p.name.size() == name.size() &&
          std::equal(p.name.begin(), p.name.end(), name.begin(),
                     [](char a, char b) { return (a | 0x20) == (b | 0x20); })) {
        p.value = std::move(value);
        p.has_value = true;
        p.quoted = false;
        return;
      }
    }
    Param param;
    param.name = std::string(name);
    param.value = std::move(value);
    param.has_value = true;
    top.params.push_back(std::move(param));
  };
  if (host != source.host && top.received.value_or("") != source.host) {
    set_param("received", source.host);
    changed = true;
  }
  if (top.rport && !top.rport_value) {
    set_param("rport", std::to_string(source.port));
    changed = true;
  }
  if (!changed) return false;
  SipMessage copy = request;
  copy.RemoveHeaders(HeaderId::kVia);
  for (const Via& v : vias) {
    if (!copy.AddHeader("Via", SerializeVia(v))) return false;
  }
  request = std::move(copy);
  return true;
}

TwoXxRetransmitter::TwoXxRetransmitter(std::string response_bytes, bool reliable,
                                       TimerConfig config)
    : bytes_(std::move(response_bytes)),
      reliable_(reliable),
      config_(config),
      interval_(config.t1) {}

Actions TwoXxRetransmitter::Start() {
  Actions out;
  out.push_back(Action::SendBytes(bytes_));
  if (!reliable_) {
    out.push_back(Action::Start(TimerId::kG, interval_));
  }
  out.push_back(Action::Start(TimerId::kH, 64 * config_.t1));
  return out;
}

Actions TwoXxRetransmitter::OnTimer(TimerId timer) {
  Actions out;
  if (done_) return out;
  if (timer == TimerId::kG) {
    out.push_back(Action::SendBytes(bytes_));
    interval_ = std::min(2 * interval_, config_.t2);
    out.push_back(Action::Start(TimerId::kG, interval_));
  } else if (timer == TimerId::kH) {
    done_ = true;
    out.push_back(Action::Cancel(TimerId::kG));
    out.push_back(Action::Of(Action::Kind::kTimeout));
    out.push_back(Action::Of(Action::Kind::kTerminated));
  }
  return out;
}

Actions TwoXxRetransmitter::OnAck() {
  Actions out;
  if (done_) return out;
  done_ = true;
  out.push_back(Action::Cancel(TimerId::kG));
  out.push_back(Action::Cancel(TimerId::kH));
  out.push_back(Action::Of(Action::Kind::kTerminated));
  return out;
}

}  // namespace tessera::sip
