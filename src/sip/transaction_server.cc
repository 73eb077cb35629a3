// Server transactions, RFC 3261 17.2.1 (INVITE) and 17.2.2 (non-INVITE).
#include <tessera/sip/transaction.h>

#include <algorithm>

namespace tessera::sip {

InviteServerTransaction::InviteServerTransaction(SipMessage invite, Destination peer,
                                                 TimerConfig config)
    : ServerTransaction(TransactionKind::kInviteServer, std::move(invite), std::move(peer),
                        config) {}

Actions InviteServerTransaction::Start() {
  Actions out;
  PassToTu(out, request_);
  StartTimer(out, TimerId::kTrying, config_.trying_delay);
  return out;
}

Actions InviteServerTransaction::OnReceive(const SipMessage& message) {
  Actions out;
  if (!message.is_request()) return out;
  if (message.method() == "ACK") {
    if (state_ != TransactionState::kCompleted) return out;  // Confirmed absorbs the rest
    CancelTimer(out, TimerId::kG);
    CancelTimer(out, TimerId::kH);
    state_ = TransactionState::kConfirmed;
    if (reliable()) {
      Terminate(out);
    } else {
      StartTimer(out, TimerId::kI, config_.t4);
    }
    return out;
  }
  // A retransmitted INVITE: the last response again (a provisional in Proceeding, the final in
  // Completed); never to the TU a second time.
  if ((state_ == TransactionState::kProceeding || state_ == TransactionState::kCompleted) &&
      last_status_ != 0) {
    Send(out, last_bytes_);
  }
  return out;
}

Actions InviteServerTransaction::SendResponse(const SipMessage& response) {
  Actions out;
  if (state_ != TransactionState::kProceeding || response.is_request()) return out;
  const int code = response.status_code();
  CancelTimer(out, TimerId::kTrying);
  SendStored(out, response);
  if (code < 200) return out;
  if (code < 300) {
    // 17.2.1: the TU (dialog) retransmits the 2xx and takes the ACK.
    Terminate(out);
    return out;
  }
  state_ = TransactionState::kCompleted;
  if (!reliable()) {
    timer_g_ = config_.t1;
    StartTimer(out, TimerId::kG, timer_g_);
  }
  StartTimer(out, TimerId::kH, 64 * config_.t1);
  return out;
}

Actions InviteServerTransaction::OnTimer(TimerId timer) {
  Actions out;
  switch (timer) {
    case TimerId::kTrying:
      if (state_ == TransactionState::kProceeding && last_status_ == 0) {
        SendStored(out, MakeResponse(request_, 100, "Trying"));
      }
      break;
    case TimerId::kG:
      if (state_ != TransactionState::kCompleted) break;
      Send(out, last_bytes_);
      timer_g_ = std::min(2 * timer_g_, config_.t2);
      StartTimer(out, TimerId::kG, timer_g_);
      break;
    case TimerId::kH:
      if (state_ != TransactionState::kCompleted) break;
      CancelTimer(out, TimerId::kG);
      out.push_back(Action::Of(Action::Kind::kTimeout));  // the ACK never came
      Terminate(out);
      break;
    case TimerId::kI:
      if (state_ == TransactionState::kConfirmed) Terminate(out);
      break;
    default:
      break;
  }
  return out;
}

NonInviteServerTransaction::NonInviteServerTransaction(SipMessage request, Destination peer,
                                                       TimerConfig config)
    : ServerTransaction(TransactionKind::kNonInviteServer, std::move(request), std::move(peer),
                        config) {}

Actions NonInviteServerTransaction::Start() {
  Actions out;
  PassToTu(out, request_);
  return out;
}

Actions NonInviteServerTransaction::OnReceive(const SipMessage& message) {
  Actions out;
  if (!message.is_request()) return out;
  // Trying absorbs the retransmission silently; later states repeat the last response.
  if ((state_ == TransactionState::kProceeding || state_ == TransactionState::kCompleted) &&
      last_status_ != 0) {
    Send(out, last_bytes_);
  }
  return out;
}

Actions NonInviteServerTransaction::SendResponse(const SipMessage& response) {
  Actions out;
  if (response.is_request()) return out;
  if (state_ != TransactionState::kTrying && state_ != TransactionState::kProceeding) return out;
  SendStored(out, response);
  if (response.status_code() < 200) {
    state_ = TransactionState::kProceeding;
    return out;
  }
  state_ = TransactionState::kCompleted;
  if (reliable()) {
    Terminate(out);
  } else {
    StartTimer(out, TimerId::kJ, 64 * config_.t1);
  }
  return out;
}

Actions NonInviteServerTransaction::OnTimer(TimerId timer) {
  Actions out;
  if (timer == TimerId::kJ && state_ == TransactionState::kCompleted) Terminate(out);
  return out;
}

}  // namespace tessera::sip
