// Messages and action descriptions shared by the transaction tests.
#pragma once

#include <gtest/gtest.h>
#include <tessera/sip/transaction.h>
#include <tessera/sip/transaction_layer.h>

#include <string>

namespace tessera::sip::testing {

inline SipMessage Parse(const std::string& text) {
  ParseResult r = ParseSipMessage(text);
  EXPECT_TRUE(r.ok()) << r.error.reason << "\n" << text;
  return r.ok() ? *r.message : SipMessage::Response(0, "");
}

struct RequestSpec {
  std::string method = "INVITE";
  std::string branch = "z9hG4bK776asdhds";
  std::string transport = "UDP";
  std::string sent_by = "pc33.atlanta.com";
  std::string to_tag{};
  std::string call_id = "a84b4c76e66710";
  uint32_t cseq = 314159;
  std::string cseq_method{};  // empty: method
};

inline std::string RequestText(const RequestSpec& s) {
  return s.method + " sip:conf@tessera.example.com SIP/2.0\r\nVia: SIP/2.0/" + s.transport + " " +
         s.sent_by + ";branch=" + s.branch +
         "\r\nMax-Forwards: 70\r\nTo: <sip:conf@tessera.example.com>" +
         (s.to_tag.empty() ? "" : ";tag=" + s.to_tag) +
         "\r\nFrom: Alice <sip:alice@atlanta.com>;tag=1928301774\r\nCall-ID: " + s.call_id +
         "\r\nCSeq: " + std::to_string(s.cseq) + " " +
         (s.cseq_method.empty() ? s.method : s.cseq_method) +
         "\r\nRoute: <sip:proxy.example.com;lr>\r\nContent-Length: 0\r\n\r\n";
}

inline SipMessage Request(const RequestSpec& s = {}) { return Parse(RequestText(s)); }

// A response to `request` with a To tag.
inline SipMessage Answer(const SipMessage& request, int code, std::string_view tag = "as1") {
  return MakeResponse(request, code, code < 200 ? "Ringing" : "Whatever", tag);
}

// "send" / "start A 500" / "cancel A" / "tu" / "timeout" / "error" / "end", comma-separated.
inline std::string Describe(const Actions& actions) {
  std::string out;
  for (const Action& a : actions) {
    if (!out.empty()) out += ",";
    switch (a.kind) {
      case Action::Kind::kSend:
        out += "send";
        break;
      case Action::Kind::kStartTimer:
        out +=
            std::string("start ") + TimerName(a.timer) + " " + std::to_string(a.duration.count());
        break;
      case Action::Kind::kCancelTimer:
        out += std::string("cancel ") + TimerName(a.timer);
        break;
      case Action::Kind::kPassToTu:
        out += "tu";
        break;
      case Action::Kind::kTimeout:
        out += "timeout";
        break;
      case Action::Kind::kTransportError:
        out += "error";
        break;
      case Action::Kind::kTerminated:
        out += "end";
        break;
    }
  }
  return out;
}

inline Destination Udp(std::string host = "192.0.2.4", uint16_t port = 5060) {
  Destination d;
  d.host = std::move(host);
  d.port = port;
  return d;
}

inline Destination Tcp(std::string host = "192.0.2.4", uint16_t port = 5060) {
  Destination d = Udp(std::move(host), port);
  d.transport = "TCP";
  d.connection = 7;
  return d;
}

// A transaction user that answers every request 200 OK (to-tag t1) and counts them.
class AnswerAll : public TransactionUser {
 public:
  void OnTransactionEvent(const TuEvent& event) override {
    if (event.kind != TuEvent::Kind::kRequest) return;
    ++requests;
    (void)layer->Respond(event.id, MakeResponse(*event.message, 200, "OK", "t1"));
  }
  TransactionLayer* layer = nullptr;
  int requests = 0;
};

}  // namespace tessera::sip::testing
