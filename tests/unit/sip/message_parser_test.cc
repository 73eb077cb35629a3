#include <gtest/gtest.h>
#include <tessera/sip/message.h>

#include <string>

namespace tessera::sip {
namespace {

// RFC 3261 24.2 F1, Alice's INVITE, with an SDP body.
std::string Invite(std::string_view body = "v=0\r\n") {
  return "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
         "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\n"
         "Max-Forwards: 70\r\n"
         "To: Bob <sip:bob@biloxi.com>\r\n"
         "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
         "Call-ID: a84b4c76e66710\r\n"
         "CSeq: 314159 INVITE\r\n"
         "Contact: <sip:alice@pc33.atlanta.com>\r\n"
         "Content-Type: application/sdp\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST(SipMessageParser, ParsesRfc3261Invite) {
  ParseResult r = ParseSipMessage(Invite());
  ASSERT_TRUE(r.ok()) << r.error.reason;
  const SipMessage& m = *r.message;
  EXPECT_TRUE(m.is_request());
  EXPECT_EQ(m.method(), "INVITE");
  EXPECT_EQ(m.request_uri().user, "bob");
  EXPECT_EQ(m.version(), "SIP/2.0");
  EXPECT_EQ(m.vias()[0].branch, "z9hG4bKnashds8");
  EXPECT_EQ(m.max_forwards(), 70);
  EXPECT_EQ(m.to()->display_name, "Bob");
  EXPECT_TRUE(m.to()->tag.empty());
  EXPECT_EQ(m.from()->tag, "1928301774");
  EXPECT_EQ(m.call_id(), "a84b4c76e66710");
  EXPECT_EQ(m.cseq()->number, 314159u);
  EXPECT_EQ(m.contacts().entries[0].uri.host, "pc33.atlanta.com");
  EXPECT_EQ(m.body(), "v=0\r\n");
  EXPECT_EQ(m.headers().size(), 9u);
}

TEST(SipMessageParser, ParsesResponsesAndKeepsHeaderOrder) {
  ParseResult r = ParseSipMessage(
      "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nv: SIP/2.0/UDP b;branch=z\r\n"
      "Record-Route: <sip:p1;lr>, <sip:p2;lr>\r\nRecord-Route: <sip:p3;lr>\r\nl: 0\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.error.reason;
  EXPECT_FALSE(r.message->is_request());
  EXPECT_EQ(r.message->status_code(), 180);
  EXPECT_EQ(r.message->reason(), "Ringing");
  EXPECT_EQ(r.message->vias().size(), 2u);
  EXPECT_EQ(r.message->headers()[1].name, "Via");  // compact form canonicalised
  auto rr = r.message->Routes(HeaderId::kRecordRoute);
  ASSERT_TRUE(rr);
  ASSERT_EQ(rr->size(), 3u);
  EXPECT_EQ((*rr)[2].uri.host, "p3");
}

TEST(SipMessageParser, AcceptsBareLineFeedsAndLeadingBlankLines) {
  ParseResult r = ParseSipMessage(
      "\r\n\r\nOPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nCall-ID: x\n\nbody");
  ASSERT_TRUE(r.ok()) << r.error.reason;
  EXPECT_EQ(r.message->body(), "body");
}

TEST(SipMessageParser, DatagramBodyFollowsContentLength) {
  std::string shorter = Invite("v=0\r\n") + "trailing";
  ParseResult r = ParseSipMessage(shorter);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->body(), "v=0\r\n");
  std::string truncated = Invite("v=0\r\n");
  truncated.resize(truncated.size() - 2);
  ParseResult t = ParseSipMessage(truncated);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error.reason, "Content-Length larger than the message");
  EXPECT_TRUE(t.error.answerable);
  EXPECT_EQ(t.error.partial.call_id(), "a84b4c76e66710");
}

TEST(SipMessageParser, GarbageIsDroppedNotAnswered) {
  for (std::string_view garbage :
       {"", "\r\n", "hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        "SIP/2.0 99 Too small\r\n\r\n", "SIP/2.0 700 Too big\r\n\r\n",
        "INVITE sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n\x01"}) {
    ParseResult r = ParseSipMessage(garbage);
    if (r.ok()) continue;  // the last one parses; CheckRequest rejects it
    EXPECT_FALSE(r.error.answerable) << garbage;
    EXPECT_FALSE(r.error.reason.empty());
  }
}

TEST(SipMessageParser, RejectsBrokenHeaderSyntax) {
  const std::string head = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n";
  for (std::string_view tail :
       {"NoColon\r\n\r\n", " folded-first\r\n\r\n", "Bad Name: x\r\n\r\n", "X: a\rb\r\n\r\n",
        "Max-Forwards: 256\r\n\r\n", "Content-Length: -1\r\n\r\n", "Call-ID: a b\r\n\r\n",
        "To: <sip:a@b\r\n\r\n", "X: y\r\n"}) {
    ParseResult r = ParseSipMessage(head + std::string(tail));
    EXPECT_FALSE(r.ok()) << tail;
    EXPECT_TRUE(r.error.answerable) << tail;
    EXPECT_EQ(r.error.status, 400);
  }
}

TEST(SipMessageParser, EveryLimitGivesACleanError) {
  const std::string invite = Invite(std::string(200, 'x'));
  struct Case {
    void (*shrink)(ParseLimits&);
    const char* reason;
  };
  const Case cases[] = {
      {[](ParseLimits& l) { l.max_message_bytes = 300; }, "message too long"},
      {[](ParseLimits& l) { l.max_header_bytes = 100; }, "header block too long"},
      {[](ParseLimits& l) { l.max_headers = 3; }, "too many headers"},
      {[](ParseLimits& l) { l.max_line_bytes = 30; }, "start line too long"},
      {[](ParseLimits& l) { l.max_line_bytes = 40; }, "header too long"},
      {[](ParseLimits& l) { l.max_body_bytes = 100; }, "Content-Length over the limit"},
      {[](ParseLimits& l) { l.max_via = 0; }, "too many Via"},
      {[](ParseLimits& l) { l.max_uri_bytes = 10; }, "bad Request-URI: URI too long"},
      {[](ParseLimits& l) { l.max_params = 0; }, "bad Via: too many parameters"},
  };
  for (const Case& c : cases) {
    ParseLimits limits;
    c.shrink(limits);
    ParseResult r = ParseSipMessage(invite, limits);
    ASSERT_FALSE(r.ok()) << c.reason;
    EXPECT_EQ(r.error.reason, c.reason);
  }
  ParseLimits values;
  values.max_values_per_header = 2;
  ParseResult r = ParseSipMessage(
      "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP a, SIP/2.0/UDP b, SIP/2.0/UDP c\r\n\r\n",
      values);
  EXPECT_FALSE(r.ok());
  ParseLimits routes;
  routes.max_route = 1;
  ParseResult two_routes =
      ParseSipMessage("OPTIONS sip:a@b SIP/2.0\r\nRoute: <sip:a>, <sip:b>\r\n\r\n", routes);
  ASSERT_TRUE(two_routes.ok());
  std::string error;
  EXPECT_FALSE(two_routes.message->Routes(HeaderId::kRoute, routes, &error));
  EXPECT_EQ(error, "too many routes");
}

TEST(StreamFraming, SkipsKeepalivesAndFramesBackToBackMessages) {
  const std::string a = Invite("v=0\r\n");
  const std::string b = Invite("v=0\r\ns=-\r\n");
  const std::string stream = "\r\n\r\n" + a + b;
  FrameResult ka = FrameStreamMessage(stream);
  EXPECT_EQ(ka.kind, FrameResult::Kind::kKeepalive);
  EXPECT_EQ(ka.bytes, 4u);
  std::string_view rest = std::string_view(stream).substr(ka.bytes);
  FrameResult first = FrameStreamMessage(rest);
  ASSERT_EQ(first.kind, FrameResult::Kind::kMessage);
  EXPECT_EQ(first.bytes, a.size());
  rest.remove_prefix(first.bytes);
  FrameResult second = FrameStreamMessage(rest);
  ASSERT_EQ(second.kind, FrameResult::Kind::kMessage);
  EXPECT_EQ(second.bytes, b.size());
  EXPECT_TRUE(ParseSipMessage(rest.substr(0, second.bytes)).ok());
}

TEST(StreamFraming, AsksForMoreUntilTheBodyIsIn) {
  const std::string a = Invite("v=0\r\no=- 1 1 IN IP4 h\r\n");
  for (size_t n = 1; n < a.size(); ++n) {
    FrameResult r = FrameStreamMessage(std::string_view(a).substr(0, n));
    ASSERT_EQ(r.kind, FrameResult::Kind::kNeedMore) << n;
    if (r.bytes != 0) {
      EXPECT_EQ(r.bytes, a.size());
    }
  }
  EXPECT_EQ(FrameStreamMessage(a).kind, FrameResult::Kind::kMessage);
}

TEST(StreamFraming, NeedsOneValidContentLength) {
  using Kind = FrameResult::Kind;
  EXPECT_EQ(FrameStreamMessage("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n").error,
            "missing Content-Length on a stream");
  EXPECT_EQ(
      FrameStreamMessage("OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 1\r\n\r\nx").error,
      "multiple Content-Length headers");
  EXPECT_EQ(FrameStreamMessage("OPTIONS sip:a@b SIP/2.0\r\nl: -5\r\n\r\n").kind, Kind::kError);
  ParseLimits limits;
  limits.max_header_bytes = 64;
  EXPECT_EQ(FrameStreamMessage(std::string(100, 'a'), limits).kind, Kind::kError);
  EXPECT_EQ(FrameStreamMessage(std::string(50, 'a'), limits).kind, Kind::kNeedMore);
  EXPECT_EQ(FrameStreamMessage("OPTIONS sip:a@b SIP/2.0\r\nl: 99999\r\n\r\n").error,
            "bad Content-Length");
}

TEST(SipMessageWriter, SerializesSoThatItParsesBack) {
  ParseResult r = ParseSipMessage(Invite("v=0\r\n"));
  ASSERT_TRUE(r.ok());
  const std::string text = SerializeMessage(*r.message);
  EXPECT_EQ(text, Invite("v=0\r\n"));
  SipMessage built = SipMessage::Request("OPTIONS", *ParseUri("sip:x@y", DefaultParseLimits()).uri);
  ASSERT_TRUE(built.AddHeader("v", "SIP/2.0/TCP h:5060;branch=z9hG4bKa"));
  EXPECT_FALSE(built.AddHeader("CSeq", "1 OPTIONS x"));
  ASSERT_TRUE(built.AddHeader("CSeq", "1 OPTIONS"));
  EXPECT_FALSE(built.AddHeader("CSeq", "2 OPTIONS"));  // single-valued
  EXPECT_EQ(SerializeMessage(built),
            "OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/TCP h:5060;branch=z9hG4bKa\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
}

TEST(SipMessageWriter, MakeResponseCopiesTheTransactionHeaders) {
  std::string request = Invite();
  request.insert(request.find("Max-Forwards"),
                 "Via: SIP/2.0/UDP second.example.com;branch=z9hG4bK2\r\nTimestamp: 54\r\n");
  ParseResult r = ParseSipMessage(request);
  ASSERT_TRUE(r.ok()) << r.error.reason;
  SipMessage ok = MakeResponse(*r.message, 200, "OK", "a6c85cf");
  EXPECT_EQ(ok.status_code(), 200);
  ASSERT_EQ(ok.vias().size(), 2u);
  EXPECT_EQ(ok.vias()[1].host, "second.example.com");
  EXPECT_EQ(ok.to()->tag, "a6c85cf");
  EXPECT_EQ(ok.from()->tag, "1928301774");
  EXPECT_EQ(ok.call_id(), "a84b4c76e66710");
  EXPECT_EQ(ok.cseq()->number, 314159u);
  EXPECT_EQ(ok.Find(HeaderId::kTimestamp), nullptr);
  EXPECT_EQ(ok.Find(HeaderId::kContact), nullptr);
  SipMessage trying = MakeResponse(*r.message, 100, "Trying", "a6c85cf");
  EXPECT_TRUE(trying.to()->tag.empty());
  ASSERT_NE(trying.Find(HeaderId::kTimestamp), nullptr);
  const std::string text = SerializeMessage(ok);
  EXPECT_NE(text.find("\r\nContent-Length: 0\r\n\r\n"), std::string::npos);
  ParseResult back = ParseSipMessage(text);
  ASSERT_TRUE(back.ok()) << back.error.reason;
  EXPECT_EQ(back.message->to()->tag, "a6c85cf");
}

}  // namespace
}  // namespace tessera::sip
