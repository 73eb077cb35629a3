// SipService, mid-dialog: re-INVITE and UPDATE (hold, resume, codec changes) and RFC 4028
// session timers.
#include <spdlog/spdlog.h>
#include <tessera/sip/sdp.h>

#include <string>
#include <string_view>

#include "sipua/sip_call.h"
#include "sipua/sip_media.h"

namespace tessera::sipua {

Status SipService::Renegotiate(Call& c, sip::NegotiatedSession session) {
  auto same_codec = [&](const std::optional<size_t>& a, const std::optional<size_t>& b) {
    if (a.has_value() != b.has_value()) return false;
    if (!a) return true;
    const auto& x = c.session->media[*a];
    const auto& y = session.media[*b];
    return x.receive == y.receive && x.send == y.send && x.srtp == y.srtp &&
           x.remote_key == y.remote_key && x.rtcp_mux == y.rtcp_mux;
  };
  const bool rejoin =
      !same_codec(c.session->audio, session.audio) || !same_codec(c.session->video, session.video);
  const bool was_held = c.held;
  c.held = session.audio ? session.media[*session.audio].remote_hold : false;
  if (c.held != was_held) ConsentHoldChanged(c);
  if (!rejoin) {
    c.session = std::move(session);
    return rooms_.UpdateRemote(c.room, c.participant, RemoteFor(*c.session));
  }
  // New codecs or keys: the legs are made anew on the same ports.
  spdlog::info("sip: call {} changes codecs: rejoining room {}", c.call_id, c.room);
  by_participant_.erase({c.room, c.participant});
  c.joined = false;
  (void)rooms_.LeaveRoom(c.room, c.participant);
  c.session = std::move(session);
  const bool was_admitted = c.state != Call::State::kPin;
  if (was_admitted) c.pin.clear();
  int code = 0;
  std::string reason;
  if (!JoinCall(c, &code, &reason)) return InternalError(reason);
  return Status::Ok();
}

void SipService::OnReInvite(const sip::TuEvent& event, Call& c) {
  const sip::SipMessage& req = *event.message;
  if (c.invite_tx != 0 || c.awaiting_ack_answer) {
    Respond(event, 491, "Request Pending");
    return;
  }
  if (!c.joined) {
    Respond(event, 491, "Request Pending");
    return;
  }
  sip::SessionDescription body;
  if (HasSdp(req)) {
    auto answer = AnswerReOffer(event, c);
    if (!answer) return;
    body = std::move(*answer);
  } else {
    // Empty re-INVITE: we offer what we have; the answer comes in the ACK.
    c.our_offer = c.session->local;
    c.our_offer->origin.session_version++;
    body = *c.our_offer;
    c.awaiting_ack_answer = true;
  }
  sip::SipMessage ok = Response(req, 200, "OK", "");
  AddCommonHeaders(ok, &c);
  RefreshSession(req, c, ok);
  ok.AddHeader("Content-Type", "application/sdp");
  ok.set_body(sip::WriteSdp(body));
  c.invite = req;
  c.invite_tx = event.id;
  by_transaction_[event.id] = c.key;
  layer_->Respond(event.id, ok);
  layer_->Retransmit2xx(req, ok, c.peer, event.id);
  spdlog::info("sip: call {} re-INVITE: {}", c.call_id, c.held ? "held" : "active");
}

void SipService::OnUpdate(const sip::TuEvent& event, Call& c) {
  const sip::SipMessage& req = *event.message;
  sip::SipMessage ok = Response(req, 200, "OK", "");
  AddCommonHeaders(ok, &c);
  if (HasSdp(req) && !c.joined) {
    Respond(event, 491, "Request Pending");  // our own offer is still unanswered (late offer)
    return;
  }
  if (HasSdp(req)) {
    auto answer = AnswerReOffer(event, c);
    if (!answer) return;
    ok.AddHeader("Content-Type", "application/sdp");
    ok.set_body(sip::WriteSdp(*answer));
  }
  RefreshSession(req, c, ok);
  layer_->Respond(event.id, ok);
}

std::optional<sip::SessionDescription> SipService::AnswerReOffer(const sip::TuEvent& event,
                                                                 Call& c) {
  auto offer = sip::ParseSdp(event.message->body());
  auto answer = offer.ok() ? sip::Answer(*offer, c.caps, &*c.session)
                           : StatusOr<sip::NegotiatedSession>(offer.status());
  if (!answer.ok() || answer->not_acceptable) {
    const std::string why = NotAcceptableReason(answer);
    spdlog::info("sip: call {}: re-offer refused 488: {}", c.call_id, why);
    sip::SipMessage r = Response(*event.message, 488, "Not Acceptable Here", std::string());
    r.AddHeader("Warning", MediaWarning(why));
    layer_->Respond(event.id, r);
    return std::nullopt;
  }
  sip::SessionDescription local = answer->local;
  if (Status s = Renegotiate(c, std::move(*answer)); !s.ok()) {
    Respond(event, 500, "Server Internal Error");
    EndCall(c.key, s.message(), 500);
    return std::nullopt;
  }
  return local;
}

void SipService::RefreshSession(const sip::SipMessage& request, Call& c, sip::SipMessage& ok) {
  // In a refresh, "uac" is the side that sent it (the peer here), "uas" us (RFC 4028 9).
  bool we_refresh = false;
  if (auto se = request.GetSessionExpires()) {
    c.session_interval_s = std::max(se->seconds, config_.min_se_s);
    we_refresh = se->refresher == "uas";
    c.we_refresh = we_refresh;
  } else if (c.session_interval_s) {
    c.we_refresh = false;  // the peer refreshes, as its request shows
  }
  if (c.session_interval_s) {
    ok.AddHeader("Session-Expires", std::to_string(c.session_interval_s) +
                                        (we_refresh ? ";refresher=uas" : ";refresher=uac"));
  }
  ArmSessionTimer(c);
}

void SipService::ArmSessionTimer(Call& c) {
  if (c.session_timer) timers_->Cancel(c.session_timer);
  c.session_timer = 0;
  if (!c.session_interval_s) return;
  const uint32_t s = c.session_interval_s;
  const std::string key = c.key;
  if (c.we_refresh) {
    // RFC 4028 10: the refresher refreshes at half the interval; UPDATE without a body, so the
    // media stay as they are.
    c.session_timer = timers_->Schedule(sip::Millis(int64_t{s} * 500), [this, key] {
      auto it = calls_.find(key);
      if (it == calls_.end()) return;
      Call& call = *it->second;
      call.session_timer = 0;
      sip::SipMessage update = InDialogRequest(call, "UPDATE");
      update.AddHeader("Contact", Contact(call));
      update.AddHeader("Supported", "timer");
      update.AddHeader("Session-Expires",
                       std::to_string(call.session_interval_s) + ";refresher=uac");
      SendInDialog(call, std::move(update));
      ArmSessionTimer(call);
    });
    return;
  }
  // RFC 4028 10: without a refresh from the refresher (the peer), the session ends at the
  // interval minus the smaller of 32 s and a third of it.
  const uint32_t wait_s = s - std::min(32u, s / 3);
  c.session_timer = timers_->Schedule(sip::Millis(int64_t{wait_s} * 1000), [this, key] {
    auto it = calls_.find(key);
    if (it == calls_.end()) return;
    it->second->session_timer = 0;
    ++stats_.session_timeouts;
    EndCall(key, "session timer expired (no refresh)", 408);
  });
}

}  // namespace tessera::sipua
