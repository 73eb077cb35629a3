// The SIP service's own requests: in-dialog requests (BYE, INFO), ending calls, and dial-out
// (INVITE through the outbound proxy, digest answers to 401/407, ACK of the 2xx).
#include <spdlog/spdlog.h>
#include <tessera/sip/info_body.h>
#include <tessera/sip/sdp.h>

#include <boost/asio/ip/address.hpp>

#include "sipua/sip_call.h"
#include "sipua/sip_media.h"

namespace tessera::sipua {
namespace {

bool IsIpLiteral(const std::string& host) {
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(h, ec);
  return !ec;
}

std::string StripBrackets(const std::string& host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

std::string TransportOf(const sip::SipUri& uri, const std::string& fallback) {
  if (const sip::Param* t = sip::FindParam(uri.params, "transport")) {
    std::string v = t->value;
    for (auto& ch : v) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (v == "UDP" || v == "TCP" || v == "TLS") return v;
  }
  return uri.scheme == sip::UriScheme::kSips ? "TLS" : fallback;
}

// From/To as written: the tag field is kept in params too (a parsed NameAddr has it in both).
std::string WithTag(sip::NameAddr a) {
  std::erase_if(a.params, [](const sip::Param& p) { return p.name == "tag"; });
  if (!a.tag.empty()) a.params.push_back({"tag", a.tag, true, false});
  return sip::SerializeNameAddr(a);
}

}  // namespace

std::string SipService::Contact(const Call& call) const {
  const Listener& l = ListenerFor(call.transport);
  const std::string host = l.host.find(':') != std::string::npos ? "[" + l.host + "]" : l.host;
  std::string user = call.room;
  return "<sip:" + user + "@" + host + ":" + std::to_string(l.port) +
         (call.transport == "UDP" ? "" : ";transport=" + call.transport) + ">";
}

sip::Destination SipService::DialogDestination(const Call& c) const {
  // The first Route (a proxy that record-routed), else symmetric signalling: back to where the
  // peer's requests came from, over its connection (phones behind NAT, TCP peers).
  if (!c.route_set.empty() && IsIpLiteral(c.route_set.front().uri.host)) {
    const sip::SipUri& r = c.route_set.front().uri;
    sip::Destination d;
    d.transport = TransportOf(r, c.transport);
    d.host = StripBrackets(r.host);
    d.port = r.port.value_or(d.transport == "TLS" ? 5061 : 5060);
    if (d.transport == c.peer.transport && d.host == c.peer.host && d.port == c.peer.port) {
      d.connection = c.peer.connection;
    }
    return d;
  }
  return c.peer;
}

sip::SipMessage SipService::InDialogRequest(Call& c, const std::string& method) {
  return DialogRequest(c, method, ++c.local_cseq);
}

sip::SipMessage SipService::DialogRequest(const Call& c, const std::string& method,
                                          uint32_t cseq) const {
  sip::SipMessage r = sip::SipMessage::Request(method, c.remote_target);
  const Listener& l = ListenerFor(c.transport);
  const std::string host = l.host.find(':') != std::string::npos ? "[" + l.host + "]" : l.host;
  r.AddHeader("Via", "SIP/2.0/" + c.transport + " " + host + ":" + std::to_string(l.port) +
                         ";branch=" + sip::TransactionLayer::NewBranch() + ";rport");
  r.AddHeader("Max-Forwards", "70");
  for (const auto& route : c.route_set) r.AddHeader("Route", sip::SerializeNameAddr(route));
  r.AddHeader("From", WithTag(c.local));
  r.AddHeader("To", WithTag(c.remote));
  r.AddHeader("Call-ID", c.call_id);
  r.AddHeader("CSeq", std::to_string(cseq) + " " + method);
  r.AddHeader("User-Agent", "Tessera/0.1");
  return r;
}

void SipService::SendInDialog(Call& c, sip::SipMessage request) {
  const sip::TransactionId id = layer_->SendRequest(std::move(request), DialogDestination(c));
  if (!id) spdlog::warn("sip: call {}: could not send an in-dialog request", c.call_id);
}

void SipService::SendKeyframeInfo(const std::string& key) {
  auto it = calls_.find(key);
  if (it == calls_.end()) return;
  Call& c = *it->second;
  if (c.state != Call::State::kActive && c.state != Call::State::kPin) return;
  const int64_t now = clock_.NowUs();
  if (now - c.last_keyframe_info_us < 1'000'000) return;  // coalesced: one a second at most
  c.last_keyframe_info_us = now;
  sip::SipMessage info = InDialogRequest(c, "INFO");
  info.AddHeader("Content-Type", "application/media_control+xml");
  info.set_body(sip::PictureFastUpdateBody());
  ++stats_.keyframe_infos_out;
  SendInDialog(c, std::move(info));
}

void SipService::EndCall(const std::string& key, const std::string& why, int cause) {
  auto it = calls_.find(key);
  if (it == calls_.end()) return;
  std::unique_ptr<Call> call = std::move(it->second);
  calls_.erase(it);
  Call& c = *call;
  for (uint64_t* t : {&c.ring_timer, &c.pin_timer, &c.session_timer, &c.consent_timer}) {
    if (*t) timers_->Cancel(*t);
  }
  for (auto i = by_transaction_.begin(); i != by_transaction_.end();) {
    i = i->second == key ? by_transaction_.erase(i) : std::next(i);
  }
  by_participant_.erase({c.room, c.participant});
  if (c.joined) (void)rooms_.LeaveRoom(c.room, c.participant);
  if (c.state == Call::State::kEnding) return;  // the peer ended it (BYE, CANCEL)
  if (!why.empty()) spdlog::info("sip: call {} ends: {}", c.call_id, why);
  if (c.state == Call::State::kRinging) {
    if (c.outbound) {
      // No final answer yet: CANCEL (RFC 3261 9.1), with the INVITE's Request-URI, top Via
      // (branch), From, To, Call-ID, Route and CSeq number. Its 487 is ACKed by the INVITE's
      // client transaction; a 200 that crosses the CANCEL finds no call and is not ACKed, so
      // the callee ends it itself.
      if (c.out_invite && c.invite_tx) {
        const sip::SipMessage& inv = *c.out_invite;
        sip::SipMessage cancel = sip::SipMessage::Request("CANCEL", inv.request_uri());
        for (const sip::HeaderField& f : inv.headers()) {
          using H = sip::HeaderId;
          if (f.id == H::kVia || f.id == H::kRoute || f.id == H::kFrom || f.id == H::kTo ||
              f.id == H::kCallId || f.id == H::kMaxForwards) {
            cancel.AddHeader(f.name, f.value);
          }
        }
        cancel.AddHeader("CSeq", std::to_string(inv.cseq()->number) + " CANCEL");
        if (!layer_->SendRequest(cancel, DialogDestination(c))) {
          spdlog::warn("sip: call {}: could not send CANCEL", c.call_id);
        }
        // Kept for 64*T1: a 200 that crosses the CANCEL is ACKed and ended with a BYE.
        const std::string key = c.key;
        cancelled_[key] = std::move(call);
        timers_->Schedule(sip::Millis(32'000), [this, key] { cancelled_.erase(key); });
      }
      return;
    }
    if (c.invite_tx) {
      layer_->Respond(c.invite_tx,
                      Response(*c.invite, cause >= 400 ? cause : 480, why, c.local.tag));
    }
    return;
  }
  sip::SipMessage bye = InDialogRequest(c, "BYE");
  if (cause != 200) {
    bye.AddHeader("Reason", "SIP;cause=" + std::to_string(cause) + ";text=\"" + why + "\"");
  }
  SendInDialog(c, std::move(bye));
}

sip::SipMessage SipService::DialOutInvite(Call& c) {
  sip::SipMessage invite = InDialogRequest(c, "INVITE");
  invite.AddHeader("Contact", Contact(c));
  invite.AddHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE");
  invite.AddHeader("Supported", "timer");
  invite.AddHeader("Session-Expires", std::to_string(config_.session_expires_s));
  invite.AddHeader("Content-Type", "application/sdp");
  invite.set_body(sip::WriteSdp(*c.our_offer));
  return invite;
}

StatusOr<std::string> SipService::Dial(const std::string& room_name, const std::string& uri_text,
                                       const std::string& name) {
  const std::optional<RoomConfig> room = rooms_.FindRoom(room_name);
  if (!room) return NotFoundError("no room '" + room_name + "'");
  auto parsed = sip::ParseUri(uri_text, sip::DefaultParseLimits());
  if (!parsed.uri || !parsed.uri->is_sip() || parsed.uri->host.empty()) {
    return InvalidArgumentError("not a SIP URI: " + uri_text);
  }
  const SipOutboundConfig& ob = config_.outbound;
  sip::SipUri next_hop = *parsed.uri;
  if (!ob.proxy.empty()) {
    auto proxy = sip::ParseUri(ob.proxy, sip::DefaultParseLimits());
    if (!proxy.uri) return FailedPreconditionError("sip.outbound.proxy is not a SIP URI");
    next_hop = *proxy.uri;
  }
  if (!IsIpLiteral(next_hop.host)) {
    return InvalidArgumentError(next_hop.host +
                                " is not an IP address (Tessera does not resolve names)");
  }
  auto ports = PickPorts(*room);
  if (!ports.ok()) return ports.status();
  auto call = std::make_unique<Call>();
  Call& c = *call;
  c.outbound = true;
  c.created_us = clock_.NowUs();
  c.transport = TransportOf(next_hop, "UDP");
  if (listeners_.empty()) return FailedPreconditionError("no SIP listener");
  c.out_destination.transport = c.transport;
  c.out_destination.host = StripBrackets(next_hop.host);
  c.out_destination.port = next_hop.port.value_or(c.transport == "TLS" ? 5061 : 5060);
  c.peer = c.out_destination;
  c.call_id = SipNewTag() + SipNewTag() + "@tessera";
  c.room = room->name;
  c.name = UniqueName(c.room, name.empty() ? ParticipantNameFrom("", parsed.uri->user) : name);
  const Listener& l = ListenerFor(c.transport);
  c.local.uri.user = ob.from_user;
  c.local.uri.host = l.host.find(':') != std::string::npos ? "[" + l.host + "]" : l.host;
  c.local.uri.port = l.port;
  c.local.display_name = room->name;
  c.local.tag = SipNewTag();
  c.remote.uri = *parsed.uri;
  c.dialled = uri_text;
  c.remote_target = *parsed.uri;
  if (!ob.proxy.empty()) {
    sip::NameAddr route;
    route.uri = next_hop;
    route.uri.params.push_back({"lr", "", false, false});
    c.route_set.push_back(route);
  }
  c.key = NewCallKey(c.call_id, c.local.tag);
  c.audio_port = ports->first;
  c.video_port = ports->second;
  c.caps = RoomCapabilities(*room, config_, media_address_, c.audio_port, c.video_port);
  if (c.caps.srtp == sip::SrtpPolicy::kRequired) (void)sip::FillSrtpKeys(c.caps);
  auto offer = sip::MakeOffer(c.caps);
  if (!offer.ok()) return offer.status();
  c.our_offer = std::move(*offer);
  c.local_cseq = 0;
  sip::SipMessage invite = DialOutInvite(c);
  c.out_invite = invite;
  const std::string key = c.key;
  const std::string call_id = c.call_id;
  calls_[key] = std::move(call);
  const sip::TransactionId id = layer_->SendRequest(invite, DialogDestination(*calls_[key]));
  if (!id) {
    calls_.erase(key);
    return UnavailableError("could not send the INVITE");
  }
  calls_[key]->invite_tx = id;
  by_transaction_[id] = key;
  spdlog::info("sip: dialling {} for room {} (call {})", uri_text, room_name, call_id);
  return call_id;
}

void SipService::OnResponse(const sip::TuEvent& event) {
  const sip::SipMessage& r = *event.message;
  Call* c = FindDialog(r);
  if (!c) {
    // A 2xx for a dial-out we cancelled: the callee answered first. ACK it, then BYE.
    auto it = r.from() ? cancelled_.find(NewCallKey(r.call_id(), r.from()->tag)) : cancelled_.end();
    if (it == cancelled_.end() || r.status_code() / 100 != 2 || !r.cseq() ||
        r.cseq()->method != "INVITE" || !r.to()) {
      return;
    }
    std::unique_ptr<Call> gone = std::move(it->second);
    cancelled_.erase(it);
    gone->remote.tag = r.to()->tag;
    if (!r.contacts().entries.empty()) gone->remote_target = r.contacts().entries.front().uri;
    if (auto rr = r.Routes(sip::HeaderId::kRecordRoute); rr && !rr->empty()) {
      gone->route_set.assign(rr->rbegin(), rr->rend());
    }
    layer_->SendStateless(DialogRequest(*gone, "ACK", gone->local_cseq), DialogDestination(*gone));
    SendInDialog(*gone, InDialogRequest(*gone, "BYE"));
    spdlog::info("sip: dial-out call {} was answered after its CANCEL: ended", gone->call_id);
    return;
  }
  if (r.cseq() && r.cseq()->method == "UPDATE" && event.kind == sip::TuEvent::Kind::kResponse) {
    // The answer to our session refresh: a refusal other than "not supported" or "pending"
    // means the dialog is gone (RFC 4028 10).
    const int code = r.status_code();
    if (code >= 300 && code != 405 && code != 501 && code != 491) {
      EndCall(c->key, "session refresh refused (" + std::to_string(code) + ")", code);
    }
    return;
  }
  if (!r.cseq() || r.cseq()->method != "INVITE" || !c->outbound) return;
  if (event.kind == sip::TuEvent::Kind::kStrayResponse) {
    // A repeated 2xx: our ACK got lost.
    if (r.status_code() / 100 == 2 && c->ack) layer_->SendStateless(*c->ack, DialogDestination(*c));
    return;
  }
  OnDialResponse(*c, r);
}

void SipService::OnDialResponse(Call& c, const sip::SipMessage& r) {
  const int code = r.status_code();
  if (code < 200) return;
  by_transaction_.erase(c.invite_tx);
  c.invite_tx = 0;
  const std::string key = c.key;
  if ((code == 401 || code == 407) && !c.auth_tried && !config_.outbound.username.empty()) {
    c.auth_tried = true;
    const auto* h =
        r.Find(code == 401 ? sip::HeaderId::kWwwAuthenticate : sip::HeaderId::kProxyAuthenticate);
    auto challenge = h ? sip::ParseDigestChallenge(h->value) : std::nullopt;
    auto creds = challenge
                     ? sip::AnswerDigestChallenge(
                           *challenge, config_.outbound.username, config_.outbound.password,
                           "INVITE", sip::SerializeUri(c.out_invite->request_uri()), SipNewTag(), 1)
                     : std::nullopt;
    if (creds) {
      sip::SipMessage invite = DialOutInvite(c);
      invite.AddHeader(code == 401 ? "Authorization" : "Proxy-Authorization",
                       sip::SerializeDigestCredentials(*creds));
      c.out_invite = invite;
      const sip::TransactionId id = layer_->SendRequest(invite, DialogDestination(c));
      if (id) {
        c.invite_tx = id;
        by_transaction_[id] = key;
        return;
      }
    }
  }
  if (code >= 300) {
    spdlog::warn("sip: dial-out call {} failed: {} {}", c.call_id, code, r.reason());
    c.state = Call::State::kEnding;
    EndCall(key, "");
    return;
  }
  // 2xx: the dialog (RFC 3261 12.1.2), the answer, the room, then the ACK.
  c.remote.tag = r.to()->tag;
  if (!r.contacts().entries.empty()) c.remote_target = r.contacts().entries.front().uri;
  if (auto rr = r.Routes(sip::HeaderId::kRecordRoute); rr && !rr->empty()) {
    c.route_set.assign(rr->rbegin(), rr->rend());
  }
  // The ACK of a 2xx is its own transaction with the INVITE's CSeq number (RFC 3261 13.2.2.4).
  const sip::SipMessage ack = DialogRequest(c, "ACK", c.local_cseq);
  c.ack = ack;
  layer_->SendStateless(ack, DialogDestination(c));
  auto answer = sip::ParseSdp(r.body());
  auto session = answer.ok() ? sip::ProcessAnswer(*c.our_offer, *answer, c.caps)
                             : StatusOr<sip::NegotiatedSession>(answer.status());
  if (!session.ok() || session->not_acceptable) {
    c.state = Call::State::kActive;  // established: ended with a BYE
    EndCall(key, "the callee's answer does not fit our offer", 488);
    return;
  }
  c.session = std::move(*session);
  int sip_code = 0;
  std::string reason;
  c.state = Call::State::kActive;
  if (!JoinCall(c, &sip_code, &reason)) {
    EndCall(key, reason, sip_code);
    return;
  }
  ++stats_.calls_out;
  spdlog::info("sip: dial-out call {} answered; {} joined room {}", c.call_id, c.name, c.room);
  if (auto se = r.GetSessionExpires()) {
    // RFC 4028 7.2: the callee's 2xx says who refreshes; "uac" is us.
    c.session_interval_s = se->seconds;
    c.we_refresh = se->refresher != "uas";
    ArmSessionTimer(c);
  }
}

}  // namespace tessera::sipua
