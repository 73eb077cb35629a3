// The SIP service's calls: dial-in (INVITE, late offer, ringing, CANCEL), the room join, ACK,
// BYE, INFO and PINs. Mid-dialog re-INVITE, UPDATE and session timers: sip_call_mid.cc.
#include <spdlog/spdlog.h>
#include <tessera/sip/info_body.h>
#include <tessera/sip/sdp.h>

#include <boost/asio/post.hpp>
#include <string>
#include <string_view>

#include "sipua/sip_call.h"
#include "sipua/sip_media.h"

namespace tessera::sipua {

bool HasSdp(const sip::SipMessage& m) {
  return !m.body().empty() && m.content_type() &&
         m.content_type()->MediaType() == "application/sdp";
}

bool Supports(const sip::SipMessage& m, const std::string& tag) {
  for (auto id : {sip::HeaderId::kSupported, sip::HeaderId::kRequire}) {
    if (auto tokens = m.Tokens(id)) {
      for (const auto& t : *tokens) {
        if (t == tag) return true;
      }
    }
  }
  return false;
}

std::string NotAcceptableReason(const StatusOr<sip::NegotiatedSession>& answer) {
  if (!answer.ok()) return answer.status().message();
  std::string why;
  for (const auto& m : answer->media) {
    if (m.accepted || m.reject_reason.empty()) continue;
    why +=
        (why.empty() ? "" : "; ") + ("m= line " + std::to_string(m.index) + ": ") + m.reject_reason;
  }
  return why.empty() ? "no acceptable media" : why;
}

std::string MediaWarning(std::string_view text) {
  std::string quoted;
  for (char c : text.substr(0, 240)) {
    const bool plain = static_cast<unsigned char>(c) >= 0x20 && c != 0x7f && c != '"' && c != '\\';
    quoted += plain ? c : '\'';
  }
  return "304 tessera \"" + quoted + "\"";
}

void SipService::OnInvite(const sip::TuEvent& event) {
  const sip::SipMessage& req = *event.message;
  if (!Authorize(event)) return;
  const std::optional<RoomConfig> room = RoomFor(req.request_uri());
  if (!room && locate_ && !req.request_uri().user.empty()) {
    // In a cluster the room may run on another node: the caller is sent there (RFC 3261 21.3.3).
    if (const std::optional<std::string> at = locate_(req.request_uri().user)) {
      ++stats_.redirected;
      spdlog::info("sip: INVITE from {} for {}: the room runs at {}: 302", event.source.host,
                   req.request_uri().user, *at);
      sip::SipMessage r = Response(req, 302, "Moved Temporarily", SipNewTag());
      r.AddHeader("Contact", "<sip:" + req.request_uri().user + "@" + *at + ">");
      layer_->Respond(event.id, r);
      return;
    }
  }
  if (!room) {
    ++stats_.rejected_room;
    spdlog::info("sip: INVITE from {} for {}: no such room", event.source.host,
                 req.request_uri().user);
    Respond(event, 404, "Not Found");
    return;
  }
  if (calls_.size() >= config_.max_calls) {
    ++stats_.rejected_busy;
    Respond(event, 486, "Busy Here");
    return;
  }
  // RFC 4028: a session interval below our minimum is refused with ours.
  std::optional<sip::SessionExpires> se = req.GetSessionExpires();
  if (se && se->seconds < config_.min_se_s) {
    sip::SipMessage r = Response(req, 422, "Session Interval Too Small", SipNewTag());
    r.AddHeader("Min-SE", std::to_string(config_.min_se_s));
    layer_->Respond(event.id, r);
    return;
  }
  std::optional<sip::SessionDescription> offer;
  if (HasSdp(req)) {
    auto parsed = sip::ParseSdp(req.body());
    if (!parsed.ok()) {
      ++stats_.rejected_sdp;
      Respond(event, 400, "Bad SDP: " + parsed.status().message().substr(0, 80));
      return;
    }
    offer = std::move(*parsed);
  }
  auto ports = PickPorts(*room);
  if (!ports.ok()) {
    ++stats_.rejected_busy;
    spdlog::warn("sip: INVITE for room {}: {}", room->name, ports.status().message());
    Respond(event, 503, "Service Unavailable");
    return;
  }
  auto call = std::make_unique<Call>();
  Call& c = *call;
  c.created_us = clock_.NowUs();
  c.call_id = req.call_id();
  c.remote = *req.from();
  c.local = *req.to();
  c.local.tag = SipNewTag();
  c.key = NewCallKey(c.call_id, c.local.tag);
  c.room = room->name;
  c.pin = room->sip.pin;
  c.remote_cseq = req.cseq()->number;
  c.peer = event.source;
  c.transport = event.source.transport;
  c.remote_target =
      req.contacts().entries.empty() ? req.from()->uri : req.contacts().entries.front().uri;
  if (auto rr = req.Routes(sip::HeaderId::kRecordRoute)) c.route_set = *rr;
  c.invite = req;
  c.invite_tx = event.id;
  c.audio_port = ports->first;
  c.video_port = ports->second;
  c.caps = RoomCapabilities(*room, config_, media_address_, c.audio_port, c.video_port);
  if (c.caps.srtp != sip::SrtpPolicy::kOff) {
    if (Status s = sip::FillSrtpKeys(c.caps); !s.ok()) {
      spdlog::error("sip: SRTP keys: {}", s.message());
      Respond(event, 500, "Server Internal Error");
      return;
    }
  }
  if (offer) {
    auto answer = sip::Answer(*offer, c.caps);
    if (!answer.ok() || answer->not_acceptable) {
      ++stats_.rejected_sdp;
      const std::string why = NotAcceptableReason(answer);
      spdlog::info("sip: INVITE {} refused 488: {}", c.call_id, why);
      sip::SipMessage r = Response(req, 488, "Not Acceptable Here", c.local.tag);
      // The first m= line's reason is the one a phone may show: what it offered and what
      // would take it.
      std::string first = why;
      if (answer.ok() && !answer->media.empty() && !answer->media.front().reject_reason.empty()) {
        first = answer->media.front().reject_reason;
      }
      r.AddHeader("Warning", MediaWarning(first));
      layer_->Respond(event.id, r);
      return;
    }
    c.session = std::move(*answer);
    c.remote_offer = std::move(offer);
  } else {
    auto our = sip::MakeOffer(c.caps);
    if (!our.ok()) {
      Respond(event, 500, "Server Internal Error");
      return;
    }
    c.our_offer = std::move(*our);
  }
  if (se) {
    c.session_interval_s = std::max(se->seconds, config_.min_se_s);
    c.we_refresh = se->refresher == "uas";  // the caller asked us to refresh
  } else if (Supports(req, "timer")) {
    c.session_interval_s = config_.session_expires_s;
  }
  c.name = UniqueName(c.room, ParticipantNameFrom(req.from()->display_name, req.from()->uri.user));
  const std::string key = c.key;
  spdlog::info("sip: call {} from {} ({}:{} over {}) for room {} as {}", c.call_id,
               sip::SerializeUri(c.remote.uri), c.peer.host, c.peer.port, c.transport, c.room,
               c.name);
  calls_[key] = std::move(call);
  if (config_.answer_after_ms > 0) {
    layer_->Respond(event.id, Response(req, 180, "Ringing", c.local.tag));
    c.ring_timer = timers_->Schedule(sip::Millis(config_.answer_after_ms), [this, key] {
      auto it = calls_.find(key);
      if (it == calls_.end()) return;
      it->second->ring_timer = 0;
      Accept(key);
    });
    return;
  }
  Accept(key);
}

StatusOr<sip::NegotiatedSession> SipService::RetryAnswer(Call& c,
                                                         std::pair<uint16_t, uint16_t> ports) {
  c.audio_port = ports.first;
  c.video_port = ports.second;
  c.caps.audio_port = ports.first;
  c.caps.video_port = ports.second;  // SRTP keys stay
  return sip::Answer(*c.remote_offer, c.caps);
}

bool SipService::JoinCall(Call& c, int* code, std::string* reason) {
  const std::optional<RoomConfig> room = rooms_.FindRoom(c.room);
  auto pc = room ? ParticipantFor(*room, *c.session, c.name, c.audio_port, c.video_port)
                 : StatusOr<SipParticipant>(NotFoundError("room gone"));
  if (!pc.ok()) {
    *code = 488;
    *reason = "Not Acceptable Here";
    spdlog::info("sip: call {}: {}", c.call_id, pc.status().message());
    return false;
  }
  pc->options.admitted = c.pin.empty();
  pc->config.audio_g722_pcm = G722PcmFor(config_, c.peer.host);
  // What its keys or the API said during the call outlives a rejoin (new codecs); else what its
  // trunk asserts.
  pc->config.consent = c.consent_in_call.value_or(ConsentFor(config_, c.peer.host));
  for (const auto& m : c.session->media) {
    if (!m.accepted && !m.reject_reason.empty()) {
      spdlog::info("sip: call {}: m= line {} declined: {}", c.call_id, m.index, m.reject_reason);
    }
  }
  const std::string key = c.key;
  const auto& v = c.session->video;
  const bool feedback =
      v && (c.session->media[*v].feedback.pli || c.session->media[*v].feedback.fir);
  c.info_keyframes = v && !feedback;
  // Its digits (RFC 4733), the keyframe requests its camera takes no PLI/FIR for, and its
  // removal by the operator come back through the listener.
  pc->options.listener = CallListenerFor(key);
  auto joined = rooms_.JoinRoom(c.room, std::move(pc->config), std::move(pc->options));
  c.port_conflict = !joined.ok() && (joined.status().code() == StatusCode::kUnavailable ||
                                     joined.status().code() == StatusCode::kFailedPrecondition);
  if (!joined.ok()) {
    const bool full = joined.status().code() == StatusCode::kResourceExhausted;
    if (full) ++stats_.rejected_busy;
    *code = full ? 486 : 500;
    *reason = full ? "Busy Here" : "Server Internal Error";
    spdlog::warn("sip: call {} could not join room {}: {}", c.call_id, c.room,
                 joined.status().message());
    return false;
  }
  c.participant = joined->id;
  c.joined = true;
  by_participant_[{c.room, c.participant}] = c.key;
  c.state = c.pin.empty() ? Call::State::kActive : Call::State::kPin;
  c.held = c.session->audio ? c.session->media[*c.session->audio].remote_hold : false;
  if (c.state == Call::State::kActive) AskConsent(c);
  if (!c.pin.empty() && !c.pin_timer) {  // a rejoin (new codecs) keeps the first deadline
    c.pin_timer = timers_->Schedule(sip::Millis(config_.pin_timeout_s * 1000), [this, key] {
      auto it = calls_.find(key);
      if (it == calls_.end()) return;
      it->second->pin_timer = 0;
      ++stats_.pin_failures;
      EndCall(key, "no PIN entered in time", 408);
    });
  }
  return true;
}

void SipService::Accept(const std::string& key) {
  Call& c = *calls_.at(key);
  const sip::SipMessage& req = *c.invite;
  sip::SessionDescription body;
  if (c.session) {
    int code = 0;
    std::string reason;
    // The ports in the answer were picked and released for the join to reserve: another join
    // (or another program) may have taken them in between. Nothing is answered yet, so the
    // answer is made again on new ports.
    for (int attempt = 1; !JoinCall(c, &code, &reason); ++attempt) {
      const std::optional<RoomConfig> room = rooms_.FindRoom(c.room);
      auto ports = room && c.port_conflict && attempt < 3
                       ? PickPorts(*room)
                       : StatusOr<std::pair<uint16_t, uint16_t>>(UnavailableError("no retry"));
      auto answer =
          ports.ok() ? RetryAnswer(c, *ports) : StatusOr<sip::NegotiatedSession>(ports.status());
      if (!answer.ok()) {
        layer_->Respond(c.invite_tx, Response(req, code, reason, c.local.tag));
        calls_.erase(key);
        return;
      }
      spdlog::info("sip: call {}: its ports were taken; joining on {} and {}", c.call_id,
                   c.audio_port, c.video_port);
      c.session = std::move(*answer);
    }
    body = c.session->local;
    ++stats_.calls_in;
  } else {
    body = *c.our_offer;
    c.awaiting_ack_answer = true;
    c.state = Call::State::kAnswered;
  }
  sip::SipMessage ok = Response(req, 200, "OK", c.local.tag);
  AddCommonHeaders(ok, &c);
  if (auto rr = req.Routes(sip::HeaderId::kRecordRoute); rr && !rr->empty()) {
    for (const auto& f : req.headers()) {
      if (f.id == sip::HeaderId::kRecordRoute) ok.AddHeader("Record-Route", f.value);
    }
  }
  if (c.session_interval_s) {
    ok.AddHeader("Session-Expires", std::to_string(c.session_interval_s) +
                                        (c.we_refresh ? ";refresher=uas" : ";refresher=uac"));
    if (Supports(req, "timer")) ok.AddHeader("Require", "timer");
  }
  ok.AddHeader("Content-Type", "application/sdp");
  ok.set_body(sip::WriteSdp(body));
  layer_->Respond(c.invite_tx, ok);
  layer_->Retransmit2xx(req, ok, c.peer, c.invite_tx);
  by_transaction_[c.invite_tx] = key;
  if (c.state != Call::State::kAnswered) ArmSessionTimer(c);
}

void SipService::AddCommonHeaders(sip::SipMessage& m, const Call* call) const {
  if (call) m.AddHeader("Contact", Contact(*call));
  m.AddHeader("Supported", "timer");
}

void SipService::OnAck(const sip::TuEvent& event) {
  const sip::SipMessage& ack = *event.message;
  Call* c = FindDialog(ack);
  if (!c) return;
  if (c->invite_tx) by_transaction_.erase(c->invite_tx);
  c->invite_tx = 0;
  if (!c->awaiting_ack_answer) return;
  c->awaiting_ack_answer = false;
  const std::string key = c->key;
  if (!HasSdp(ack)) {
    EndCall(key, "the ACK carried no SDP answer to our offer", 488);
    return;
  }
  auto answer = sip::ParseSdp(ack.body());
  auto session = answer.ok() ? sip::ProcessAnswer(*c->our_offer, *answer, c->caps)
                             : StatusOr<sip::NegotiatedSession>(answer.status());
  if (!session.ok() || session->not_acceptable) {
    EndCall(key, "bad SDP answer in the ACK", 488);
    return;
  }
  if (c->joined) {
    if (Status s = Renegotiate(*c, std::move(*session)); !s.ok()) EndCall(key, s.message(), 488);
    return;
  }
  c->session = std::move(*session);
  int code = 0;
  std::string reason;
  if (!JoinCall(*c, &code, &reason)) {
    EndCall(key, reason, code);
    return;
  }
  ++stats_.calls_in;
  ArmSessionTimer(*c);
}

void SipService::OnBye(const sip::TuEvent& event, Call& call) {
  Respond(event, 200, "OK");
  spdlog::info("sip: call {} ended by the peer", call.call_id);
  if (call.invite_tx && call.state == Call::State::kRinging) {
    layer_->Respond(call.invite_tx,
                    Response(*call.invite, 487, "Request Terminated", call.local.tag));
  }
  call.state = Call::State::kEnding;  // no BYE of ours
  EndCall(call.key, "");
}

void SipService::OnCancel(const sip::TuEvent& event) {
  for (auto& [key, c] : calls_) {
    if (c->invite_tx == event.id && c->state == Call::State::kRinging) {
      layer_->Respond(c->invite_tx, Response(*c->invite, 487, "Request Terminated", c->local.tag));
      spdlog::info("sip: call {} cancelled while ringing", c->call_id);
      c->state = Call::State::kEnding;
      EndCall(key, "");
      return;
    }
  }
}

void SipService::OnInfo(const sip::TuEvent& event, Call& c) {
  const sip::SipMessage& req = *event.message;
  const std::string type = req.content_type() ? req.content_type()->MediaType() : "";
  if (type == "application/media_control+xml") {
    if (!sip::IsPictureFastUpdate(req.body())) {
      Respond(event, 400, "Unknown media_control request");
      return;
    }
    ++stats_.keyframe_infos_in;
    Respond(event, 200, "OK");
    if (c.joined) (void)rooms_.RequestKeyframe(c.room, c.participant);
    return;
  }
  if (type == "application/dtmf-relay" || type == "application/dtmf") {
    auto digit = type == "application/dtmf" ? sip::ParseDtmfBody(req.body())
                                            : sip::ParseDtmfRelay(req.body());
    if (!digit) {
      Respond(event, 400, "Bad DTMF body");
      return;
    }
    Respond(event, 200, "OK");
    OnDigit(c.key, *digit);
    return;
  }
  if (req.body().empty()) {
    Respond(event, 200, "OK");  // a keep-alive INFO
    return;
  }
  sip::SipMessage r = Response(req, 415, "Unsupported Media Type", "");
  r.AddHeader("Accept", "application/media_control+xml, application/dtmf-relay, application/dtmf");
  layer_->Respond(event.id, r);
}

void SipService::OnDigit(const std::string& key, char digit) {
  auto it = calls_.find(key);
  if (it == calls_.end()) return;
  Call& c = *it->second;
  if (c.state == Call::State::kActive) {
    (void)OnConsentKey(c, digit);
    return;
  }
  if (c.state != Call::State::kPin) return;
  if (digit != '#') c.digits.push_back(digit);
  if (c.digits == c.pin) {
    if (c.pin_timer) timers_->Cancel(c.pin_timer);
    c.pin_timer = 0;
    c.digits.clear();
    if (Status s = rooms_.Admit(c.room, c.participant); !s.ok()) {
      EndCall(key, "admission failed: " + s.message(), 500);
      return;
    }
    c.state = Call::State::kActive;
    spdlog::info("sip: call {} entered the PIN of room {}", c.call_id, c.room);
    AskConsent(c);
    return;
  }
  if (digit != '#' && c.digits.size() < c.pin.size()) return;
  if (digit == '#' && c.digits.empty()) return;
  c.digits.clear();
  ++c.wrong_pins;
  spdlog::warn("sip: call {} entered a wrong PIN for room {} ({} of {})", c.call_id, c.room,
               c.wrong_pins, config_.pin_attempts);
  if (c.wrong_pins >= config_.pin_attempts) {
    ++stats_.pin_failures;
    EndCall(key, "wrong PIN", 403);
  }
}

void SipService::OnTimeout(const sip::TuEvent& event) {
  auto t = by_transaction_.find(event.id);
  if (t == by_transaction_.end()) return;
  const std::string key = t->second;
  by_transaction_.erase(t);
  auto it = calls_.find(key);
  if (it == calls_.end()) return;
  Call& c = *it->second;
  if (c.invite_tx == event.id) {
    c.invite_tx = 0;
    EndCall(key, c.outbound ? "no answer" : "no ACK for our 200", 408);
  }
}

}  // namespace tessera::sipua
