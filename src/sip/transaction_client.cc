// Client transactions, RFC 3261 17.1.1 (INVITE) and 17.1.2 (non-INVITE).
#include <tessera/sip/transaction.h>

#include <algorithm>

namespace tessera::sip {

InviteClientTransaction::InviteClientTransaction(SipMessage invite, Destination peer,
                                                 TimerConfig config)
    : Transaction(TransactionKind::kInviteClient, std::move(invite), std::move(peer), config) {}

Actions InviteClientTransaction::Start() {
  Actions out;
  request_bytes_ = SerializeMessage(request_);
  Send(out, request_bytes_);
  if (!reliable()) {
    timer_a_ = config_.t1;
    StartTimer(out, TimerId::kA, timer_a_);
  }
  StartTimer(out, TimerId::kB, 64 * config_.t1);
  return out;
}

Actions InviteClientTransaction::OnReceive(const SipMessage& response) {
  Actions out;
  if (response.is_request()) return out;
  const int code = response.status_code();
  switch (state_) {
    case TransactionState::kCalling:
    case TransactionState::kProceeding:
      if (code < 200) {
        if (state_ == TransactionState::kCalling) {
          CancelTimer(out, TimerId::kA);
          CancelTimer(out, TimerId::kB);
          StartTimer(out, TimerId::kProceeding, config_.invite_proceeding_limit);
          state_ = TransactionState::kProceeding;
        }
        PassToTu(out, response);
      } else if (code < 300) {
        // 17.1.1.2: the 2xx goes to the TU, which ACKs it; the transaction ends.
        CancelTimer(out, TimerId::kA);
        CancelTimer(out, TimerId::kB);
        CancelTimer(out, TimerId::kProceeding);
        PassToTu(out, response);
        Terminate(out);
      } else {
        CancelTimer(out, TimerId::kA);
        CancelTimer(out, TimerId::kB);
        CancelTimer(out, TimerId::kProceeding);
        ack_bytes_ = SerializeMessage(BuildAckForFailure(request_, response));
        Send(out, ack_bytes_);
        PassToTu(out, response);
        state_ = TransactionState::kCompleted;
        if (reliable()) {
          Terminate(out);
        } else {
          StartTimer(out, TimerId::kD, std::max(Millis{32'000}, 64 * config_.t1));
        }
      }
      break;
    case TransactionState::kCompleted:
      // A retransmitted final response: ACK again, the TU has it already.
      if (code >= 300) Send(out, ack_bytes_);
      break;
    default:
      break;
  }
  return out;
}

Actions InviteClientTransaction::OnTimer(TimerId timer) {
  Actions out;
  switch (timer) {
    case TimerId::kA:
      if (state_ != TransactionState::kCalling) break;
      Send(out, request_bytes_);
      timer_a_ *= 2;
      StartTimer(out, TimerId::kA, timer_a_);
      break;
    case TimerId::kB:
      if (state_ != TransactionState::kCalling) break;
      CancelTimer(out, TimerId::kA);
      out.push_back(Action::Of(Action::Kind::kTimeout));
      Terminate(out);
      break;
    case TimerId::kProceeding:
      if (state_ != TransactionState::kProceeding) break;
      out.push_back(Action::Of(Action::Kind::kTimeout));
      Terminate(out);
      break;
    case TimerId::kD:
      if (state_ == TransactionState::kCompleted) Terminate(out);
      break;
    default:
      break;
  }
  return out;
}

NonInviteClientTransaction::NonInviteClientTransaction(SipMessage request, Destination peer,
                                                       TimerConfig config)
    : Transaction(TransactionKind::kNonInviteClient, std::move(request), std::move(peer), config) {}

Actions NonInviteClientTransaction::Start() {
  Actions out;
  request_bytes_ = SerializeMessage(request_);
  Send(out, request_bytes_);
  if (!reliable()) {
    timer_e_ = config_.t1;
    StartTimer(out, TimerId::kE, timer_e_);
  }
  StartTimer(out, TimerId::kF, 64 * config_.t1);
  return out;
}

Actions NonInviteClientTransaction::OnReceive(const SipMessage& response) {
  Actions out;
  if (response.is_request()) return out;
  if (state_ != TransactionState::kTrying && state_ != TransactionState::kProceeding) {
    return out;  // Completed absorbs retransmitted finals
  }
  if (response.status_code() < 200) {
    state_ = TransactionState::kProceeding;
    PassToTu(out, response);
    return out;
  }
  CancelTimer(out, TimerId::kE);
  CancelTimer(out, TimerId::kF);
  PassToTu(out, response);
  state_ = TransactionState::kCompleted;
  if (reliable()) {
    Terminate(out);
  } else {
    StartTimer(out, TimerId::kK, config_.t4);
  }
  return out;
}

Actions NonInviteClientTransaction::OnTimer(TimerId timer) {
  Actions out;
  const bool active =
      state_ == TransactionState::kTrying || state_ == TransactionState::kProceeding;
  switch (timer) {
    case TimerId::kE:
      if (!active) break;
      Send(out, request_bytes_);
      // 17.1.2.2: doubling up to T2 in Trying, T2 in Proceeding.
      timer_e_ =
          state_ == TransactionState::kTrying ? std::min(2 * timer_e_, config_.t2) : config_.t2;
      StartTimer(out, TimerId::kE, timer_e_);
      break;
    case TimerId::kF:
      if (!active) break;
      CancelTimer(out, TimerId::kE);
      out.push_back(Action::Of(Action::Kind::kTimeout));
      Terminate(out);
      break;
    case TimerId::kK:
      if (state_ == TransactionState::kCompleted) Terminate(out);
      break;
    default:
      break;
  }
  return out;
}

}  // namespace tessera::sip
