#include <gtest/gtest.h>
#include <tessera/sip/headers.h>

namespace tessera::sip {
namespace {

const ParseLimits& L() { return DefaultParseLimits(); }

TEST(ViaHeader, ParsesSentByAndTheParametersThatRouteResponses) {
  auto r = ParseViaList(
      "SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5070;"
      "maddr=224.2.0.1;ttl=16, SIP/2.0/tcp [2001:db8::9];rport;branch=z9hG4bKx",
      L());
  ASSERT_TRUE(r.value) << r.error;
  ASSERT_EQ(r.value->size(), 2u);
  const Via& v = (*r.value)[0];
  EXPECT_EQ(v.host, "pc33.atlanta.com");
  EXPECT_EQ(v.port, 5066);
  EXPECT_EQ(v.branch, "z9hG4bK776asdhds");
  EXPECT_EQ(v.received, "192.0.2.1");
  EXPECT_TRUE(v.rport);
  EXPECT_EQ(v.rport_value, 5070);
  EXPECT_EQ(v.maddr, "224.2.0.1");
  EXPECT_EQ(v.ttl, 16);
  const Via& w = (*r.value)[1];
  EXPECT_EQ(w.transport, "TCP");
  EXPECT_EQ(w.host, "[2001:db8::9]");
  EXPECT_TRUE(w.rport);
  EXPECT_FALSE(w.rport_value);
}

TEST(ViaHeader, RejectsMalformedEntries) {
  for (std::string_view bad :
       {"", "SIP/2.0 host", "SIP/2.0/UDP", "SIP/2.0/UDP host;ttl=256", "SIP/2.0/UDP host:70000",
        "SIP/2.0/UDP host;branch", "SIP/2.0/UDP host,", "SIP/2.0/UDP host;rport=x",
        "SIP/2.0/UDP 192.0.2.15;;,;,,"}) {
    EXPECT_FALSE(ParseViaList(bad, L()).value) << bad;
  }
}

TEST(NameAddrHeader, ParsesQuotedTokenAndBareForms) {
  auto quoted = ParseNameAddr("\"Bob \\\"B\\\" Smith\" <sip:bob@biloxi.com>;tag=a6c85cf", L());
  ASSERT_TRUE(quoted.value);
  EXPECT_EQ(quoted.value->display_name, "Bob \"B\" Smith");
  EXPECT_EQ(quoted.value->tag, "a6c85cf");
  auto tokens = ParseNameAddr("Alice  Liddell <sip:alice@atlanta.com>", L());
  ASSERT_TRUE(tokens.value);
  EXPECT_EQ(tokens.value->display_name, "Alice Liddell");
  auto bare = ParseNameAddr("sip:+12125551212@server.phone2net.com;tag=887s", L());
  ASSERT_TRUE(bare.value);
  EXPECT_EQ(bare.value->tag, "887s");
  EXPECT_TRUE(bare.value->uri.params.empty());  // addr-spec: ;tag belongs to the header
  auto utf8 = ParseNameAddr("\"Zoë Ångström\" <sip:z@example.com>", L());
  ASSERT_TRUE(utf8.value);
  EXPECT_EQ(utf8.value->display_name, "Zoë Ångström");
}

TEST(NameAddrHeader, RejectsWhatRfc4475CallsInvalid) {
  EXPECT_FALSE(ParseNameAddr("\"Mr. J. User <sip:j.user@example.com>", L()).value);
  EXPECT_FALSE(ParseNameAddr("\"Watson, Thomas\" < sip:t.watson@example.org >", L()).value);
  EXPECT_FALSE(ParseNameAddr("Watson, Thomas <sip:t.watson@example.org>", L()).value);
  EXPECT_FALSE(ParseNameAddr("sip:user@example.com?Route=%3Csip:sip.example.com%3E", L()).value);
  EXPECT_FALSE(ParseNameAddr("<sip:joe@example.org>;;;;", L()).value);
  EXPECT_FALSE(ParseNameAddr("<sip:joe@example.org>;tag=", L()).value);
  EXPECT_FALSE(ParseNameAddr("<sip:joe@example.org", L()).value);
}

TEST(ContactHeader, ParsesStarListsExpiresAndQ) {
  auto star = ParseContact(" * ", L());
  ASSERT_TRUE(star.value);
  EXPECT_TRUE(star.value->star);
  auto list = ParseContact(
      "<sip:a@h1>;q=0.7;expires=3600, \"B, with comma\" <sip:b@h2>;q=1, <sip:c@h3>;q=0", L());
  ASSERT_TRUE(list.value) << list.error;
  ASSERT_EQ(list.value->entries.size(), 3u);
  EXPECT_EQ(ContactQ(list.value->entries[0]), 700);
  EXPECT_EQ(ContactExpires(list.value->entries[0]), 3600u);
  EXPECT_FALSE(ContactExpires(list.value->entries[1]));
  EXPECT_EQ(list.value->entries[1].display_name, "B, with comma");
  EXPECT_EQ(ContactQ(list.value->entries[1]), 1000);
  EXPECT_EQ(ContactQ(list.value->entries[2]), 0);
}

TEST(CSeqHeader, AcceptsNumbersBelowTwoToThe31) {
  auto ok = ParseCSeq("2147483647 INVITE");
  ASSERT_TRUE(ok.value);
  EXPECT_EQ(ok.value->number, 2147483647u);
  EXPECT_EQ(ParseCSeq("2147483648 INVITE").error, "bad CSeq: number out of range");
  EXPECT_FALSE(ParseCSeq("12INVITE").value);
  EXPECT_FALSE(ParseCSeq("-1 INVITE").value);
  EXPECT_FALSE(ParseCSeq("1").value);
}

TEST(OtherHeaders, ContentTypeSessionExpiresTokensCallId) {
  auto ct = ParseContentType("Application/SDP ; charset=\"utf-8\"", L());
  ASSERT_TRUE(ct.value);
  EXPECT_EQ(ct.value->MediaType(), "application/sdp");
  EXPECT_EQ(FindParam(ct.value->params, "charset")->value, "utf-8");
  auto se = ParseSessionExpires("1800;refresher=UAC", L());
  ASSERT_TRUE(se.value);
  EXPECT_EQ(se.value->seconds, 1800u);
  EXPECT_EQ(se.value->refresher, "uac");
  EXPECT_FALSE(ParseSessionExpires("1800;refresher=both", L()).value);
  auto tokens = ParseTokenList("timer, 100rel,replaces", L());
  ASSERT_TRUE(tokens.value);
  EXPECT_EQ(*tokens.value, (std::vector<std::string>{"timer", "100rel", "replaces"}));
  EXPECT_TRUE(ParseTokenList("", L()).value->empty());
  EXPECT_FALSE(ParseTokenList("a,,b", L()).value);
  EXPECT_EQ(ParseDeltaSeconds("4294967295"), 4294967295u);
  EXPECT_FALSE(ParseDeltaSeconds("4294967296"));
  EXPECT_TRUE(IsValidCallId("f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com"));
  EXPECT_FALSE(IsValidCallId("a b"));
  EXPECT_FALSE(IsValidCallId("a@"));
}

TEST(NameAddrHeader, SerializesSoThatItParsesBack) {
  auto parsed = ParseNameAddr("\"A \\\"q\\\"\" <sip:a@h;lr>;tag=x;p=\"quoted value\"", L());
  ASSERT_TRUE(parsed.value);
  auto again = ParseNameAddr(SerializeNameAddr(*parsed.value), L());
  ASSERT_TRUE(again.value) << SerializeNameAddr(*parsed.value);
  EXPECT_EQ(again.value->display_name, parsed.value->display_name);
  EXPECT_EQ(again.value->params, parsed.value->params);
  EXPECT_TRUE(UriEquals(again.value->uri, parsed.value->uri));
}

}  // namespace
}  // namespace tessera::sip
